"""The beyond-the-paper page's computations: each contender minus DML, paired by seed with a 95% interval; the
plain-words answer; the setting chosen on the validation split; the ceiling a label draw puts on kNN.

Runs that share a seed share the labelled subset, so the difference to DML is taken seed by seed
(``scorecard.interval``: mean and 95% t-interval over seeds).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from . import evaluate, experiments, grids
from .config import RunConfig
from .scorecard import interval

BASELINE = grids.BEYOND_CONTENDERS[0][0]
PROTOCOLS = ("test-cv", "labelled-to-test")


def frame(rows, name=grids.contender, column: str = "contender") -> pd.DataFrame:
    """One row per stored run: its ``column`` (``name(config)``: the beyond page's contender, or the geodesic
    page's variant), dataset, pl_pct, seed, status, kNN under both protocols, labels, wall time and seconds (the
    run's cost: :func:`experiments.run_seconds`)."""
    out = experiments.flatten(rows, ["dataset", "pl_pct"], {p: ("knn_acc", p) for p in PROTOCOLS},
                              keep=["n_labelled", "wall_time"]).rename(columns={"n_labelled": "labels"})
    out.insert(0, column, [name(RunConfig.from_dict(r["config"])) for r in rows])
    out["seconds"] = [experiments.run_seconds(r) for r in rows]
    return out


def load_or_train(grid: str, profile: str, cfgs, results, name=grids.contender, column: str = "contender",
                  workers=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train the runs of ``cfgs`` missing from ``results`` (load-or-train), then (every run's row as in
    :func:`frame`, the failed ones)."""
    experiments.run_configs(grid, profile, cfgs, results, progress=False, workers=workers)
    runs = frame(experiments.rows_for(results, grid, profile, cfgs), name, column)
    return runs, runs[runs.status != "ok"]


def paired_by_seed(runs: pd.DataFrame, column: str, target, reference, by: list[str], value: str) -> list[dict]:
    """``target`` minus ``reference`` (values of ``column``) on ``value``, seed by seed over the seeds both ran ok,
    for each group of ``by`` the target ran (in order of appearance): the group's values, mean, 95% interval, n
    and verdict."""
    ok = runs[runs.status == "ok"]
    base = ok[ok[column] == reference].set_index([*by, "seed"])[value]
    out = []
    for key, g in ok[ok[column] == target].groupby(by, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        ev = interval([r[value] - base[(*key, r.seed)] for _, r in g.iterrows() if (*key, r.seed) in base.index])
        out.append({**dict(zip(by, key)), **ev, "verdict": verdict(ev)})
    return out


def paired_against(runs: pd.DataFrame, column: str, target: str, references) -> pd.DataFrame:
    """``target`` minus each of ``references`` (values of ``column``), seed by seed, per pl_pct and protocol:
    mean, 95% interval, seeds and verdict."""
    out = [{"against": ref, "protocol": protocol, **d} for ref in references for protocol in PROTOCOLS
           for d in paired_by_seed(runs, column, target, ref, ["pl_pct"], protocol)]
    frame = pd.DataFrame(out, columns=["against", "protocol", "pl_pct", "mean", "low", "high", "n", "verdict"])
    frame = frame.rename(columns={"n": "seeds"})
    order = {"against": list(references), "protocol": list(PROTOCOLS)}
    key = lambda c: c.map(order[c.name].index) if c.name in order else c  # noqa: E731
    return frame.sort_values(["against", "pl_pct", "protocol"], key=key, kind="stable", ignore_index=True)[
        ["against", "pl_pct", "protocol", "mean", "low", "high", "seeds", "verdict"]]


def versus_dml(runs: pd.DataFrame, protocol: str) -> pd.DataFrame:
    """Per dataset, contender and pl_pct: mean of (contender - DML) over the seeds both have, its 95% interval,
    the number of seeds and a verdict (better / worse / no difference shown)."""
    ok = runs[runs.status == "ok"]
    out = [{"dataset": ds, "contender": name, **d}
           for ds in ok.dataset.unique() for name in ok[ok.dataset == ds].contender.unique() if name != BASELINE
           for d in paired_by_seed(ok[ok.dataset == ds], "contender", name, BASELINE, ["pl_pct"], protocol)]
    return pd.DataFrame(out, columns=["dataset", "contender", "pl_pct", "mean", "low", "high", "n", "verdict"])


def verdict(ev: dict) -> str:
    if ev["n"] < 2 or math.isnan(ev["low"]):
        return "too few seeds"
    return "better" if ev["low"] > 0 else "worse" if ev["high"] < 0 else "no difference shown"


def show(diffs: pd.DataFrame) -> pd.DataFrame:
    """The differences as 'mean [low, high]' strings, contenders down, labelled percentages across."""
    cell = lambda r: (f"{r['mean']:+.3f} [{r['low']:+.3f}, {r['high']:+.3f}]" if r["n"] > 1  # noqa: E731
                      else f"{r['mean']:+.3f} (n=1)")
    d = diffs.assign(cell=diffs.apply(cell, axis=1))
    return d.pivot_table(index=["dataset", "contender"], columns="pl_pct", values="cell", aggfunc="first",
                         sort=False)


def answer(diffs: pd.DataFrame, protocol: str) -> str:
    """The open question's answer under one protocol, in words, from the intervals."""
    lines = []
    for (ds, name), g in diffs.groupby(["dataset", "contender"], sort=False):
        better = [f"{p:g} %" for p, v in zip(g.pl_pct, g.verdict) if v == "better"]
        worse = [f"{p:g} %" for p, v in zip(g.pl_pct, g.verdict) if v == "worse"]
        parts = ([f"beats DML at {', '.join(better)}"] if better else []) + \
                ([f"loses to DML at {', '.join(worse)}"] if worse else [])
        lines.append(f"- {ds}, {name}: " + ("; ".join(parts) if parts else "no difference from DML shown at any "
                                                                              "labelled percentage") + ".")
    return f"Under `{protocol}` (95% intervals of the seed-paired difference):\n" + "\n".join(lines)


def chosen_setting(rows) -> tuple[dict, pd.DataFrame]:
    """(the dml_labelprop setting with the best mean validation kNN under labelled-to-test, the per-setting
    table: mean ± sd over seeds, runs)."""
    keys = list(grids.LABELPROP_CHOICES)
    f = experiments.flatten(rows, keys, {"validation kNN": ("knn_acc", "labelled-to-test")})
    ok = f[f.status == "ok"]
    stats = ok.groupby(keys)["validation kNN"].agg(["mean", "std", "size"]).reset_index()
    best = stats.loc[stats["mean"].idxmax()]
    return ({k: best[k].item() if hasattr(best[k], "item") else best[k] for k in keys},
            stats.sort_values("mean", ascending=False))


def perfect_latents_ceiling(y_labelled, y_test, seed: int = 0) -> float:
    """kNN accuracy under labelled-to-test if every image sat exactly on its own class's point (one-hot latents):
    the most any embedding can score with this labelled draw, since a class with fewer labels than k's
    majority loses the vote to its neighbours."""
    y_labelled, y_test = np.asarray(y_labelled), np.asarray(y_test)
    classes = int(max(y_labelled.max(), y_test.max())) + 1
    eye = np.eye(classes)
    m = evaluate.probe(eye[y_test], y_test, "labelled-to-test", ("knn",), z_train=eye[y_labelled],
                       y_train=y_labelled, labelled=np.arange(len(y_labelled)), seed=seed)
    return m["knn_acc"]


def ceiling(cfg: RunConfig) -> float:
    """:func:`perfect_latents_ceiling` for the labelled draw and test images of run ``cfg``."""
    from . import data, train
    ds = data.load(cfg.dataset, data_dir=cfg.data_dir)
    _, y_full = ds.split("train")
    keep, lab = train.training_indices(y_full, cfg)
    _, y_te = ds.split("test")
    return perfect_latents_ceiling(y_full[keep[lab]], y_te[train.test_indices(y_te, cfg.test_subset)], cfg.seed)


def validation_source(profile: str, results, dataset: str = "mnist"):
    """(profile, results file) of the labelprop validation runs a page shows: the shipped paper-profile rows when
    they hold every run (the choice of defaults was made there), else the page's own profile and file."""
    return experiments.shipped_or(profile, results, "labelprop-validation",
                                  grids.cells("labelprop-validation", dataset=dataset), 2)
