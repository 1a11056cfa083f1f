"""Which CPU step options pay off: seconds per epoch of dmlvae's own loop (``routines.fit``) on MNIST under each
option, one process at a time, best of N after a warm-up. Prints a markdown table and writes
bench/out/step_options.json.

    .venv/bin/python bench/step_options.py [--models dml mvae] [--train-subset N] [--repeats 2]

Options: ``threads`` (torch threads of the run) and ``fused-adam`` (Adam's fused CPU kernel). bf16 autocast
is not offered: on a CPU without AMX/avx512_bf16 it is many times slower (measure with --bf16).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import time
from pathlib import Path

import torch

from dmlvae.core import models, routines
from dmlvae.core.config import RunConfig
from dmlvae.core.train import prepare


@contextlib.contextmanager
def option(threads: int, fused: bool, bf16: bool):
    old_threads, old_adam = torch.get_num_threads(), torch.optim.Adam
    torch.set_num_threads(threads)
    if fused:
        torch.optim.Adam = functools.partial(old_adam, fused=True)
    ctx = torch.autocast("cpu", dtype=torch.bfloat16) if bf16 else contextlib.nullcontext()
    try:
        with ctx:
            yield
    finally:
        torch.set_num_threads(old_threads)
        torch.optim.Adam = old_adam


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", nargs="+", default=["dml", "dml_autoencoder", "mvae"])
    ap.add_argument("--train-subset", type=int, default=None)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--bf16", action="store_true", help="also time bf16 autocast")
    args = ap.parse_args(argv)
    variants = [
        ("2 threads", 2, False, False),
        ("1 thread", 1, False, False),
        ("2 threads, fused Adam", 2, True, False),
        ("1 thread, fused Adam", 1, True, False),
    ]
    if args.bf16:
        variants.append(("2 threads, bf16", 2, False, True))
    rows = []
    for name in args.models:
        cfg = RunConfig(
            dataset="mnist",
            model=name,
            pl_pct=10,
            lsdim=10,
            epochs=1,
            train_subset=args.train_subset,
            device="cpu",
            seed=0,
        )
        ds, x, y, labelled, _, _ = prepare(cfg)

        def fresh():
            torch.manual_seed(0)
            return models.build(cfg, ds.image_shape, ds.n_classes, x[: cfg.n_pseudo])

        for label, threads, fused, bf16 in variants:
            with option(threads, fused, bf16):
                small = cfg.replace(train_subset=2 * cfg.batch_size)
                _, xs, ys, ls, _, _ = prepare(small)
                routines.fit(fresh(), xs, ys, ls, small)  # warm-up
                best = float("inf")
                for _ in range(args.repeats):
                    model, t = fresh(), time.perf_counter()
                    history = routines.fit(model, x, y, labelled, cfg)
                    best = min(best, time.perf_counter() - t)
            rows.append(
                {"model": name, "option": label, "s_per_epoch": round(best, 2), "final_loss": history[-1]["loss"]}
            )
            print(rows[-1], flush=True)
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    (out / "step_options.json").write_text(json.dumps(rows, indent=2))
    print("| model | option | s/epoch | final loss |\n|---|---|---|---|")
    for r in rows:
        print(f"| {r['model']} | {r['option']} | {r['s_per_epoch']} | {r['final_loss']:.4f} |")


if __name__ == "__main__":
    main()
