"""Copy the quick profile's runs of every scorecard claim source into the shipped file the paper-profile
scorecard flags the miniature's verdicts from (`results/quick-scorecard.jsonl`).

    python tools/ship_quick_rows.py [--src results/quick.jsonl] [--dst results/quick-scorecard.jsonl]

Store the quick runs first (`make book PROFILE=quick`, 2 seeds). It refuses, naming what is missing, unless the
source holds every run at the current training-code version (`dmlvae.version`): regenerate after a version bump.
"""

from __future__ import annotations

import argparse
import sys

from dmlvae import errors
from dmlvae.analysis import scorecard
from dmlvae.experiments import profiles


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--src", default=str(profiles.results_path("quick")))
    ap.add_argument("--dst", default=str(scorecard.SHIPPED_QUICK))
    args = ap.parse_args(argv)
    try:
        n = scorecard.ship_quick_rows(args.src, args.dst)
    except errors.DmlvaeError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"{args.dst}: {n} quick runs of the scorecard's claim sources")
    return 0


if __name__ == "__main__":
    sys.exit(main())
