"""Can a cheap profile tell the paper profile's story? Trains the sources of the chosen claims under the quick
profile with other training-set sizes / epochs / seeds, then prints each claim's verdict beside the shipped paper
profile's (results/paper.jsonl). Claims 1-3: Tables 1 and 2 (Table 2 on the stand-in); claim 6: the alternating
MetricVAE grid; claim 7: Table 4. Writes the runs to bench/out/quick_calibration/N_E.jsonl (resumable, shared by
the claims) and the verdicts to bench/out/quick_calibration.md.

    .venv/bin/python bench/quick_calibration.py --train-subset 20000 --epochs 2 --seeds 3
    .venv/bin/python bench/quick_calibration.py --claims 6,7 --train-subset 12000 --epochs 2 --seeds 2
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import pandas as pd

from dmlvae.analysis import scorecard
from dmlvae.experiments import grids, profiles, sweep

OUT = Path(__file__).resolve().parent / "out"
SOURCES = {
    "1": [(1, None), (2, "fashion-mnist")],
    "2": [(1, None), (2, "fashion-mnist")],
    "3": [(1, None), (2, "fashion-mnist")],
    "6": [("mvae-alternating", None)],
    "7": [(4, None)],
}


def verdicts(results, profile: str, claims) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # claims whose sources this call did not train
        cards = scorecard.all_claims(results, profile)
    cards = cards[cards.claim.str.split().str[0].isin(claims)]
    return cards.set_index(["claim", "protocol"])[["verdict", "evidence"]]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train-subset", type=int, default=20000)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--claims", default="1,2,3", help=f"comma-separated, of {', '.join(SOURCES)}")
    args = ap.parse_args(argv)
    claims = args.claims.split(",")
    bad = [c for c in claims if c not in SOURCES]
    if bad:
        ap.error(f"--claims: {', '.join(bad)} not calibrated here; allowed: {', '.join(SOURCES)}")
    sources = list(dict.fromkeys(s for c in claims for s in SOURCES[c]))
    quick = profiles.PROFILES["quick"]
    profiles.PROFILES["quick"] = {**quick, "train_subset": args.train_subset, "epochs": args.epochs}
    profiles.GRID_PROFILES["quick"] = {}  # the setting measured here applies to every grid alike
    results = OUT / "quick_calibration" / f"{args.train_subset}_{args.epochs}.jsonl"
    t0 = time.perf_counter()
    for source, dataset in sources:
        if isinstance(source, int):
            sweep.sweep(source, "quick", args.seeds, results, dataset=dataset, progress=False)
        else:
            cfgs = profiles.profile_configs(grids.cells(source), "quick", args.seeds, grid=source)
            sweep.run_configs(source, "quick", cfgs, results, progress=False)
    rows = [json.loads(line) for line in results.read_text().splitlines()]
    wall = sum(r["wall_time"] for r in rows if r["seed"] < args.seeds and r["table"] in {s for s, _ in sources})
    ours = verdicts(results, "quick", claims)
    paper = verdicts(profiles.SHIPPED, "paper", claims)
    both = ours.assign(**{"verdict (paper profile)": paper["verdict"].reindex(ours.index).fillna("not run")})
    theirs = both["verdict (paper profile)"]
    both["agree"] = [("-" if t == "not run" else "yes" if o == t else "no") for o, t in zip(both.verdict, theirs)]
    title = (
        f"## quick with {args.train_subset} training images, {args.epochs} epochs, {args.seeds} seeds "
        f"(claims {args.claims}: {wall:.0f} s of training; this call {time.perf_counter() - t0:.0f} s)"
    )
    text = title + "\n\n" + both[["verdict", "verdict (paper profile)", "agree", "evidence"]].to_markdown() + "\n"
    print(text)
    with open(OUT / "quick_calibration.md", "a") as f:
        f.write(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
