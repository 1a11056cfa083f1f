"""Can a cheap profile tell the paper profile's story on claims 1-3? Trains Tables 1 and 2 (Table 2 on the
stand-in) under the quick profile with other training-set sizes / epochs / seeds, then prints each claim's
verdict beside the shipped paper profile's (results/paper.jsonl). Writes the runs to
bench/out/quick_calibration/N_E.jsonl (resumable) and the verdicts to bench/out/quick_calibration.md.

    .venv/bin/python bench/quick_calibration.py --train-subset 20000 --epochs 2 --seeds 3
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import pandas as pd

from dmlvae import experiments, scorecard

OUT = Path(__file__).resolve().parent / "out"
CLAIMS = ("1", "2", "3")


def verdicts(results, profile: str) -> pd.DataFrame:
    cards = scorecard.all_claims(results, profile)
    cards = cards[cards.claim.str[0].isin(CLAIMS)]
    return cards.set_index(["claim", "protocol"])[["verdict", "evidence"]]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train-subset", type=int, default=20000)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--seeds", type=int, default=3)
    args = ap.parse_args(argv)
    quick = experiments.PROFILES["quick"]
    experiments.PROFILES["quick"] = {**quick, "train_subset": args.train_subset, "epochs": args.epochs}
    results = OUT / "quick_calibration" / f"{args.train_subset}_{args.epochs}.jsonl"
    t0 = time.perf_counter()
    for table, dataset in ((1, None), (2, "fashion-mnist")):
        experiments.sweep(table, "quick", args.seeds, results, dataset=dataset, progress=False)
    rows = [json.loads(line) for line in results.read_text().splitlines()]
    wall = sum(r["wall_time"] for r in rows if r["seed"] < args.seeds)
    ours = verdicts(results, "quick")
    paper = verdicts(experiments.SHIPPED, "paper")
    both = ours.assign(**{"verdict (paper profile)": paper["verdict"].reindex(ours.index).fillna("not run")})
    theirs = both["verdict (paper profile)"]
    both["agree"] = [("-" if t == "not run" else "yes" if o == t else "**no**") for o, t in zip(both.verdict, theirs)]
    title = (f"## quick with {args.train_subset} training images, {args.epochs} epochs, {args.seeds} seeds "
             f"(Tables 1 and 2: {wall:.0f} s of training; this call {time.perf_counter() - t0:.0f} s)")
    text = title + "\n\n" + both[["verdict", "verdict (paper profile)", "agree", "evidence"]].to_markdown() + "\n"
    print(text)
    with open(OUT / "quick_calibration.md", "a") as f:
        f.write(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
