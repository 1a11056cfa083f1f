"""Training routines: how the supervised loss L_S and the unsupervised loss L_U are weighted, step by step.

| routine             | loss at a step                                                                 |
|---------------------|--------------------------------------------------------------------------------|
| `supervised`        | L_S (the DML baseline)                                                          |
| `alternating-epoch` | supervised epochs: (1 - alpha) L_S + alpha L_U; unsupervised epochs: alpha L_U (the paper) |
| `alternating-batch` | the same alternation, per step instead of per epoch                            |
| `joint`             | L_U + gamma L_S (Table 4)                                                       |
| `dml-then-gmm`      | L_S for ``dml_epochs``; then a GMM fitted to the training embeddings becomes the prior: L_U + gamma L_S |

The alternating routines start with the phase ``alternate_first`` names (default: supervised, so epochs
0, 2, 4, ... are supervised). Every step draws an unlabelled batch from the whole training split (a fresh permutation each epoch) and a
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

from .config import RunConfig
from .priors import fitted_gmm


class DivergedError(RuntimeError):
    """The loss became NaN, infinite or exploded, or the embeddings ran off; the message says where."""


# A run past these is recorded as failed (diverged), like a NaN: no loss of the paper's models comes near them
# (an image-summed reconstruction of 28x28 images is at most 784), and kNN on embeddings this far out means
# nothing. The paper's Algorithm 4 (kl="paper") is unbounded below and ends here by design.
MAX_ABS_LOSS = 1e6
MAX_EMBEDDING_NORM = 1e4


def step_weights(cfg: RunConfig, epoch: int, step: int) -> tuple[float, float, str]:
    """(weight of L_S, weight of L_U, phase name) at a step."""
    r, a = cfg.routine, cfg.alpha
    if r == "supervised":
        return 1.0, 0.0, "supervised"
    first = 0 if cfg.alternate_first == "supervised" else 1  # the parity of the supervised phases
    if r == "alternating-epoch":
        return ((1 - a), a, "supervised") if epoch % 2 == first else (0.0, a, "unsupervised")
    if r == "alternating-batch":
        return ((1 - a), a, "mixed") if step % 2 == first else (0.0, a, "mixed")
    if r == "joint":
        return cfg.gamma, 1.0, "joint"
    if r == "dml-then-gmm":
        return (1.0, 0.0, "dml") if epoch < dml_epochs(cfg) else (cfg.gamma, 1.0, "joint-gmm")
    raise ValueError(r)


def dml_epochs(cfg: RunConfig) -> int:
    return cfg.dml_epochs if cfg.dml_epochs is not None else max(1, cfg.epochs // 2)


def _mean(values):
    return float(np.mean(values)) if values else None


def fit(model, x: torch.Tensor, y: torch.Tensor, labelled: torch.Tensor, cfg: RunConfig,
        progress: bool = False, n_classes: int | None = None) -> list[dict]:
    """Train ``model`` in place on training images ``x`` (on the model's device) and return the history.

    ``labelled`` holds the indices of the labelled subset; labels outside it are never read.
    """
    device = x.device
    gen = torch.Generator().manual_seed(cfg.seed)  # batches: CPU generator, same draws on any device
    # Adam's fused kernel: the same update, 5-10 % faster per step on one CPU thread (bench/step_options.py)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, fused=device.type in ("cpu", "cuda"))
    n, bs = len(x), cfg.batch_size
    steps = math.ceil(n / bs)
    y_lab = y[labelled]
    history = []
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=cfg.epochs * steps, desc=f"{cfg.model}/{cfg.routine}", unit="step", leave=False)
    global_step = 0
    for epoch in range(cfg.epochs):
        if cfg.routine == "dml-then-gmm" and epoch == dml_epochs(cfg):
            z = model.embed(x)
            k = cfg.gmm_components or n_classes or 10
            model.prior = fitted_gmm(z, k, seed=cfg.seed).to(device)
        t0 = time.perf_counter()
        sums = defaultdict(list)
        perm = torch.randperm(n, generator=gen)
        for step in range(steps):
            u_idx = perm[step * bs:(step + 1) * bs].to(device)
            if len(labelled) >= bs:
                pick = torch.randperm(len(labelled), generator=gen)[:bs]
            else:
                pick = torch.randint(len(labelled), (bs,), generator=gen)
            pick = pick.to(device)
            w_s, w_u, _ = step_weights(cfg, epoch, global_step)
            global_step += 1
            if bar is not None:
                bar.update(1)
            loss = 0.0
            both = w_s > 0 and w_u > 0 and model.has_unsupervised_loss
            if both:  # one encoder pass over both batches
                sup, unsup = model.both_terms(x[labelled[pick]], y_lab[pick], x[u_idx])
            if w_s > 0:
                terms = sup if both else model.supervised_terms(x[labelled[pick]], y_lab[pick])
                loss = loss + w_s * terms["metric"]
                sums["metric"].append(terms["metric"].item())
                frac = getattr(model.metric, "last_active_fraction", None)
                if frac is not None and not math.isnan(frac):
                    sums["active_triplets"].append(frac)
            if w_u > 0 and model.has_unsupervised_loss:
                terms = unsup if both else model.unsupervised_terms(x[u_idx])
                loss = loss + w_u * terms["L_U"]
                for k_, v in terms.items():
                    sums[k_].append(v.item() if torch.is_tensor(v) else float(v))
            if not torch.is_tensor(loss):  # nothing to train at this step (e.g. alpha = 1 and no L_U)
                continue
            if not torch.isfinite(loss) or abs(loss.item()) > MAX_ABS_LOSS:
                raise DivergedError(f"loss is {loss.item():.4g} at epoch {epoch}, step {step} (limit: finite, "
                                    f"|loss| <= {MAX_ABS_LOSS:g}; {cfg.model}, {cfg.routine}, lr {cfg.lr:g}, "
                                    f"seed {cfg.seed})")
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sums["loss"].append(loss.item())
        if "embedding_norm" not in sums:
            with torch.no_grad():
                sums["embedding_norm"].append(float(np.linalg.norm(model.embed(x[:1024]), axis=1).mean()))
        norm = float(np.mean(sums["embedding_norm"]))
        if not math.isfinite(norm) or norm > MAX_EMBEDDING_NORM:
            raise DivergedError(f"mean embedding norm is {norm:.4g} at epoch {epoch} (limit {MAX_EMBEDDING_NORM:g}; "
                                f"{cfg.model}, {cfg.routine}, lr {cfg.lr:g}, seed {cfg.seed})")
        row = {"epoch": epoch, "phase": step_weights(cfg, epoch, global_step - 1)[2],
               "seconds": time.perf_counter() - t0}
        row.update({k_: _mean(v) for k_, v in sums.items()})
        history.append(row)
        if bar is not None:
            bar.set_postfix(loss=row.get("loss"), epoch=epoch)
    if bar is not None:
        bar.close()
    return history
