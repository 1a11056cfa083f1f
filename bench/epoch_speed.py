"""Seconds per training epoch on MNIST, per model: dmlvae's loop (tensors on the device, batches drawn by
index) against a naive reference loop (torch DataLoaders over per-item Datasets) training the same model
with the same losses, in the same process. Prints a markdown table and writes bench/out/epoch_speed.json.

    .venv/bin/python bench/epoch_speed.py [--epochs 1] [--train-subset N] [--models dml mvae ...]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import torch
from torch.utils.data import DataLoader, Dataset, RandomSampler

from dmlvae.core import models, routines
from dmlvae.core.config import MODELS, RunConfig
from dmlvae.core.train import prepare


class PerItem(Dataset):
    def __init__(self, x, y):
        self.x, self.y = x, y

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


def naive_epoch(model, x, y, labelled, cfg):
    """The textbook loop: two DataLoaders, per-item indexing and collation, same loss weighting."""
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    unl = DataLoader(PerItem(x, y), batch_size=cfg.batch_size, shuffle=True)
    lab_ds = PerItem(x[labelled], y[labelled])
    lab = DataLoader(
        lab_ds, batch_size=cfg.batch_size, sampler=RandomSampler(lab_ds, replacement=True, num_samples=len(x))
    )
    for step, ((xu, _), (xl, yl)) in enumerate(zip(unl, lab)):
        w_s, w_u, _ = routines.step_weights(cfg, 0, step)
        loss = w_s * model.supervised_terms(xl, yl)["metric"]
        if w_u > 0 and model.has_unsupervised_loss:
            loss = loss + w_u * model.unsupervised_terms(xu)["L_U"]
        opt.zero_grad()
        loss.backward()
        opt.step()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--train-subset", type=int, default=None)
    ap.add_argument("--models", nargs="+", default=list(MODELS))
    ap.add_argument("--device", default="auto")
    ap.add_argument("--repeats", type=int, default=2, help="time each loop this many times, keep the fastest")
    args = ap.parse_args(argv)
    rows = []
    for name in args.models:
        cfg = RunConfig(
            dataset="mnist",
            model=name,
            pl_pct=10,
            lsdim=4 if name == "dml_gmm_prior" else 10,
            epochs=args.epochs,
            train_subset=args.train_subset,
            device=args.device,
            seed=0,
        )
        ds, x, y, labelled, _, _ = prepare(cfg)
        init = x[: cfg.n_pseudo]

        def fresh():
            torch.manual_seed(0)
            return models.build(cfg, ds.image_shape, ds.n_classes, init).to(x.device)

        def time_ours():
            model, t = fresh(), time.perf_counter()
            routines.fit(model, x, y, labelled, cfg)
            return (time.perf_counter() - t) / cfg.epochs

        def time_naive():
            model, t = fresh(), time.perf_counter()
            for _ in range(cfg.epochs):
                naive_epoch(model, x, y, labelled, cfg)
            return (time.perf_counter() - t) / cfg.epochs

        # warm up both paths (allocator, thread pools) on a few batches, then alternate, keep the fastest
        small = cfg.replace(epochs=1, train_subset=2 * cfg.batch_size)
        _, xs, ys, ls, _, _ = prepare(small)
        routines.fit(fresh(), xs, ys, ls, small)
        naive_epoch(fresh(), xs, ys, ls, small)
        ours, naive = float("inf"), float("inf")
        for _ in range(args.repeats):
            ours, naive = min(ours, time_ours()), min(naive, time_naive())
        rows.append(
            {
                "model": name,
                "routine": cfg.routine,
                "n_train": len(x),
                "steps": math.ceil(len(x) / cfg.batch_size),
                "dmlvae_s_per_epoch": round(ours, 2),
                "naive_s_per_epoch": round(naive, 2),
                "speedup": round(naive / ours, 2),
                "device": str(x.device),
                "threads": torch.get_num_threads(),
            }
        )
        print(rows[-1], file=sys.stderr, flush=True)
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    (out / "epoch_speed.json").write_text(json.dumps(rows, indent=2))
    print("| model | routine | steps/epoch | dmlvae s/epoch | naive s/epoch | speed-up |\n|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['model']} | {r['routine']} | {r['steps']} | {r['dmlvae_s_per_epoch']} | "
            f"{r['naive_s_per_epoch']} | {r['speedup']}x |"
        )


if __name__ == "__main__":
    main()
