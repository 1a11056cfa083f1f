"""``python -m dmlvae COMMAND``: the command line. Errors in user input print one line and exit 2."""
from __future__ import annotations

import argparse
import json
import sys

from . import data
from .errors import DmlvaeError


def _data(args) -> dict:
    ds = data.load(args.name, data_dir=args.data_dir, download=not args.no_download)
    return ds.summary(pl_pct=args.pl_pct, seed=args.seed, policy=args.policy)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m dmlvae", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser("data", help="load a dataset and print its splits and label counts as JSON")
    d.add_argument("name", help=f"one of: {', '.join(data.DATASETS)}")
    d.add_argument("--pl-pct", default=None, help="percent of the training split labelled (0 < P <= 100)")
    d.add_argument("--seed", default=0, help="seed of the labelled subset (default 0)")
    d.add_argument("--policy", default="uniform", help=f"labelled-subset policy: {', '.join(data.POLICIES)}")
    d.add_argument("--data-dir", default=None, help="data directory (default $DMLVAE_DATA or ~/.cache/dmlvae)")
    d.add_argument("--no-download", action="store_true", help="never try the network")
    d.set_defaults(func=_data, output="json")
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result = args.func(args)
    except DmlvaeError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if result is not None:
        print(json.dumps(result, indent=2))
    return 0
