"""One training run end to end: data -> labelled subset -> model -> routine -> test latents -> metrics."""
from __future__ import annotations

import time

import numpy as np
import torch

from . import __version__, data, evaluate, models, routines
from .config import RunConfig


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def prepare(cfg: RunConfig):
    """Load the dataset and return (dataset, x_train, y_train, labelled indices, x_test, y_test) as tensors."""
    ds = data.load(cfg.dataset, data_dir=cfg.data_dir)
    x_tr, y_tr = ds.split("train")
    x_te, y_te = ds.split("test")
    if cfg.train_subset:
        x_tr, y_tr = x_tr[: cfg.train_subset], y_tr[: cfg.train_subset]
    if cfg.test_subset:
        x_te, y_te = x_te[: cfg.test_subset], y_te[: cfg.test_subset]
    labelled = data.labelled_subset(y_tr, cfg.pl_pct, seed=cfg.seed, policy=cfg.policy)
    dev = resolve_device(cfg.device)
    t = lambda a: torch.as_tensor(a).to(dev)  # noqa: E731
    return ds, t(x_tr), t(y_tr), t(labelled), t(x_te), y_te


def run(cfg: RunConfig, progress: bool = False, keep_model: bool = False) -> dict:
    """Train and evaluate one configuration; return a JSON-able result (and the latents under ``z_test``)."""
    t0 = time.perf_counter()
    torch.manual_seed(cfg.seed)
    np.random.seed(cfg.seed)
    ds, x, y, labelled, x_te, y_te = prepare(cfg)
    gen = torch.Generator().manual_seed(cfg.seed)
    init = x[torch.randperm(len(x), generator=gen)[: cfg.n_pseudo].to(x.device)] if cfg.model == "mvae" else None
    model = models.build(cfg, ds.image_shape, ds.n_classes, init_images=init).to(x.device)
    history = routines.fit(model, x, y, labelled, cfg, progress=progress, n_classes=ds.n_classes)
    z_te = model.embed(x_te)
    metrics = evaluate.knn_test_cv(z_te, y_te, seed=cfg.seed)
    out = {
        "config": cfg.to_dict(), "key": cfg.key(), "version": __version__,
        "dataset_used": ds.name, "source": ds.source, "device": str(x.device),
        "n_train": int(len(x)), "n_labelled": int(len(labelled)), "n_test": int(len(y_te)),
        "history": history, "metrics": metrics, "wall_time": time.perf_counter() - t0,
        "z_test": z_te, "y_test": y_te,
    }
    if keep_model:
        out["model"] = model
    return out
