"""RunConfig: every setting of one training run, validated once, with the paper's gaps as named defaults.

The CLI, the Python API and papermill parameters all build a RunConfig, so a bad value gives the same
error everywhere. Defaults the paper leaves open are documented here and on the book's assumptions page.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from dataclasses import dataclass, field

import pandas as pd

from dmlvae.core.data import DATASETS, POLICIES, validate_pl_pct
from dmlvae.core.evaluate import PROBES, PROTOCOLS
from dmlvae.core.graphs import EMBEDDINGS as GRAPH_EMBEDDINGS
from dmlvae.core.graphs import METHODS as GRAPH_METHODS
from dmlvae.core.graphs import NODES as GRAPH_NODES
from dmlvae.core.graphs import PRIORS as GRAPH_PRIORS
from dmlvae.core.graphs import check_method_priors
from dmlvae.errors import DmlvaeError, choice, number

MODELS = ("dml", "dml_autoencoder", "dml_unit_prior", "dml_gmm_prior", "mvae", "dml_labelprop", "vae_graph")
LOSSES = ("triplet", "supcon", "center")
ROUTINES = (
    "supervised",
    "alternating-epoch",
    "alternating-batch",
    "joint",
    "dml-then-gmm",
    "label-propagation",
    "vae-graph",
)
MININGS = ("all", "hard", "semihard")
NETS = ("mlp", "conv")
KL_VARIANTS = ("correct", "paper")
METRIC_ON = ("z", "mu")
ALTERNATE_FIRST = ("supervised", "unsupervised")
RECON = ("pixel-mean", "image-sum")
DISTANCES = ("euclidean", "geodesic")
LP_GRAPHS = ("pixels", "latent")
DEFAULT_ROUTINE = {
    "dml": "supervised",
    "dml_autoencoder": "alternating-epoch",
    "dml_unit_prior": "alternating-epoch",
    "dml_gmm_prior": "alternating-epoch",
    "mvae": "alternating-epoch",
    "dml_labelprop": "label-propagation",
    "vae_graph": "vae-graph",
}
# models whose routine is their own (model and routine go together only)
OWN_ROUTINES = {"dml_labelprop": "label-propagation", "vae_graph": "vae-graph"}
# Sanity limits: values past them are typos (a memory blow-up, a seed numpy and torch disagree on), not studies.
MAX_LSDIM, MAX_EPOCHS, MAX_BATCH, MAX_LAYERS, MAX_WIDTH = 1024, 10_000, 65_536, 8, 16_384
MAX_SEGMENTS, MAX_LP_K = 256, 1_000
MAX_ABS_LOGVAR, MAX_PSEUDO, MAX_GMM_COMPONENTS, MAX_SUBSET, MAX_SEED = 20.0, 10_000, 1_000, 10_000_000, 2**32 - 1
DEFAULT_RECON = {"dml_autoencoder": "pixel-mean", "mvae": "image-sum"}
GAUSSIAN_MODELS = ("dml_unit_prior", "dml_gmm_prior", "mvae")
DECODER_MODELS = ("dml_autoencoder", "mvae")
PRIOR_MODELS = GAUSSIAN_MODELS


# fields added after the first stored results, each left out of ``RunConfig.key`` at the value given here (fixed
# for good: a later change of the default must not change stored keys); the lp_* fields also for every model but
# dml_labelprop, which alone reads them
OPTIMIZERS = ("adam", "sgd")
ADDED_FIELDS = {
    "optimizer": "adam",
    "distance": "euclidean",
    "geodesic_segments": 8,
    "lp_k": 10,
    "lp_alpha": 0.99,
    "lp_every": 3,
    "lp_first_graph": "pixels",
    "validation": None,
    "metric_share": None,
    "graph_method": "poisson-mbo",
    "graph_k": 10,
    "graph_priors": "uniform",
    "vae_epochs": 100,
    "vae_lsdim": 20,
    "vae_hidden": (400,),
    "graph_embedding": "vae",
    "graph_umap_neighbors": 20,
    "graph_umap_dim": 10,
    "graph_umap_min_dist": 0.0,
    "graph_rounds": 1,
    "graph_nodes": "train",
    "vae_net": "mlp",
}
# fields only one model reads: left out of the key of every other model's runs
MODEL_FIELDS = {"lp_": "dml_labelprop", "graph_": "vae_graph", "vae_": "vae_graph"}


def _field(origin: str, default, doc: str, hash: bool = True, check=None):
    """A RunConfig field: where its default comes from, its documentation, whether it enters the run key, and its
    validator ``check(name, value) -> the value to keep`` (raises DmlvaeError naming the value and the allowed)."""
    return field(default=default, metadata={"origin": origin, "doc": doc, "hash": hash, "check": check})


def paper(default, doc, **kw):
    """A value (or grid) the paper states."""
    return _field("paper", default, doc, **kw)


def assumed(default, doc, **kw):
    """A default of ours where the paper is silent (listed on the book's assumptions page)."""
    return _field("assumption", default, doc, **kw)


def setting(default, doc, **kw):
    """How a run is executed, not what it computes (seed excepted)."""
    return _field("setting", default, doc, **kw)


def one_of(options):
    return lambda name, value: choice(name, value, options)


def integer(low, high, **kw):
    return lambda name, value: number(name, value, low=low, high=high, integer=True, **kw)


def real(**bounds):
    return lambda name, value: float(number(name, value, **bounds))


def optional(check):
    """``check``, with None allowed (a default filled in later, or "not set")."""
    return lambda name, value: None if value is None else check(name, value)


def _probes(name: str, value) -> tuple:
    """Probes: a tuple, or a string "knn rf" / "knn,rf"; at least one, each one of PROBES."""
    if isinstance(value, str):
        value = tuple(value.replace(",", " ").split())
    value = tuple(choice("probe", p, PROBES) for p in value)
    if not value:
        raise DmlvaeError(f"probes is empty; allowed: {', '.join(PROBES)}")
    return value


def _device(name: str, value) -> str:
    if not (value in ("auto", "cpu", "cuda") or (isinstance(value, str) and re.fullmatch(r"cuda:\d+", value))):
        raise DmlvaeError(f"unknown device {value!r}; allowed: auto, cpu, cuda, cuda:N")
    return value


def _widths(name: str, value) -> tuple:
    """MLP widths: a tuple, or a string "512 256" / "512,256"; at least one layer, at most MAX_LAYERS."""
    if isinstance(value, str):
        value = tuple(value.replace(",", " ").split())
    value = tuple(value)
    if not value or len(value) > MAX_LAYERS:
        raise DmlvaeError(
            f"{name} {value!r} has {len(value)} layers; allowed: at least 1 and at most {MAX_LAYERS} "
            "widths, e.g. 512 256"
        )
    return tuple(number(name, h, low=1, high=MAX_WIDTH, integer=True) for h in value)


@dataclass
class RunConfig:
    """One training run. ``origin``: "paper" where the paper states the value or the grid, "assumption" where
    the paper is silent and this default is ours (each listed on the book's assumptions page)."""

    dataset: str = paper("mnist", "one of mnist, fashion-mnist, organamnist, digits", check=one_of(DATASETS))
    pl_pct: float = paper(
        10.0, "percent of the training split labelled, (0, 100]", check=lambda n, v: validate_pl_pct(v)
    )
    model: str = paper(
        "dml",
        "dml, dml_autoencoder, dml_unit_prior, dml_gmm_prior, mvae; beyond the paper: dml_labelprop (DML on labels "
        "propagated over a kNN graph, Iscen et al. 2019) and vae_graph (a VAE, labels inferred over a kNN graph of "
        "its latents by Poisson-MBO or Poisson learning, Calder et al. 2020, then DML on them)",
        check=one_of(MODELS),
    )
    loss: str = paper("triplet", "metric loss: triplet, supcon (supervised contrastive), center", check=one_of(LOSSES))
    routine: str | None = paper(
        None, 'None: "supervised" for dml, else "alternating-epoch" (the paper\'s)', check=optional(one_of(ROUTINES))
    )
    lsdim: int = assumed(
        10,
        'latent (embedding) dimension; the paper gives "Example values for this hyperparameter used in experiments '
        'are 2, 4, and 10." (Latent Space Dimensionality (lsdim)), no default: we assume 10',
        check=integer(1, MAX_LSDIM),
    )
    alpha: float = assumed(
        0.5,
        'alternating routines: (1 - alpha) L_S + alpha L_U; alpha = 1: no labels; the paper gives "Potential values '
        'for alpha are each between 0 (exclusive) and 1 (inclusive)." (Alpha), no default: we assume 0.5',
        check=real(low=0, high=1, low_open=True),
    )
    gamma: float = assumed(
        1.0,
        "joint routine: L_U + gamma L_S; gamma = 0: no labels; the paper's Table 4 runs gamma 0, 2, 5 and 10, and no "
        "default: we assume 1",
        check=real(low=0),
    )
    metric_share: float | None = assumed(
        None,
        "joint routine, beyond the paper: instead of gamma, the metric term's share of the loss at the start of "
        "training, gamma L_S / (L_U + gamma L_S) with L_S and L_U the untrained model's mean losses over the first "
        "10 batches; gamma is derived from it once, before the first step (None: gamma as given)",
        check=optional(real(low=0, high=1, low_open=True, high_open=True)),
    )
    beta: float = assumed(1.0, "mvae: L_U = recon + beta KL (the paper names beta, never its value)", check=real(low=0))
    lr: float = paper(
        1e-3,
        'the learning rate: "The learning rate is thus set to 0.001 in each experiment." (Learning Rate (lr))',
        check=real(low=0, low_open=True),
    )
    optimizer: str = assumed(
        "adam",
        "adam (we assume it: the paper names no optimiser, and its algorithms print a plain gradient step, "
        "theta = theta - gamma dc/dtheta); sgd: that plain step",
        check=one_of(OPTIMIZERS),
    )
    epochs: int = assumed(10, "passes over the whole training split, for every model", check=integer(1, MAX_EPOCHS))
    batch_size: int = assumed(
        256,
        "unlabelled batch and labelled batch each; the labelled batch is drawn with replacement when the "
        "labelled subset is smaller",
        check=integer(2, MAX_BATCH),
    )
    net: str = assumed("mlp", "mlp (fast on CPU) or conv", check=one_of(NETS))
    hidden: tuple = assumed((512, 256), "MLP widths (encoder; the decoder mirrors them)", check=_widths)
    margin: float = assumed(0.2, "triplet margin (Euclidean distances, embeddings not normalised)", check=real(low=0))
    mining: str = assumed("all", "triplet mining: all valid triplets, batch-hard or semi-hard", check=one_of(MININGS))
    temperature: float = assumed(0.1, "SupCon temperature (Khosla 2020 default)", check=real(low=0, low_open=True))
    center_weight: float = assumed(
        0.01, "center loss: softmax cross-entropy + center_weight * centre term (Wen 2016)", check=real(low=0)
    )
    gmm_logvar: float = assumed(
        1.0,
        'fixed GMM prior: component log-variance ("logvar = 1" in the paper\'s text)',
        check=real(low=-MAX_ABS_LOGVAR, high=MAX_ABS_LOGVAR),
    )
    kl: str = assumed(
        "correct", 'Monte-Carlo KL: "correct" estimator or "paper" (Algorithm 4 as printed)', check=one_of(KL_VARIANTS)
    )
    n_pseudo: int = assumed(500, "VampPrior pseudo-inputs (Tomczak & Welling 2018)", check=integer(1, MAX_PSEUDO))
    metric_on: str = paper(
        "z",
        'Gaussian encoders: the metric loss sees the sampled z (Algorithms 3 and 5); "mu", the mean, is a '
        "departure from the paper",
        check=one_of(METRIC_ON),
    )
    alternate_first: str = assumed(
        "supervised",
        'alternating routines: which phase comes first, "supervised" or "unsupervised" (the paper does not say; '
        "with an even number of epochs, supervised-first ends on an unsupervised epoch)",
        check=one_of(ALTERNATE_FIRST),
    )
    recon: str | None = assumed(
        None,
        'reconstruction error: "pixel-mean" (squared error averaged over pixels, PyTorch\'s MSELoss default, likely '
        "the paper's) or \"image-sum\" (summed over each image's pixels: a Gaussian log-likelihood up to constants, "
        "commensurate with a KL in nats). None: pixel-mean for dml_autoencoder, image-sum for mvae, whose gamma = 0 "
        "model is otherwise no VAE (per-pixel MSE beside a summed KL weighs the KL ~784x more: the posterior "
        "collapses; see the assumptions page)",
        check=optional(one_of(RECON)),
    )
    distance: str = assumed(
        "euclidean",
        'triplet loss distance: "euclidean" (the paper\'s) or "geodesic", the length in image space of the decoded '
        "straight path between two latents (proposal 4; models with a decoder, batch-hard mining on Euclidean "
        "distances picks the triplets)",
        check=one_of(DISTANCES),
    )
    geodesic_segments: int = assumed(
        8, 'distance="geodesic": segments T of the decoded straight path', check=integer(1, MAX_SEGMENTS)
    )
    lp_k: int = assumed(
        5,
        "dml_labelprop: neighbours of each image in the kNN graph labels are propagated on "
        "(chosen on a validation split among 5, 10, 20, a range first narrowed by label-spreading "
        "accuracy measured with every training label, beyond the labelled budget; see the beyond page)",
        check=integer(1, MAX_LP_K),
    )
    lp_alpha: float = assumed(
        0.99,
        "dml_labelprop: label-spreading weight of the graph against the seeds "
        "(Zhou et al. 2004; Iscen et al. 2019 use 0.99)",
        check=real(low=0, high=1, low_open=True, high_open=True),
    )
    lp_every: int = assumed(
        3,
        "dml_labelprop: epochs between label propagations (at epochs 0, lp_every, ...; "
        "the first candidate; propagating once only (lp_every 10) scored as well on the validation "
        "split, so this default was kept, not chosen over it; see the beyond page)",
        check=integer(1, MAX_EPOCHS),
    )
    lp_first_graph: str = assumed(
        "pixels",
        'dml_labelprop: the first propagation\'s graph: "pixels" (PCA-50 of the images; chosen on a validation '
        'split) or "latent" (the embedding after lp_every epochs of DML on the labels alone, as Iscen et al.)',
        check=one_of(LP_GRAPHS),
    )
    graph_method: str = assumed(
        "poisson-mbo",
        'vae_graph: graph label inference from graphlearning (Calder et al. 2020): "poisson-mbo" (Poisson learning '
        'with the MBO graph-cut step, which holds the classes at graph_priors) or "poisson" (Poisson learning)',
        check=one_of(GRAPH_METHODS),
    )
    graph_k: int = assumed(
        10, "vae_graph: neighbours in the kNN graph of the VAE latents (Calder et al.'s 10)", check=integer(1, MAX_LP_K)
    )
    graph_priors: str = assumed(
        "uniform",
        'vae_graph: class priors for the graph step: "uniform" (1/C each; an assumption, not measured), "labelled" '
        '(the labelled draw\'s class counts + 1) or "none" (plain Poisson argmax; not with poisson-mbo)',
        check=one_of(GRAPH_PRIORS),
    )
    graph_embedding: str = assumed(
        "vae",
        'vae_graph: what the kNN graph is built on: "vae" (the VAE\'s latents, as Calder et al.) or "umap" (UMAP of '
        "them fitted on the training images only, the N2D step of McConville et al. 2019; the test images placed by "
        "its transform)",
        check=one_of(GRAPH_EMBEDDINGS),
    )
    graph_umap_neighbors: int = assumed(
        20,
        "vae_graph, graph_embedding umap: UMAP's neighbours (N2D's 20 for MNIST and Fashion-MNIST)",
        check=integer(2, MAX_LP_K * 10),
    )
    graph_umap_dim: int = assumed(
        10,
        "vae_graph, graph_embedding umap: UMAP's components (N2D's: the number of classes, 10)",
        check=integer(1, MAX_LSDIM),
    )
    graph_umap_min_dist: float = assumed(
        0.0, "vae_graph, graph_embedding umap: UMAP's min_dist (N2D's 0)", check=real(low=0, high=1)
    )
    graph_rounds: int = assumed(
        1,
        "vae_graph: rounds of graph inference and DML; each round after the first rebuilds the graph on the DML "
        "latents of the round before and infers the labels again (self-training; 1: once, on the VAE's latents)",
        check=integer(1, 10),
    )
    graph_nodes: str = assumed(
        "train",
        'vae_graph: the images the VAE, the graph and the DML step see: "train" (the training split: inductive, the '
        'book\'s protocol) or "train+test" (the test images too, without their labels: transductive, as Calder et '
        "al. 2020 ran it; scored both ways, never against a target)",
        check=one_of(GRAPH_NODES),
    )
    vae_epochs: int = assumed(
        100, "vae_graph: epochs of the unsupervised VAE (Calder et al.'s 100)", check=integer(1, MAX_EPOCHS)
    )
    vae_lsdim: int = assumed(
        20, "vae_graph: the VAE's latent dimension (Calder et al.'s 784-400-20)", check=integer(1, MAX_LSDIM)
    )
    vae_hidden: tuple = assumed((400,), "vae_graph: the VAE's MLP widths (Calder et al.'s 400)", check=_widths)
    vae_net: str = assumed(
        "mlp",
        'vae_graph: the VAE\'s networks: "mlp" (Calder et al.\'s 784-400-20) or "conv" (the book\'s convolutional '
        "encoder and decoder, two stride-2 layers of 32 and 64 channels; vae_hidden unused)",
        check=one_of(NETS),
    )
    dml_epochs: int | None = assumed(
        None, "dml-then-gmm: epochs of DML before fitting the GMM (None: half)", check=optional(integer(0, MAX_EPOCHS))
    )
    gmm_components: int | None = assumed(
        None, "dml-then-gmm: GMM components (None: number of classes)", check=optional(integer(1, MAX_GMM_COMPONENTS))
    )
    policy: str = assumed(
        "uniform", "labelled-subset draw: uniform (our reading of the paper) or stratified", check=one_of(POLICIES)
    )
    train_subset: int | None = assumed(
        None,
        "train on N training images: the labelled subset (pl_pct of the FULL training split, so 0.01 % stays 6 "
        "MNIST labels) plus random others; None: all",
        check=optional(integer(10, MAX_SUBSET)),
    )
    test_subset: int | None = assumed(
        None,
        "evaluate on N test images (a fixed stratified draw, the same for every seed); None: all",
        check=optional(integer(10, MAX_SUBSET)),
    )
    protocol: str = assumed(
        "test-cv",
        "evaluation protocol reported as `metrics`: test-cv, train-to-test, labelled-to-test",
        check=one_of(PROTOCOLS),
    )
    probes: tuple = assumed(("knn",), "probes fitted on the latents: knn (k=5), rf, mlp, linear", check=_probes)
    eval_latents: str = assumed(
        "mu", "Gaussian encoders: evaluate the mean mu or a sampled z", check=one_of(("mu", "z"))
    )
    validation: int | None = setting(
        None,
        "score on N training images held out (a fixed stratified draw, never trained on; their labels are read "
        "only to score) instead of the test split, for choosing settings without touching the test split; None: "
        "the test split",
        check=optional(integer(10, MAX_SUBSET)),
    )
    seed: int = setting(
        0, "seed of the labelled subset, the initialisation and the batches", check=integer(0, MAX_SEED)
    )
    device: str = setting("auto", "auto: cuda when available, else cpu", hash=False, check=_device)
    data_dir: str | None = setting(None, "data directory (None: $DMLVAE_DATA or ~/.cache/dmlvae)", hash=False)

    def __post_init__(self):
        """Each field through its own validator (``check`` in its metadata), in declaration order; then the defaults
        that depend on the model, and the rules between fields (``RULES``)."""
        for f in dataclasses.fields(self):
            if f.metadata.get("check") is not None:
                setattr(self, f.name, f.metadata["check"](f.name, getattr(self, f.name)))
        if self.routine is None:
            self.routine = DEFAULT_ROUTINE[self.model]
        if self.recon is None:
            self.recon = DEFAULT_RECON.get(self.model, "pixel-mean")
        for rule in RULES:
            rule(self)

    @property
    def gaussian(self) -> bool:
        return self.model in GAUSSIAN_MODELS

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["hidden"], d["probes"], d["vae_hidden"] = list(self.hidden), list(self.probes), list(self.vae_hidden)
        return d

    def key(self) -> str:
        """Stable hash of every field that changes the result (not data_dir). Fields added after results were
        stored (``ADDED_FIELDS``) count only when they differ from their first default, so old keys stay valid."""
        d = {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if f.metadata.get("hash", True)
            and not (
                f.name in ADDED_FIELDS
                and (
                    getattr(self, f.name) == ADDED_FIELDS[f.name]
                    or any(f.name.startswith(p) and self.model != m for p, m in MODEL_FIELDS.items())
                )
            )
        }
        for name in ("hidden", "probes", "vae_hidden"):
            if name in d:
                d[name] = list(d[name])
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:16]

    def replace(self, **changes) -> "RunConfig":
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_dict(cls, d: dict) -> "RunConfig":
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise DmlvaeError(f"unknown RunConfig field(s) {unknown}; allowed: {', '.join(sorted(names))}")
        return cls(**d)


# Rules between fields, each one error naming the values and what is allowed; RunConfig checks them in this order after
# every field's own validator.
def _own_routines(c: RunConfig) -> None:
    for own_model, own_routine in OWN_ROUTINES.items():
        if (c.model == own_model) != (c.routine == own_routine):
            raise DmlvaeError(
                f"routine {c.routine!r} with model {c.model!r}: model {own_model!r} and routine "
                f"{own_routine!r} go together only; allowed: {own_model} with {own_routine}"
            )
    if c.model == "dml" and c.routine != "supervised":
        raise DmlvaeError(
            f"routine {c.routine!r} needs an unsupervised loss, which model 'dml' has not; allowed for dml: supervised"
        )
    if c.routine == "dml-then-gmm" and c.model not in PRIOR_MODELS:
        raise DmlvaeError(
            f"routine 'dml-then-gmm' needs a model with a prior; got model {c.model!r}; allowed: "
            f"{', '.join(PRIOR_MODELS)}"
        )


def _gmm_lsdim(c: RunConfig) -> None:
    if c.model == "dml_gmm_prior" and c.lsdim > 16:
        raise DmlvaeError(
            f"lsdim {c.lsdim} is too large for dml_gmm_prior (2^lsdim hypercube components); allowed: 1 to 16"
        )


def _metric_share(c: RunConfig) -> None:
    if c.metric_share is None:
        return
    if c.routine != "joint":
        raise DmlvaeError(
            f"metric_share {c.metric_share:g} sets the weight of the joint routine's metric term from "
            f"the start of training; routine {c.routine!r} has no such weight; allowed: joint"
        )
    if c.gamma != 1.0:
        raise DmlvaeError(
            f"gamma {c.gamma:g} with metric_share {c.metric_share:g}: gamma is derived from "
            "metric_share; leave gamma at its default (1) or metric_share at None"
        )


def _geodesic(c: RunConfig) -> None:
    if c.distance != "geodesic":
        return
    if c.model not in DECODER_MODELS:
        raise DmlvaeError(
            f"distance 'geodesic' needs a decoder; model {c.model!r} has none; allowed: {', '.join(DECODER_MODELS)}"
        )
    if c.loss != "triplet" or c.mining != "hard":
        raise DmlvaeError(
            f"distance 'geodesic' is computed for mined triplets only: it needs loss 'triplet' with "
            f"mining 'hard'; got loss {c.loss!r}, mining {c.mining!r}"
        )


def _graph(c: RunConfig) -> None:
    check_method_priors(c.graph_method, c.graph_priors)


def _dml_then_gmm(c: RunConfig) -> None:
    if c.dml_epochs is not None:
        c.dml_epochs = number(
            "dml_epochs",
            c.dml_epochs,
            low=0,
            high=c.epochs - 1,
            integer=True,
            meaning="epochs of DML before the GMM prior, fewer than epochs",
        )
    if (
        c.routine == "dml-then-gmm"
        and (c.dml_epochs if c.dml_epochs is not None else max(1, c.epochs // 2)) >= c.epochs
    ):
        raise DmlvaeError(
            f"routine 'dml-then-gmm' with epochs {c.epochs} never reaches its GMM phase (DML takes the "
            "first half, at least one epoch); allowed: epochs 2 or more"
        )


RULES = (_own_routines, _gmm_lsdim, _metric_share, _geodesic, _graph, _dml_then_gmm)


SOURCES = {"paper": "the paper", "assumption": "ours (paper silent)", "setting": "run setting"}


def defaults_table(origin: str | None = None):
    """Every RunConfig field with its default, where the default comes from (``SOURCES``) and what it means, as a
    styled table (whole meanings, not cut); ``origin`` ("paper", "assumption", "setting") keeps those only."""

    if origin is not None:
        choice("origin", origin, SOURCES)
    rows = [
        {
            "parameter": f.name,
            "default": str(f.default),
            "source": SOURCES[f.metadata["origin"]],
            "meaning": f.metadata["doc"],
        }
        for f in dataclasses.fields(RunConfig)
        if origin is None or f.metadata["origin"] == origin
    ]
    return pd.DataFrame(rows).set_index("parameter").style.set_table_attributes('class="dataframe"')
