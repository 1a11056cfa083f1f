"""``python -m dmlvae COMMAND``: the command line. Errors in user input print one line and exit 2.

Each subcommand imports the modules it needs when it runs (the one exception to the package's rule of top-level
imports): nothing imports the CLI, so no import circle can hide here, and ``python -m dmlvae --help`` or ``data``
does not load torch's training stack, pandas and scipy first (1.5 s instead of 3.5 s on 2 cores).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import sys
import warnings
from pathlib import Path

from dmlvae.core import data
from dmlvae.core.config import MAX_SEED, RunConfig
from dmlvae.errors import DivergedError, DmlvaeError, choice, number
from dmlvae.experiments import grids, paper, profiles
from dmlvae.experiments.grids import GRIDS
from dmlvae.experiments.paper import TABLES
from dmlvae.experiments.profiles import PROFILES


def _data(args) -> dict:
    choice("policy", args.policy, data.POLICIES)  # checked even when --pl-pct is absent (it is then unused)
    number("seed", args.seed, low=0, high=MAX_SEED, integer=True)
    ds = data.load(args.name, data_dir=args.data_dir, download=not args.no_download)
    return ds.summary(pl_pct=args.pl_pct, seed=args.seed, policy=args.policy)


def write_json_atomic(path: Path, obj) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(obj, indent=2))
    os.replace(tmp, path)


def _threads(args) -> None:
    """``--threads N``: torch's CPU threads for the runs of this process (an exact re-run of a stored row needs
    the thread count it records, ``threads``: float sums are taken in another order on another count)."""
    # imported on use, as the module docstring says
    import torch

    if args.threads is not None:
        torch.set_num_threads(number("--threads", args.threads, low=1, high=MAX_THREADS, integer=True))


MAX_THREADS = 1024


def _train(args):

    # imported on use, as the module docstring says
    from dmlvae.core.train import check_device, run
    from dmlvae.experiments.store import LATENT_KEYS, check_writable, save_latents

    fields = {
        f.name: getattr(args, f.name) for f in dataclasses.fields(RunConfig) if getattr(args, f.name, None) is not None
    }
    cfg = RunConfig(**fields)
    check_device(cfg.device)  # every check before the first step: nothing is lost to a late error
    if args.out:
        check_writable(args.out, "--out")
    if args.save_latents:
        check_writable(args.save_latents, "--save-latents")
    progress = sys.stderr.isatty() if args.progress is None else args.progress
    _threads(args)
    result = run(cfg, progress=progress)
    latents = {k: result.pop(k) for k in LATENT_KEYS}
    if args.save_latents:
        save_latents(args.save_latents, latents)
    if args.out:
        write_json_atomic(args.out, result)
    return {
        "key": result["key"],
        "metrics": result["metrics"],
        "wall_time": round(result["wall_time"], 2),
        "n_labelled": result["n_labelled"],
        "out": args.out,
    }


def _sweep(args):

    # imported on use, as the module docstring says
    import yaml

    from dmlvae.experiments import parallel, sweep

    results = profiles.results_path(args.profile, args.results)
    options = dict(progress=not args.no_progress, retry_failed=args.retry_failed, rerun_stale=args.rerun_stale)

    def backend():  # checked where the sweep used to check it: after the table or grid and its cells
        return parallel.backend(
            args.workers, args.address, args.cpus_per_run, args.gpus_per_run, args.allow_open_cluster
        )

    if args.threads is not None and (args.workers is not None or args.address is not None):
        raise DmlvaeError(
            f"--threads {args.threads} sets the threads of runs in this process; with --workers or "
            "--address each run's torch threads are its --cpus-per-run"
        )
    _threads(args)
    if (args.table is None) == (args.grid is None):
        raise DmlvaeError(
            f"give exactly one of --table ({', '.join(map(str, paper_tables()))}) or --grid ({', '.join(grids.GRIDS)})"
        )
    if args.table is not None:
        if args.grid_param:
            raise DmlvaeError("--grid-param goes with --grid, not --table")
        return sweep.sweep(
            args.table,
            args.profile,
            args.seeds,
            results,
            dataset=args.dataset,
            device=args.device,
            data_dir=args.data_dir,
            backend=backend(),
            **options,
        )
    params = {}
    for item in args.grid_param:
        key, sep, value = item.partition("=")
        if not sep:
            raise DmlvaeError(f"--grid-param {item!r} is not KEY=VALUE")
        params[key.replace("-", "_")] = yaml.safe_load(value)
    if args.dataset is not None:
        params["dataset"] = args.dataset
    cells = grids.cells(args.grid, **params)
    cfgs = profiles.profile_configs(
        cells, args.profile, args.seeds, grid=args.grid, device=args.device, data_dir=args.data_dir
    )
    figure5 = args.grid == "figure5"
    return sweep.run_configs(args.grid, args.profile, cfgs, results, keep_latents=figure5, backend=backend(), **options)


def paper_tables():

    return TABLES


def _table(args):

    # imported on use, as the module docstring says
    import pandas as pd

    from dmlvae.analysis import tables
    from dmlvae.experiments import store

    if args.results is None and args.profile is None:
        raise DmlvaeError("give --profile (reads results/PROFILE.jsonl) or --results FILE")
    results = profiles.results_path(args.profile, args.results)
    df = tables.table(args.table, results, args.profile, args.dataset)
    if args.csv:
        df.to_csv(store.check_writable(args.csv, "csv file"), index=False)
    print(paper.CAPTIONS[int(args.table)])
    print("cells: ours (mean ± sd over the n seeds) n=seeds (paper, ours - paper)")
    with pd.option_context(
        "display.max_rows", None, "display.max_columns", None, "display.width", 250, "display.max_colwidth", 60
    ):
        print(paper.layout(df).to_string())
    n = df.n_seeds
    print(
        f"{int((n > 0).sum())} of {len(df)} paper numbers have results; seeds per cell: "
        f"{int(n.min())}-{int(n.max())}; failed (no ok run): {int(((n == 0) & (df.n_failed > 0)).sum())}; "
        f"stale (another training-code version; `sweep --rerun-stale`): {int(df.stale.sum())}"
    )
    return None


def _scorecard(args):

    # imported on use, as the module docstring says
    from dmlvae.analysis import scorecard, tables
    from dmlvae.experiments import store

    choice("--stand-in", args.stand_in, data.DATASETS)
    results = profiles.results_path(args.profile, args.results)
    seeds = len(profiles.seeds_arg(profiles.page_seeds(args.profile, args.seeds)))
    if args.profile == "quick" and args.results is None:  # as the paper-profile scorecard page reads them
        results = scorecard.quick_rows_file(results, seeds=seeds, stand_in=args.stand_in)
    tables.results_frame(results, args.profile)  # names a missing file, or a profile the file does not hold
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # claims without runs yet are listed below as such
        cards = scorecard.all_claims(results, args.profile)
    if args.csv:
        # the cells' verdicts are scorecard.cell_verdicts
        cards.drop(columns=["cells"]).to_csv(store.check_writable(args.csv, "csv file"), index=False)
    print(
        f"The paper's claims, profile {args.profile!r}, results {str(results)!r} (paired differences over "
        f"seeds, 95 % t-intervals, t-test p raw and Holm-adjusted within each claim's family; at-chance claims on "
        f"{scorecard.CHANCE_LATENT}, the other latent beside it):"
    )
    for claim, group in cards.groupby("claim", sort=False):
        objective = group["objective"].iloc[0]
        print(
            f"\nclaim {claim}: {group['the paper says'].iloc[0]}"
            + ("" if objective == scorecard.NO_OBJECTIVE else f" (the MetricVAE's objective: {objective})")
        )
        for _, c in group.iterrows():
            print(f"  {c.protocol}: {c.verdict}. {c.evidence}")
    runs = scorecard.claim_runs(results, seeds, args.stand_in, profile=args.profile)
    print(
        f"\nok runs stored per source, of the runs {seeds} seeds need (Tables 2-3 and Figure 5 on "
        f"{args.stand_in}): " + "; ".join(f"{k} {have}/{need}" for k, (have, need) in runs.items())
    )
    short = [k for k, (have, need) in runs.items() if have < need]
    print("provisional (not all runs stored): " + (", ".join(short) if short else "none"))
    return None


def _data_parser(sub) -> None:
    """The ``data`` subcommand's arguments."""
    d = sub.add_parser("data", help="load a dataset and print its splits and label counts as JSON")
    d.add_argument("name", help=f"one of: {', '.join(data.DATASETS)}")
    d.add_argument("--pl-pct", default=None, help="percent of the training split labelled (0 < P <= 100)")
    d.add_argument("--seed", default=0, help="seed of the labelled subset (default 0)")
    d.add_argument("--policy", default="uniform", help=f"labelled-subset policy: {', '.join(data.POLICIES)}")
    d.add_argument("--data-dir", default=None, help="data directory (default $DMLVAE_DATA or ~/.cache/dmlvae)")
    d.add_argument("--no-download", action="store_true", help="never try the network")
    d.set_defaults(func=_data)


def _train_parser(sub) -> None:
    """The ``train`` subcommand's arguments."""
    t = sub.add_parser(
        "train",
        help="train and evaluate one configuration; writes run.json",
        description="Train one model. Unset flags take RunConfig's documented defaults.",
    )
    for f in dataclasses.fields(RunConfig):
        default = f.default if f.default is not dataclasses.MISSING else None
        t.add_argument(
            "--" + f.name.replace("_", "-"),
            dest=f.name,
            default=None,
            help=f"{f.metadata['doc']} (default: {default})".replace("%", "%%"),
        )
    t.add_argument("--out", default=None, help="write the full result (config, history, metrics) as JSON here")
    t.add_argument(
        "--save-latents",
        default=None,
        help="write the test latents z (mu) and labels y, and the labelled training latents and labels "
        "(z_labelled, y_labelled), to this .npz",
    )
    t.add_argument(
        "--threads",
        default=None,
        help="torch CPU threads (default: torch's own); an exact re-run of a stored row needs the count it records",
    )
    t.add_argument("--progress", dest="progress", action="store_true", default=None, help="show a progress bar")
    t.add_argument("--no-progress", dest="progress", action="store_false")
    t.set_defaults(func=_train)


def _sweep_parser(sub) -> None:
    """The ``sweep`` subcommand's arguments."""
    sw = sub.add_parser(
        "sweep", help="train the runs of a paper table, or of one of the book's grids, missing from a results file"
    )
    sw.add_argument("--table", default=None, help=f"one of {', '.join(map(str, TABLES))}")
    sw.add_argument("--grid", default=None, help=f"or one of the book's grids: {', '.join(GRIDS)}")
    sw.add_argument(
        "--grid-param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a parameter of the grid (as its page takes it), e.g. alpha=0.66; repeatable",
    )
    sw.add_argument("--profile", default="quick", help=f"one of {', '.join(PROFILES)} (default: quick)")
    sw.add_argument("--seeds", default=2, help="K (seeds 0..K-1), a range A-B or a list a,b,c, e.g. 10-14 (default: 2)")
    sw.add_argument(
        "--results",
        default=None,
        help="results file (JSON lines; default: results/PROFILE.jsonl, the file the book reads)",
    )
    sw.add_argument("--dataset", default=None, help="run the grid on this dataset instead (a stand-in)")
    sw.add_argument("--device", default=None, help="auto, cpu, cuda, cuda:N")
    sw.add_argument("--data-dir", default=None)
    sw.add_argument("--no-progress", action="store_true")
    sw.add_argument("--retry-failed", action="store_true", help="train the runs stored as failed again")
    sw.add_argument(
        "--workers",
        default=None,
        help="run N runs at once on this machine, as tasks of a local Ray instance (default: one process, no Ray)",
    )
    sw.add_argument("--address", default=None, help="attach to this Ray cluster instead (e.g. auto, HOST:6379)")
    sw.add_argument(
        "--allow-open-cluster",
        action="store_true",
        help="attach to a cluster whose token authentication is off (refused otherwise; for a private network)",
    )
    sw.add_argument("--cpus-per-run", default=1, help="Ray CPUs and torch threads per run (default: 1)")
    sw.add_argument(
        "--gpus-per-run",
        default=0.0,
        help="GPUs per run, e.g. 0.125 packs eight runs on one GPU (default: 0, CPU runs)",
    )
    sw.add_argument(
        "--threads",
        default=None,
        help="torch CPU threads of the runs in this process (default: torch's own); each row records its count",
    )
    sw.add_argument(
        "--rerun-stale",
        action="store_true",
        help="train again the runs stored by another training-code version (dmlvae.version)",
    )
    sw.set_defaults(func=_sweep)


def _table_parser(sub) -> None:
    """The ``table`` subcommand's arguments."""
    tb = sub.add_parser("table", help="print our results beside the paper's, in the paper's layout")
    tb.add_argument("table", help=f"one of {', '.join(map(str, TABLES))}")
    tb.add_argument("--results", default=None, help="results file (default: results/PROFILE.jsonl)")
    tb.add_argument("--profile", default=None, help="restrict to one profile (needed when the file has several)")
    tb.add_argument("--dataset", default=None, help="only the rows on this dataset (when the file holds several)")
    tb.add_argument("--csv", default=None, help="also write the long-format comparison here")
    tb.set_defaults(func=_table)


def _scorecard_parser(sub) -> None:
    """The ``scorecard`` subcommand's arguments."""
    sc = sub.add_parser(
        "scorecard",
        help="print each claim of the paper with its verdict and evidence, from a results file (trains nothing)",
    )
    sc.add_argument(
        "--profile", default="paper", help=f"one of {', '.join(PROFILES)} (default: paper, the shipped results)"
    )
    sc.add_argument(
        "--results",
        default=None,
        help="results file (default: results/PROFILE.jsonl; under quick, "
        "the shipped results/quick-scorecard.jsonl unless "
        "results/quick.jsonl holds every quick run of the claims)",
    )
    sc.add_argument(
        "--seeds",
        default=None,
        help="seeds each run needs, to count missing runs (default: 3 under paper, else 2, as the pages)",
    )
    sc.add_argument(
        "--stand-in",
        default="fashion-mnist",
        help="the dataset Tables 2-3 and Figure 5 ran on (default: fashion-mnist)",
    )
    sc.add_argument("--csv", default=None, help="also write the claims (claim, protocol, verdict, evidence) here")
    sc.set_defaults(func=_scorecard)


def _realistic_parser(sub) -> None:
    """The ``realistic`` subcommand's arguments."""
    rl = sub.add_parser(
        "realistic",
        help="print the graph grid's comparison under the realistic protocol (the beyond page, part 3) for any "
        "stored seeds: every contender and setting with 95 %% intervals, the targets, what was tried (trains nothing)",
    )
    rl.add_argument("--results", default=None, help="results file (default: results/paper.jsonl, the shipped rows)")
    rl.add_argument(
        "--seeds",
        default=None,
        help="K (seeds 0..K-1), a range A-B or a list a,b,c (default: 10, the page's seeds 0-9); "
        "`sweep --grid graph --profile paper --seeds ...` trains them",
    )
    rl.set_defaults(func=_realistic)


def _rerun_parser(sub) -> None:
    """The ``rerun`` subcommand's arguments."""
    rr = sub.add_parser(
        "rerun",
        help="train one stored row again under its recorded thread count; print `bit-identical` or each metric's "
        "largest relative drift, and the recorded numeric environment that differs on this machine",
    )
    rr.add_argument("key", help="the row's key (a unique prefix will do)")
    rr.add_argument("--results", default=None, help="results file (default: results/paper.jsonl, the shipped rows)")
    rr.add_argument("--data-dir", default=None)
    rr.set_defaults(func=_rerun)


def _findings_parser(sub) -> None:
    """The ``findings`` subcommand's arguments."""
    fd = sub.add_parser(
        "findings",
        help="print what the reproduction found (counts of verdicts, which claims hold), "
        "generated from the scorecard of a results file (trains nothing)",
    )
    fd.add_argument("--profile", default="paper", help="whose results (default: paper, the shipped results)")
    fd.add_argument("--results", default=None, help="results file (default: results/PROFILE.jsonl)")
    fd.add_argument("--readme", default=None, help="write the findings into this README between its markers instead")
    fd.set_defaults(func=_findings)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m dmlvae", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    _data_parser(sub)
    _train_parser(sub)
    _sweep_parser(sub)
    _table_parser(sub)
    _scorecard_parser(sub)
    _realistic_parser(sub)
    _rerun_parser(sub)
    _findings_parser(sub)
    return p


NUMBER = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$|^-(inf|nan)$", re.IGNORECASE)


def _join_negative_values(argv: list[str]) -> list[str]:
    """``--gmm-logvar -1e4`` -> ``--gmm-logvar=-1e4``: argparse reads '-1e4' as an option, not a value."""
    out = []
    for a in argv:
        if out and NUMBER.match(a) and out[-1].startswith("--") and "=" not in out[-1]:
            out[-1] = f"{out[-1]}={a}"
        else:
            out.append(a)
    return out


def _realistic(args):

    # imported on use, as the module docstring says
    from dmlvae.analysis import realistic

    results = Path(args.results) if args.results else profiles.SHIPPED
    print(realistic.report(results, grids.GRAPH_PAPER_SEEDS if args.seeds is None else args.seeds))
    return None


def _rerun(args):

    # imported on use, as the module docstring says
    from dmlvae.experiments import rerun, store

    results = Path(args.results) if args.results else profiles.SHIPPED
    if not results.exists():
        raise DmlvaeError(f"results file {str(results)!r} does not exist")
    if args.data_dir:
        os.environ["DMLVAE_DATA"] = args.data_dir
    row = rerun.find_row(store.Store(results).rows(), args.key)
    print(rerun.report(rerun.rerun(row)))
    return None


def _findings(args):

    # imported on use, as the module docstring says
    from dmlvae.analysis import findings

    results = profiles.results_path(args.profile, args.results)
    text = findings.text(results, args.profile)
    if args.readme:
        changed = findings.write_readme(args.readme, text)
        print(f"{args.readme}: findings {'updated' if changed else 'unchanged'}", file=sys.stderr)
        return None
    print(text)
    return None


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(_join_negative_values([str(a) for a in argv]))
    try:
        result = args.func(args)
        if result is not None:
            print(json.dumps(result, indent=2))
        sys.stdout.flush()
    except DmlvaeError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader stopped reading (`... | head`): not a failure worth a traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing more to flush at exit
        return 141  # 128 + SIGPIPE, as a program killed by the closed pipe would end
    except OSError as e:  # the file system refused (full, read-only, gone): one line, not a traceback
        where = f" ({e.filename})" if getattr(e, "filename", None) else ""
        print(f"error: {e.strerror or e}{where}", file=sys.stderr)
        return 1
    except DivergedError as e:  # train: one run, so its divergence is the command's failure (sweeps record it)
        print(f"error: the run diverged: {e}; a smaller --lr usually trains", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        if getattr(args, "func", None) is _train:
            print(
                "interrupted: nothing was written (train does not resume); run the same command to start over",
                file=sys.stderr,
            )
        else:
            print("interrupted: every finished run is saved; run the same command again to resume", file=sys.stderr)
        return 130
    return 0
