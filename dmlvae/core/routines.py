"""Training routines: how the supervised loss L_S and the unsupervised loss L_U are weighted, step by step.

| routine             | loss at a step                                                                 |
|---------------------|--------------------------------------------------------------------------------|
| `supervised`        | L_S (the DML baseline)                                                          |
| `alternating-epoch` | supervised epochs: (1 - alpha) L_S + alpha L_U; unsupervised epochs: alpha L_U (the paper) |
| `alternating-batch` | the same alternation, per step instead of per epoch                            |
| `joint`             | L_U + gamma L_S (Table 4)                                                       |
| `dml-then-gmm`      | L_S for ``dml_epochs``; then a GMM fitted to the embeddings is the prior: L_U + gamma L_S |
| `label-propagation` | L_S on pseudo-labelled batches, labels propagated every ``lp_every`` epochs (`dml_labelprop`) |
| `vae-graph`         | a VAE (no labels); labels inferred over its latents' kNN graph; L_S on them (`vae_graph`) |

The alternating routines start with the phase ``alternate_first`` names (default: supervised, so epochs
0, 2, 4, ... are supervised). Every step draws an unlabelled batch from the whole training split (a fresh
permutation each epoch) and a
labelled batch from the labelled subset (without replacement, or with it when the subset is smaller than a
batch); metric losses see labelled samples only. An epoch is ceil(N_train / batch_size) steps for every
model, so the labelled-only DML baseline gets the same number of steps as the others.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict

import numpy as np
import torch

from dmlvae.core import graphs, propagation, vae
from dmlvae.core.config import RunConfig
from dmlvae.core.priors import fitted_gmm
from dmlvae.core.progress import tqdm
from dmlvae.errors import DivergedError

# A run past these is recorded as failed (diverged), like a NaN: no loss of the paper's models comes near them
# (an image-summed reconstruction of 28x28 images is at most 784), and kNN on embeddings this far out means
# nothing. The paper's Algorithm 4 (kl="paper") is unbounded below: a run whose latents run off under it ends here.
MAX_ABS_LOSS = 1e6
MAX_EMBEDDING_NORM = 1e4


def step_weights(cfg: RunConfig, epoch: int, step: int, gamma: float | None = None) -> tuple[float, float, str]:
    """(weight of L_S, weight of L_U, phase name) at a step; ``gamma``: the joint routines' weight of L_S when it is
    derived at the start of training (``cfg.metric_share``), else ``cfg.gamma``."""
    r, a = cfg.routine, cfg.alpha
    gamma = cfg.gamma if gamma is None else gamma
    if r == "supervised":
        return 1.0, 0.0, "supervised"
    first = 0 if cfg.alternate_first == "supervised" else 1  # the parity of the supervised phases
    if r == "alternating-epoch":
        return ((1 - a), a, "supervised") if epoch % 2 == first else (0.0, a, "unsupervised")
    if r == "alternating-batch":
        return ((1 - a), a, "mixed") if step % 2 == first else (0.0, a, "mixed")
    if r == "joint":
        return gamma, 1.0, "joint"
    if r == "dml-then-gmm":
        return (1.0, 0.0, "dml") if epoch < dml_epochs(cfg) else (gamma, 1.0, "joint-gmm")
    raise ValueError(r)


def dml_epochs(cfg: RunConfig) -> int:
    return cfg.dml_epochs if cfg.dml_epochs is not None else max(1, cfg.epochs // 2)


# batches the untrained model's losses are averaged over when the metric term's weight is derived from its share
START_BATCHES = 10


@torch.no_grad()
def start_losses(
    model, x: torch.Tensor, labelled: torch.Tensor, y_lab: torch.Tensor, cfg: RunConfig, batches: int = START_BATCHES
) -> tuple[float, float]:
    """(L_S, L_U) of the untrained model: each the mean over the first ``batches`` steps' batches, drawn exactly as
    the first epoch of training draws them (an unlabelled batch from the whole training split, a labelled one from
    the labelled subset; fewer when an epoch has fewer steps). The metric loss sees the labelled batches only, as in
    training. Torch's random state is restored afterwards, so the run trains as it would without this look."""
    gen = torch.Generator().manual_seed(cfg.seed)
    n, bs = len(x), cfg.batch_size
    perm = torch.randperm(n, generator=gen)
    cuda = [x.device.index or 0] if x.device.type == "cuda" else []
    l_s, l_u = [], []
    with torch.random.fork_rng(devices=cuda):
        for step in range(min(batches, math.ceil(n / bs))):
            u_idx = perm[step * bs : (step + 1) * bs].to(x.device)
            pick = _labelled_batch(labelled, bs, gen).to(x.device)
            sup, unsup = model.both_terms(x[labelled[pick]], y_lab[pick], x[u_idx])
            l_s.append(sup["metric"].item())
            l_u.append(unsup["L_U"].item())
    return float(np.mean(l_s)), float(np.mean(l_u))


def share_gamma(share: float, l_s: float, l_u: float) -> float:
    """The weight gamma of L_S that makes the metric term ``share`` of the joint loss at the start of training:
    gamma L_S / (L_U + gamma L_S) = share, so gamma = share / (1 - share) * L_U / L_S."""
    if not (l_s > 0 and l_u > 0 and math.isfinite(l_s) and math.isfinite(l_u)):
        raise DivergedError(
            f"the untrained model's losses are L_S = {l_s:.4g}, L_U = {l_u:.4g}: a metric share "
            "needs both finite and positive (a labelled batch of one class has no triplet)"
        )
    return share / (1 - share) * l_u / l_s


def _mean(values):
    return float(np.mean(values)) if values else None


def _check_loss(loss, cfg: RunConfig, epoch: int, step: int):
    if not torch.isfinite(loss) or abs(loss.item()) > MAX_ABS_LOSS:
        raise DivergedError(
            f"loss is {loss.item():.4g} at epoch {epoch}, step {step} (limit: finite, "
            f"|loss| <= {MAX_ABS_LOSS:g}; {cfg.model}, {cfg.routine}, lr {cfg.lr:g}, "
            f"seed {cfg.seed})"
        )


def _check_norm(norm: float, cfg: RunConfig, epoch: int):
    if not math.isfinite(norm) or norm > MAX_EMBEDDING_NORM:
        raise DivergedError(
            f"mean embedding norm is {norm:.4g} at epoch {epoch} (limit {MAX_EMBEDDING_NORM:g}; "
            f"{cfg.model}, {cfg.routine}, lr {cfg.lr:g}, seed {cfg.seed})"
        )


def _labelled_batch(labelled: torch.Tensor, bs: int, gen: torch.Generator) -> torch.Tensor:
    """Positions in ``labelled`` of one labelled batch: without replacement, or with it when the subset is smaller."""
    if len(labelled) >= bs:
        return torch.randperm(len(labelled), generator=gen)[:bs]
    return torch.randint(len(labelled), (bs,), generator=gen)


def _optimiser(model, x: torch.Tensor, cfg: RunConfig) -> torch.optim.Optimizer:
    """``cfg.optimizer``: Adam (our assumption), or the plain step the paper's algorithms print (SGD, no momentum)."""
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(model.parameters(), lr=cfg.lr)
    # Adam's fused kernel: the same update, 5-10 % faster per step on one CPU thread (bench/step_options.py)
    return torch.optim.Adam(model.parameters(), lr=cfg.lr, fused=x.device.type in ("cpu", "cuda"))


def _progress(cfg: RunConfig, steps: int, progress: bool):
    """A step progress bar over every epoch (None without ``progress``)."""
    if not progress:
        return None

    return tqdm(total=cfg.epochs * steps, desc=f"{cfg.model}/{cfg.routine}", unit="step", leave=False)


def _step(opt, loss: torch.Tensor, cfg: RunConfig, epoch: int, step: int) -> None:
    """One optimiser step on ``loss``, refused (DivergedError) when the loss is not finite or has exploded."""
    _check_loss(loss, cfg, epoch, step)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()


def _embedding_norm(model, x: torch.Tensor) -> float:
    """The mean embedding norm of the first 1,024 training images (a diverging run's latents run off)."""
    with torch.no_grad():
        return float(np.linalg.norm(model.embed(x[:1024]), axis=1).mean())


def _active_triplets(model, sums) -> None:
    frac = getattr(model.metric, "last_active_fraction", None)
    if frac is not None and not math.isnan(frac):
        sums["active_triplets"].append(frac)


def _paper_step_loss(model, xl, yl, xu, w_s: float, w_u: float, inner: dict, sums, weighted):
    """The loss of one step of the paper's routines, w_s L_S + w_u L_U, each term's value recorded in ``sums`` and its
    weighted value added to ``weighted``; None when the step trains nothing (e.g. alpha = 1 and no L_U)."""
    loss = 0.0
    both = w_s > 0 and w_u > 0 and model.has_unsupervised_loss
    if both:  # one encoder pass over both batches
        sup, unsup = model.both_terms(xl, yl, xu)
    if w_s > 0:
        terms = sup if both else model.supervised_terms(xl, yl)
        loss = loss + w_s * terms["metric"]
        sums["metric"].append(terms["metric"].item())
        weighted["metric"] += w_s * sums["metric"][-1]
        _active_triplets(model, sums)
    if w_u > 0 and model.has_unsupervised_loss:
        terms = unsup if both else model.unsupervised_terms(xu)
        loss = loss + w_u * terms["L_U"]
        for k, v in terms.items():
            sums[k].append(v.item() if torch.is_tensor(v) else float(v))
        for k, w in inner.items():
            weighted[k] += w_u * w * sums[k][-1]
    return loss if torch.is_tensor(loss) else None


def _paper_epoch(model, opt, x, batches, cfg: RunConfig, epoch: int, global_step: int, gamma, sums, weighted, bar):
    """One epoch of the paper's routines (Algorithms 1-3): a step per unlabelled batch of the epoch's permutation,
    each with a labelled batch drawn beside it and the step's weights; returns the global step count after it."""
    perm, labelled, y_lab, gen = batches
    device, bs, inner = x.device, cfg.batch_size, model.unsupervised_weights
    for step in range(math.ceil(len(x) / bs)):
        u_idx = perm[step * bs : (step + 1) * bs].to(device)
        pick = _labelled_batch(labelled, bs, gen).to(device)
        w_s, w_u, _ = step_weights(cfg, epoch, global_step, gamma)
        global_step += 1
        if bar is not None:
            bar.update(1)
        loss = _paper_step_loss(model, x[labelled[pick]], y_lab[pick], x[u_idx], w_s, w_u, inner, sums, weighted)
        if loss is not None:
            _step(opt, loss, cfg, epoch, step)
            sums["loss"].append(loss.item())
    return global_step


def _epoch_row(cfg: RunConfig, epoch: int, global_step: int, gamma, start, sums, weighted, steps: int, seconds):
    """An epoch's history row: its phase, time, the means of what its steps recorded, each weighted term's mean
    over its steps, and the derived gamma (with the untrained model's losses it came from, at epoch 0)."""
    row = {
        "epoch": epoch,
        "phase": step_weights(cfg, epoch, global_step - 1, gamma)[2],
        "seconds": seconds,
        **{k: _mean(v) for k, v in sums.items()},
        # each term as it enters the loss (its weight times its value), averaged over every step of the epoch
        "weighted": {k: v / steps for k, v in weighted.items()},
    }
    if gamma is not None:
        row["gamma"] = gamma
        if epoch == 0:
            row["start_metric"], row["start_L_U"] = start
    return row


def fit(
    model,
    x: torch.Tensor,
    y: torch.Tensor,
    labelled: torch.Tensor,
    cfg: RunConfig,
    progress: bool = False,
    n_classes: int | None = None,
) -> list[dict]:
    """Train ``model`` in place on training images ``x`` (on the model's device) and return the history.

    ``labelled`` holds the indices of the labelled subset; labels outside it are never read.
    """
    if cfg.routine == "label-propagation":
        return fit_label_propagation(model, x, y, labelled, cfg, progress, n_classes)
    if cfg.routine == "vae-graph":
        return fit_vae_graph(model, x, y, labelled, cfg, progress, n_classes)
    device = x.device
    gen = torch.Generator().manual_seed(cfg.seed)  # batches: CPU generator, same draws on any device
    opt = _optimiser(model, x, cfg)
    n, bs = len(x), cfg.batch_size
    steps = math.ceil(n / bs)
    y_lab = y[labelled]
    history = []
    gamma = start = None
    if cfg.metric_share is not None:  # the weight of L_S derived from its share of the untrained model's loss
        start = start_losses(model, x, labelled, y_lab, cfg)
        gamma = share_gamma(cfg.metric_share, *start)
    # the loss terms each step weights (a term a step leaves out counts 0 in its epoch's mean): the metric loss,
    # and the unsupervised terms with their weights inside L_U (reconstruction 1, KL beta or 1)
    inner = model.unsupervised_weights
    bar = _progress(cfg, steps, progress)
    global_step = 0
    for epoch in range(cfg.epochs):
        if cfg.routine == "dml-then-gmm" and epoch == dml_epochs(cfg):
            k = cfg.gmm_components or n_classes or 10
            model.prior = fitted_gmm(model.embed(x), k, seed=cfg.seed).to(device)
        t0 = time.perf_counter()
        sums = defaultdict(list)
        weighted = dict.fromkeys(["metric", *inner], 0.0)
        perm = torch.randperm(n, generator=gen)
        batches = (perm, labelled, y_lab, gen)
        global_step = _paper_epoch(model, opt, x, batches, cfg, epoch, global_step, gamma, sums, weighted, bar)
        if "embedding_norm" not in sums:
            sums["embedding_norm"].append(_embedding_norm(model, x))
        _check_norm(float(np.mean(sums["embedding_norm"])), cfg, epoch)
        row = _epoch_row(cfg, epoch, global_step, gamma, start, sums, weighted, steps, time.perf_counter() - t0)
        history.append(row)
        if bar is not None:
            bar.set_postfix(loss=row.get("loss"), epoch=epoch)
    if bar is not None:
        bar.close()
    return history


def _metric_epoch(model, opt, batches, x, cfg: RunConfig, epoch: int, bar=None) -> tuple[dict, float]:
    """One epoch of the metric loss alone over ``batches`` ((images, labels) pairs; the routines that train DML on
    pseudo- or inferred labels): each step checked for divergence; returns each step's metric loss and fraction of
    active triplets (``sums``), and the embedding norm after the epoch (checked)."""
    sums = defaultdict(list)
    for step, (xb, yb) in enumerate(batches):
        if bar is not None:
            bar.update(1)
        loss = model.supervised_terms(xb, yb)["metric"]
        _step(opt, loss, cfg, epoch, step)
        sums["metric"].append(loss.item())
        _active_triplets(model, sums)
    norm = _embedding_norm(model, x)
    _check_norm(norm, cfg, epoch)
    return sums, norm


def propagate(
    model, x: torch.Tensor, labelled: np.ndarray, y_labelled: np.ndarray, cfg: RunConfig, n_classes: int, pixels: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pseudo-labels, certainties and sampling weights of every training image, propagated from the labelled
    ones over a kNN graph of the images' PCA (``pixels``) or of the model's current embedding."""
    feats = propagation.pixel_features(x.cpu().numpy(), cfg.seed) if pixels else model.embed(x)
    S = propagation.knn_graph(feats, cfg.lp_k)
    F = propagation.spread(S, labelled, y_labelled, n_classes, cfg.lp_alpha)
    return propagation.pseudo_labels(F, labelled, y_labelled)


def fit_label_propagation(
    model, x, y, labelled, cfg: RunConfig, progress: bool = False, n_classes: int | None = None
) -> list[dict]:
    """The ``label-propagation`` routine (model ``dml_labelprop``; Iscen et al. 2019): at epochs 0, lp_every,
    2 lp_every, ... labels are propagated from the labelled images to all (:mod:`dmlvae.core.propagation`); each step's
    batch is drawn from all training images with probability proportional to certainty / pseudo-class size, and
    the metric loss sees their pseudo-labels (the labelled images keep their own). With ``lp_first_graph="latent"``
    the first lp_every epochs train DML on the labelled images alone, and the first graph is of that embedding.

    Every propagation's pseudo-labels are kept in ``model.pseudo_label_history`` (for scoring after training);
    labels outside ``labelled`` are never read.
    """
    device = x.device
    gen = torch.Generator().manual_seed(cfg.seed)
    opt = _optimiser(model, x, cfg)
    n, bs = len(x), cfg.batch_size
    steps = math.ceil(n / bs)
    lab = labelled.cpu().numpy()
    y_lab = y[labelled]
    y_lab_np = y_lab.cpu().numpy()
    n_classes = n_classes or int(y_lab_np.max()) + 1
    model.pseudo_label_history = []
    pseudo = weights = None
    history = []
    bar = _progress(cfg, steps, progress)
    for epoch in range(cfg.epochs):
        t0 = time.perf_counter()
        row = {"epoch": epoch}
        warmup = cfg.lp_first_graph == "latent" and epoch < cfg.lp_every
        if not warmup and (epoch % cfg.lp_every == 0 or pseudo is None):
            labels, certainty, w = propagate(
                model, x, lab, y_lab_np, cfg, n_classes, pixels=cfg.lp_first_graph == "pixels" and pseudo is None
            )
            pseudo, weights = torch.as_tensor(labels).to(device), torch.as_tensor(w, dtype=torch.float64)
            model.pseudo_label_history.append(labels)
            row.update(propagated=True, certainty=float(certainty.mean()), propagation_seconds=time.perf_counter() - t0)

        def batches():  # drawn one at a time, as the steps ask for them
            for _ in range(steps):
                if warmup:
                    pick = _labelled_batch(labelled, bs, gen).to(device)
                    yield x[labelled[pick]], y_lab[pick]
                else:
                    i = torch.multinomial(weights, bs, replacement=True, generator=gen).to(device)
                    yield x[i], pseudo[i]

        sums, norm = _metric_epoch(model, opt, batches(), x, cfg, epoch, bar)
        row.update(
            phase="dml (labelled only)" if warmup else "pseudo-labelled",
            seconds=time.perf_counter() - t0,
            loss=_mean(sums["metric"]),
            embedding_norm=norm,
            **{k: _mean(v) for k, v in sums.items()},
        )
        history.append(row)
    if bar is not None:
        bar.close()
    return history


def _graph_labels(features, lab, y_lab, n_classes: int, cfg: RunConfig, join: bool = False) -> np.ndarray:
    """Labels inferred over the kNN graph of ``features`` from the labelled images' (``lab``, ``y_lab``) only; with
    ``join``, its components joined first (graphs.connect_components)."""
    W = graphs.knn_weights(features, cfg.graph_k)
    if join:
        W = graphs.connect_components(W, features)
    return graphs.infer(W, lab, y_lab, n_classes, cfg.graph_method, cfg.graph_priors)


def _inferred_label_epochs(model, opt, x, pseudo, cfg: RunConfig, gen, bar, first: int) -> list[dict]:
    """``cfg.epochs`` epochs of DML on batches drawn uniformly from all training images, each with its label in
    ``pseudo``; the history rows numbered from ``first``."""
    n, bs, rows = len(x), cfg.batch_size, []
    for epoch in range(first, first + cfg.epochs):
        te = time.perf_counter()
        perm = torch.randperm(n, generator=gen).to(x.device)
        sums, norm = _metric_epoch(model, opt, ((x[b], pseudo[b]) for b in perm.split(bs)), x, cfg, epoch, bar)
        rows.append(
            {
                "epoch": epoch,
                "phase": "inferred-label DML",
                "seconds": time.perf_counter() - te,
                "loss": _mean(sums["metric"]),
                "embedding_norm": norm,
                **{k: _mean(v) for k, v in sums.items()},
                "weighted": {"metric": _mean(sums["metric"])},
            }
        )
    return rows


def fit_vae_graph(
    model, x, y, labelled, cfg: RunConfig, progress: bool = False, n_classes: int | None = None
) -> list[dict]:
    """The ``vae-graph`` routine (model ``vae_graph``, beyond the paper): (1) a plain VAE on the training images, no
    label read (:mod:`dmlvae.core.vae`, MLP or conv by ``vae_net``; reused from its cache when the same images,
    settings and seed were trained before); (2) the graph's features, the VAE latents or UMAP of them
    (``graph_embedding``, fitted on the training images only), their kNN graph (the training images only:
    inductive) and labels inferred over it from the labelled images by Poisson-MBO or Poisson learning
    (:mod:`dmlvae.core.graphs`, graphlearning); (3) ``epochs`` of DML (the model's own encoder and metric loss) on
    batches drawn uniformly from all training images, each with its inferred label (the labelled images keep their
    own). With ``graph_rounds`` > 1, each later round rebuilds the graph on the DML latents, infers the labels
    again and trains ``epochs`` more epochs of DML on them (self-training).

    ``model.graph`` keeps the VAE encoder, the graph's training features, the function placing new images' VAE
    latents among them and the last inferred labels, for scoring after training (train.run); labels outside
    ``labelled`` are never read."""
    lab = labelled.cpu().numpy()
    y_lab = y[labelled].cpu().numpy()
    n_classes = n_classes or int(y_lab.max()) + 1
    t0 = time.perf_counter()
    enc, info = vae.encoder(x, cfg.vae_lsdim, cfg.vae_hidden, cfg.vae_epochs, cfg.seed, net=cfg.vae_net)
    t1 = time.perf_counter()
    features, place = graphs.embedding(
        cfg.graph_embedding,
        vae.embed(enc, x),
        cfg.graph_umap_neighbors,
        cfg.graph_umap_dim,
        cfg.graph_umap_min_dist,
        cfg.seed,
    )
    # UMAP's tight clusters (min_dist 0) can leave the kNN graph in pieces: joined (the VAE latents' graph is
    # left exactly as the graph grid's rows were made)
    inferred = _graph_labels(features, lab, y_lab, n_classes, cfg, join=cfg.graph_embedding == "umap")
    graph_seconds = time.perf_counter() - t1
    model.graph = {"vae_encoder": enc, "labels": inferred, "z_train": features, "place": place}
    model.pseudo_label_history = [inferred]
    first = {**info, "graph_seconds": graph_seconds}
    return _graph_rounds(model, x, lab, y_lab, n_classes, cfg, progress, first, t0)


def _graph_rounds(model, x, lab, y_lab, n_classes: int, cfg: RunConfig, progress: bool, first: dict, t0) -> list[dict]:
    """The DML step on the inferred labels (``model.graph["labels"]``), ``cfg.graph_rounds`` times: each round after
    the first infers the labels again over the graph of the DML latents (self-training). The first epoch's row
    takes ``first`` (the VAE's and the graph's bookkeeping) and the setup's seconds since ``t0``."""
    gen = torch.Generator().manual_seed(cfg.seed)
    opt = _optimiser(model, x, cfg)
    history, inferred = [], model.graph["labels"]
    bar = _progress(cfg, math.ceil(len(x) / cfg.batch_size) * cfg.graph_rounds, progress)
    for rnd in range(cfg.graph_rounds):
        tr = time.perf_counter()
        if rnd:  # self-training: the graph of the DML latents, the labels inferred again
            inferred = _graph_labels(model.embed(x), lab, y_lab, n_classes, cfg, join=True)  # DML's clusters too
            model.graph["labels"] = inferred
            model.pseudo_label_history.append(inferred)
        pseudo = torch.as_tensor(inferred).to(x.device)
        rows = _inferred_label_epochs(model, opt, x, pseudo, cfg, gen, bar, len(history))
        if rnd == 0:
            rows[0].update(first, setup_seconds=time.perf_counter() - t0 - rows[0]["seconds"])
        else:
            rows[0].update(graph_seconds=time.perf_counter() - tr - sum(r["seconds"] for r in rows))
        if cfg.graph_rounds > 1:
            for r in rows:
                r["round"] = rnd + 1
        history += rows
    if bar is not None:
        bar.close()
    return history
