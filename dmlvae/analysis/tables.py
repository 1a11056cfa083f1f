"""A page's tables from stored rows: a paper table beside ours, one row per run, mean ± sd per group."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from dmlvae.errors import DmlvaeError
from dmlvae.experiments import paper
from dmlvae.experiments.profiles import validate_profile
from dmlvae.experiments.store import Store, metric, of_runs


def results_frame(results, profile: str | None = None, dataset: str | None = None) -> pd.DataFrame:
    """The results file as a DataFrame (the latest row of each run), restricted to one profile (required when
    it holds several) and optionally to one dataset. A missing file, or a profile or dataset it does not hold,
    is an error, not an empty table."""
    path = Path(results)
    if not path.exists():
        raise DmlvaeError(
            f"results file {str(path)!r} does not exist; run `python -m dmlvae sweep ... --results {path}` first"
        )
    df = Store(path).frame()
    if df.empty:
        raise DmlvaeError(f"results file {str(path)!r} holds no readable rows")
    profiles = sorted(df.profile.unique())
    if profile is None:
        if len(profiles) > 1:
            raise DmlvaeError(
                f"{path} holds several profiles; choose one with --profile; allowed: {', '.join(profiles)}"
            )
    else:
        validate_profile(profile)
        if profile not in profiles:
            raise DmlvaeError(f"{path} holds no rows of profile {profile!r}; it holds: {', '.join(profiles)}")
        df = df[df.profile == profile]
    if dataset is not None:
        held = sorted(df.dataset.unique())
        if dataset not in held:
            raise DmlvaeError(f"{path} holds no rows on dataset {dataset!r}; it holds: {', '.join(held)}")
        df = df[df.dataset == dataset]
    return df


def table(table, results, profile: str | None = None, dataset: str | None = None, cfgs=None) -> pd.DataFrame:
    """Our results beside the paper's for every number the paper reports in ``table`` (long format). With
    ``cfgs`` (what a page trained) only the rows of those runs are read, their configurations and seeds: a
    results file may also hold rows of a setting the profile or page no longer uses, or more seeds than the page
    asks for. Without, every row of the table is, and rows of two configurations in one cell are refused."""
    t = paper.validate_table(table)
    df = results_frame(results, profile, dataset)
    if cfgs is not None:
        df = df[(df.table != t) | of_runs(df, cfgs)]
    if not (df.table == t).any():
        raise DmlvaeError(f"{results} holds no rows of Table {t}; run `python -m dmlvae sweep --table {t}` first")
    return paper.compare(t, df)


# the two latents of a Gaussian encoder, kNN under test-cv: the columns most pages show
MU_AND_Z = {"mu": ("knn_acc", None), "sampled z": ("knn_acc", "test-cv/sampled-z")}


def flatten(rows, fields=(), metrics=None, last=None, keep=()) -> pd.DataFrame:
    """One row per stored run, for a page's table: the named config ``fields``, the seed and status, each
    ``metrics`` column (name -> (metric, protocol or None for the run's own)), the last epoch's history values
    (``last``: column name -> history key), and top-level row ``keep`` keys (e.g. reason, n_labelled)."""
    out = []
    for r in rows:
        rec = {f: r["config"].get(f) for f in fields}
        rec.update(seed=r["seed"], status=r.get("status"))
        for name, (metric_name, protocol) in (metrics or {}).items():
            rec[name] = metric(r, metric_name, protocol)
        history = r.get("history") or [{}]
        rec.update({name: history[-1].get(key) for name, key in (last or {}).items()})
        rec.update({k: r.get(k) for k in keep})
        out.append(rec)
    return pd.DataFrame(out)


def summary(frame: pd.DataFrame, by, columns) -> pd.DataFrame:
    """``columns`` of ``frame`` as mean ± sd over the seeds of each ``by`` group, with the number of runs."""
    return frame.groupby(list(by), sort=False).agg(**{c: (c, paper.mean_sd) for c in columns}, runs=("seed", "size"))
