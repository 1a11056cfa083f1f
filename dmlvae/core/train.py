"""One training run end to end: data -> labelled subset -> model -> routine -> latents -> metrics."""

from __future__ import annotations

import socket
import time

import numpy as np
import torch
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier

from dmlvae.core import data, evaluate, models, numeric, routines, vae
from dmlvae.core.config import RunConfig
from dmlvae.errors import DmlvaeError
from dmlvae.version import TRAINING_VERSION, __version__

TEST_SUBSET_SEED = 0  # the test subset is the same for every run seed
VALIDATION_SEED = 1  # the held-out validation images (cfg.validation) are the same for every run seed


def check_device(name: str) -> str:
    """Refuse, before any training, a device this machine does not have."""
    if name in (None, "auto", "cpu"):
        return name
    n = torch.cuda.device_count() if torch.cuda.is_available() else 0
    allowed = "auto, cpu" + (", cuda" + "".join(f", cuda:{i}" for i in range(n)) if n else "")
    if n == 0:
        raise DmlvaeError(
            f"device {name!r} is not available: this machine has no CUDA GPU "
            f"(torch {torch.__version__}); allowed here: {allowed}"
        )
    index = int(name.split(":")[1]) if ":" in name else 0
    if index >= n:
        raise DmlvaeError(
            f"device {name!r} is not available: this machine has {n} CUDA device(s); allowed here: {allowed}"
        )
    return name


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(check_device(name))


def validation_indices(y_full: np.ndarray, n: int) -> np.ndarray:
    """The ``n`` training images held out for validation: a stratified draw, the same for every run seed."""

    if n >= len(y_full):
        raise DmlvaeError(
            f"validation {n} leaves no training images: the training split has {len(y_full)}; "
            f"allowed: 10 to {len(y_full) - 1}"
        )
    idx, _ = train_test_split(np.arange(len(y_full)), train_size=n, random_state=VALIDATION_SEED, stratify=y_full)
    return np.sort(idx)


def training_indices(y_full: np.ndarray, cfg: RunConfig) -> tuple[np.ndarray, np.ndarray]:
    """(indices into the full training split, positions of the labelled ones among them).

    The labelled subset is always ``pl_pct`` percent of the *full* training split (with ``validation``, as
    many images, drawn from the rest). ``train_subset`` keeps it (or a random part of it when it alone exceeds
    the subset) and fills up with random other images.
    """
    pool = np.arange(len(y_full))
    if cfg.validation:
        pool = np.setdiff1d(pool, validation_indices(y_full, cfg.validation))
    lab = pool[
        data.labelled_subset(
            y_full[pool], cfg.pl_pct, seed=cfg.seed, policy=cfg.policy, n=data.n_labelled(len(y_full), cfg.pl_pct)
        )
    ]
    if not cfg.train_subset or cfg.train_subset >= len(pool):
        return pool, np.flatnonzero(np.isin(pool, lab))
    rng = np.random.default_rng([cfg.seed, 1])
    if len(lab) >= cfg.train_subset:
        keep = np.sort(rng.choice(lab, cfg.train_subset, replace=False))
        return keep, np.arange(len(keep))
    rest = np.setdiff1d(pool, lab)
    keep = np.sort(np.concatenate([lab, rng.choice(rest, cfg.train_subset - len(lab), replace=False)]))
    return keep, np.flatnonzero(np.isin(keep, lab))


def test_indices(y_test: np.ndarray, n: int | None) -> np.ndarray:
    if not n or n >= len(y_test):
        return np.arange(len(y_test))

    idx, _ = train_test_split(np.arange(len(y_test)), train_size=n, random_state=TEST_SUBSET_SEED, stratify=y_test)
    return np.sort(idx)


def prepare(cfg: RunConfig):
    """(dataset, x_train, y_train, labelled positions, x_test, y_test): training tensors on the device. With
    ``cfg.validation`` the held-out training images take the test split's place (which is then not read)."""
    ds = data.load(cfg.dataset, data_dir=cfg.data_dir)
    x_full, y_full = ds.split("train")
    keep, labelled = training_indices(y_full, cfg)
    if cfg.validation:
        val = validation_indices(y_full, cfg.validation)
        x_te, y_te = x_full[val], y_full[val]
    else:
        x_te, y_te = ds.split("test")
    te = test_indices(y_te, cfg.test_subset)
    dev = resolve_device(cfg.device)
    t = lambda a: torch.as_tensor(a).to(dev)  # noqa: E731
    return ds, t(x_full[keep]), t(y_full[keep]), t(labelled), t(x_te[te]), y_te[te]


def evaluate_model(model, cfg: RunConfig, x, y, labelled, x_te, y_te):
    """(metrics under cfg.protocol with cfg.probes, kNN metrics under every protocol, test latents,
    training latents)."""
    sample = cfg.eval_latents == "z"
    z_te, z_tr = model.embed(x_te, sample=sample), model.embed(x, sample=sample)
    y_tr, lab = y.cpu().numpy(), labelled.cpu().numpy()
    common = dict(z_train=z_tr, y_train=y_tr, labelled=lab, seed=cfg.seed)
    metrics = evaluate.probe(z_te, y_te, cfg.protocol, cfg.probes, **common)
    by_protocol = {p: evaluate.probe(z_te, y_te, p, ("knn",), **common) for p in evaluate.PROTOCOLS}
    if cfg.gaussian:  # the other kind of latent, to show what sampling does (Table 3's chance level)
        other = model.embed(x_te, sample=not sample)
        by_protocol[f"test-cv/{'mu' if sample else 'sampled-z'}"] = evaluate.probe(
            other, y_te, "test-cv", ("knn",), seed=cfg.seed
        )
    return metrics, by_protocol, z_te, z_tr


OWN_K = 10  # the inferred labels' own classifier: kNN with k = 10 on the training latents (as Calder et al. score)


def own_classifier(model, x_te, y_te, z_tr, z_te, labelled, y_tr, seed) -> dict:
    """A ``vae_graph`` model's scores beside the labelled-to-test probe, each on the test split:

    - ``inferred-knn``: its own classifier, kNN (k = OWN_K) fitted on every training latent with its *inferred*
      label (the graph's; the labelled images' own), on the final embedding;
    - ``inferred-knn-vae``: the same on the graph's features (the VAE's latents, or their UMAP: before the DML
      step, what DML adds);
    - ``vae-labelled-to-test``: the graph's features alone under labelled-to-test (the labelled images only).
    The true labels of unlabelled training images are never read: ``y_tr`` is indexed by ``labelled`` only."""

    n = len(z_tr)
    inferred = model.graph["labels"][:n]  # the training images' (a transductive graph holds the test images after)
    enc = model.graph["vae_encoder"]
    # the training features the graph was built on, and the test images placed among them (their VAE latents, or
    # those through the UMAP fitted on the training images; a transductive graph's own test nodes)
    features = model.graph["z_train"]
    v_tr = features[:n]
    v_te = features[n:] if len(features) > n else model.graph["place"](vae.embed(enc, x_te))
    out = {}
    for name, (a, b) in {"inferred-knn": (z_tr, z_te), "inferred-knn-vae": (v_tr, v_te)}.items():
        pred = KNeighborsClassifier(n_neighbors=OWN_K).fit(a, inferred).predict(b)
        out[name] = evaluate.scores("knn", y_te, pred)
    out["vae-labelled-to-test"] = evaluate.probe(
        v_te,
        y_te,
        "labelled-to-test",
        ("knn",),
        z_train=v_tr,
        y_train=np.where(np.isin(np.arange(len(y_tr)), labelled), y_tr, -1),
        labelled=labelled,
        seed=seed,
    )
    out["vae-labelled-to-test"].pop("r_at_1", None)
    return out


def _inferred_scores(history, y_train, y_test, labelled) -> dict:
    """How right each propagation's or inference's labels were, read here only to score: ``pseudo_label_acc`` on
    the training images; for a transductive graph (labels for the test images too) also ``transductive_acc``,
    the anchors' score over every unlabelled node."""
    out = {"pseudo_label_acc": [float(np.mean(p[: len(y_train)] == y_train)) for p in history]}
    if len(history[0]) > len(y_train):
        every = np.concatenate([y_train, np.asarray(y_test)])
        unlabelled = ~np.isin(np.arange(len(every)), labelled)
        out["transductive_acc"] = [float(np.mean(p[unlabelled] == every[unlabelled])) for p in history]
    return out


def _fitted_on(cfg: RunConfig, x, y, x_te):
    """The images and labels the model is fitted on: the training split, or with ``graph_nodes`` "train+test" (model
    vae_graph, transductive) the test images appended, each with label -1 (their labels are never given to the
    fit; the labelled positions are all in the training part)."""
    if cfg.model != "vae_graph" or cfg.graph_nodes == "train":
        return x, y
    unknown = torch.full((len(x_te),), -1, dtype=y.dtype, device=y.device)
    return torch.cat([x, x_te]), torch.cat([y, unknown])


def run(cfg: RunConfig, progress: bool = False, keep_model: bool = False) -> dict:
    """Train and evaluate one configuration; return a JSON-able result, and the latents under ``z_test``,
    ``y_test``, ``z_labelled``, ``y_labelled`` (the labelled training images').

    With ``keep_model`` the result also holds the model and what it was evaluated with: ``z_train``,
    ``y_train`` and the ``labelled`` positions (numpy), so a caller can probe further without re-encoding."""
    t0, c0 = time.perf_counter(), time.process_time()
    check_device(cfg.device)
    torch.manual_seed(cfg.seed)
    np.random.seed(cfg.seed)
    ds, x, y, labelled, x_te, y_te = prepare(cfg)
    if cfg.routine == "dml-then-gmm" and (cfg.gmm_components or 0) > len(x):
        raise DmlvaeError(
            f"gmm_components {cfg.gmm_components} exceeds the {len(x)} training images the GMM is "
            f"fitted to; allowed: 1 to {len(x)}"
        )
    gen = torch.Generator().manual_seed(cfg.seed)
    init = x[torch.randperm(len(x), generator=gen)[: cfg.n_pseudo].to(x.device)] if cfg.model == "mvae" else None
    model = models.build(cfg, ds.image_shape, ds.n_classes, init_images=init).to(x.device)
    history = routines.fit(
        model, *_fitted_on(cfg, x, y, x_te), labelled, cfg, progress=progress, n_classes=ds.n_classes
    )
    metrics, by_protocol, z_te, z_tr = evaluate_model(model, cfg, x, y, labelled, x_te, y_te)
    out = {
        "config": cfg.to_dict(),
        "key": cfg.key(),
        "version": __version__,
        "training_version": TRAINING_VERSION,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "numeric_env": numeric.environment(),
        "host": socket.gethostname(),
        "dataset_used": ds.name,
        "source": ds.source,
        "device": str(x.device),
        "n_train": int(len(x)),
        "n_labelled": int(len(labelled)),
        "n_test": int(len(y_te)),
        "labelled_classes": int(len(torch.unique(y[labelled]))),
        "history": history,
        "metrics": metrics,
        "metrics_by_protocol": by_protocol,
        # cpu_time: this process's CPU seconds (all its threads), the run's cost on a shared or paused machine
        "wall_time": time.perf_counter() - t0,
        "cpu_time": time.process_time() - c0,
        "z_test": z_te,
        "y_test": y_te,
        "z_labelled": z_tr[labelled.cpu().numpy()],
        "y_labelled": y[labelled].cpu().numpy(),
    }
    if hasattr(model, "pseudo_label_history"):  # how right each propagation or inference was (scored only here)
        out.update(_inferred_scores(model.pseudo_label_history, y.cpu().numpy(), y_te, labelled.cpu().numpy()))
    if hasattr(model, "graph"):  # vae_graph: its own classifier and the VAE's latents, scored here only
        out["own_classifier"] = own_classifier(
            model, x_te, y_te, z_tr, z_te, labelled.cpu().numpy(), y.cpu().numpy(), cfg.seed
        )
    if keep_model:
        out.update(model=model, z_train=z_tr, y_train=y.cpu().numpy(), labelled=labelled.cpu().numpy())
    return out
