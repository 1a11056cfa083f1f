"""Experiment grids (the paper's Tables 1-4), profiles, a resumable results store, and sweeps.

A sweep trains every (table cell x seed) that the results file does not hold yet. Each finished run is
one row, written atomically (the whole file is rewritten to a temporary file and renamed over the old
one, under a lock), so a sweep killed at any moment and started again ends with every run exactly once.
A run that fails (e.g. a NaN loss) is recorded with status ``failed`` and its reason; the sweep goes on.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
import traceback
from pathlib import Path

import numpy as np
import pandas as pd

from . import __version__, data, paper
from .config import RunConfig
from .errors import DmlvaeError, choice, number

# Profiles are data: RunConfig overrides applied to every cell of a grid.
PROFILES = {
    # the whole Table 1 grid in about a minute on 2 CPU cores (for tests and a first look)
    "smoke": {"epochs": 1, "train_subset": 2000, "test_subset": 500, "hidden": [64, 32], "batch_size": 128,
              "n_pseudo": 50},
    # all four tables with 2 seeds in about 6 minutes on 2 CPU cores: data subsets, few epochs
    "quick": {"epochs": 2, "train_subset": 6000, "test_subset": 2000, "hidden": [256, 128], "batch_size": 256,
              "n_pseudo": 100},
    # full data, RunConfig's documented defaults (10 epochs, MLP 512-256, batch 256)
    "paper": {},
}
# Table 4 reports linear, random-forest and kNN accuracies
TABLE_PROBES = {1: ["knn"], 2: ["knn"], 3: ["knn"], 4: ["knn", "rf", "linear"]}


def validate_profile(profile: str) -> str:
    return choice("profile", profile, PROFILES)


def configs(table, profile: str, seeds, dataset: str | None = None, device: str | None = None,
            data_dir: str | None = None) -> list[RunConfig]:
    """Every RunConfig of ``table`` under ``profile``, for each seed (the table's cells in paper order)."""
    t = paper.validate_table(table)
    if dataset is not None:
        choice("dataset", dataset, data.DATASETS)
    cells = [{**cell, "probes": TABLE_PROBES[t]} for cell in paper.grid(t)]
    return profile_configs(cells, profile, seeds, dataset=dataset, device=device, data_dir=data_dir)


def seeds_arg(seeds) -> list[int]:
    """``--seeds K`` means seeds 0..K-1; a list is taken as given."""
    if isinstance(seeds, (list, tuple)):
        return [int(s) for s in seeds]
    return list(range(number("seeds", seeds, low=1, integer=True)))


# ------------------------------------------------------------------------------------------ store
class Store:
    """A JSON-lines results file: one row per run, keyed by (table, profile, config key)."""

    def __init__(self, path):
        self.path = Path(path)

    @contextlib.contextmanager
    def _lock(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def rows(self) -> list[dict]:
        if not self.path.exists():
            return []
        rows = []
        for line in self.path.read_text().splitlines():
            if line.strip():
                rows.append(json.loads(line))
        return rows

    @staticmethod
    def row_id(row: dict) -> tuple:
        return (row["table"], row["profile"], row["key"])

    def done(self) -> set:
        return {self.row_id(r) for r in self.rows()}

    def append(self, row: dict) -> bool:
        """Add ``row`` unless a row with the same id exists; atomic (temp file + rename). True if added."""
        with self._lock():
            rows = self.rows()
            if self.row_id(row) in {self.row_id(r) for r in rows}:
                return False
            tmp = self.path.with_name(self.path.name + f".tmp{os.getpid()}")
            with open(tmp, "w") as f:
                for r in rows + [row]:
                    f.write(json.dumps(r) + "\n")
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
            return True

    def frame(self) -> pd.DataFrame:
        """One row per run: the config fields as columns, metrics as columns, plus the bookkeeping."""
        records = []
        for r in self.rows():
            rec = {k: v for k, v in r.items() if k not in ("config", "metrics", "history", "metrics_by_protocol")}
            rec.update(r["config"])
            rec.update(r.get("metrics") or {})
            records.append(rec)
        return pd.DataFrame(records)


def make_row(table, profile: str, cfg: RunConfig, result: dict | None, error: str | None,
             wall: float, paper_dataset: str) -> dict:
    row = {"table": table, "profile": profile, "key": cfg.key(), "config": cfg.to_dict(), "seed": cfg.seed,
           "paper_dataset": paper_dataset, "dataset_used": cfg.dataset,
           "stand_in": cfg.dataset != paper_dataset, "status": "ok" if error is None else "failed",
           "reason": error, "wall_time": round(wall, 3), "version": __version__,
           "finished": time.strftime("%Y-%m-%dT%H:%M:%S")}
    if result is not None:
        for k in ("metrics", "metrics_by_protocol", "history", "n_train", "n_labelled", "labelled_classes",
                  "n_test", "source", "device"):
            row[k] = result[k]
    return row


def check_dataset(table: int, dataset: str | None, data_dir=None) -> None:
    """Fail early, with the way out, when a table's dataset cannot be loaded and no stand-in was asked."""
    needed = {c["dataset"] for c in paper.grid(table)}
    for name in needed if dataset is None else {dataset}:
        try:
            data.load(name, data_dir=data_dir)
        except DmlvaeError as e:
            hint = (". To run the same grid on a stand-in dataset, recorded as such in every row, pass "
                    "--dataset fashion-mnist (or dataset='fashion-mnist').") if dataset is None else ""
            raise DmlvaeError(f"Table {table} needs {name}, which cannot be loaded: {e}{hint}") from None


def table_dataset(table, dataset: str | None = None, stand_in: str = "fashion-mnist",
                  data_dir=None) -> tuple[str | None, str | None]:
    """(dataset to run ``table`` on, a note for the reader or None): the paper's own dataset when it loads
    (None: no override), else ``stand_in``, with a note saying so plainly. An explicit ``dataset`` wins."""
    if dataset is not None:
        return dataset, None
    try:
        check_dataset(paper.validate_table(table), None, data_dir)
    except DmlvaeError as e:
        return stand_in, (f"The paper's dataset could not be loaded here, so Table {table} below is run on the "
                          f"stand-in dataset `{stand_in}`, and every row of the results store records it as a "
                          f"stand-in: its numbers are not comparable with the paper's. To run the real table, put "
                          f"`organamnist.npz` in the data directory and re-run this page. Why: `{e}`")
    return None, None


def sweep(table, profile: str = "quick", seeds=2, results="results/results.jsonl", dataset: str | None = None,
          device: str | None = None, data_dir: str | None = None, progress: bool = True,
          run_fn=None) -> dict:
    """Train the runs of paper ``table`` x ``seeds`` missing from ``results``; return counts."""
    t = paper.validate_table(table)
    cfgs = configs(t, profile, seeds_arg(seeds), dataset, device, data_dir)
    check_dataset(t, dataset, data_dir)
    paper_dataset = {c["dataset"] for c in paper.grid(t)}.pop()
    return run_configs(t, profile, cfgs, results, paper_dataset, progress, run_fn)


def run_configs(grid, profile: str, cfgs, results, paper_dataset: str | None = None, progress: bool = True,
                run_fn=None, keep_latents: bool = False) -> dict:
    """Train the configurations missing from ``results`` under the name ``grid`` (a paper table number or
    the name of one of the book's own grids); one atomic row per run; failures recorded, not raised.
    With ``keep_latents`` the test latents are saved (atomically, before the row) for :func:`load_latents`."""
    from .train import run as train_run

    run_fn = run_fn or train_run
    store = Store(results)
    done = store.done()
    todo = [c for c in cfgs if (grid, profile, c.key()) not in done]
    counts = {"total": len(cfgs), "present": len(cfgs) - len(todo), "ok": 0, "failed": 0}
    bar = None
    if progress and todo:
        from tqdm.auto import tqdm
        bar = tqdm(total=len(cfgs), initial=counts["present"], desc=f"{grid} ({profile})", unit="run")
    for cfg in todo:
        if bar is not None:
            bar.set_postfix_str(f"{cfg.model} {cfg.routine} pl={cfg.pl_pct:g} d={cfg.lsdim} a={cfg.alpha:g} "
                                f"g={cfg.gamma:g} seed={cfg.seed}")
        t0 = time.perf_counter()
        try:
            result, error = run_fn(cfg), None
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as e:  # recorded, and the sweep goes on
            result, error = None, f"{type(e).__name__}: {e}"
            if not isinstance(e, (DmlvaeError, RuntimeError, ValueError)):
                error += "\n" + traceback.format_exc(limit=3)
        if keep_latents and result is not None:
            path = latents_path(results, grid, profile, cfg)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.stem + ".tmp.npz")
            np.savez(tmp, z=result["z_test"], y=result["y_test"])
            os.replace(tmp, path)
        store.append(make_row(grid, profile, cfg, result, error, time.perf_counter() - t0,
                              paper_dataset or cfg.dataset))
        counts["ok" if error is None else "failed"] += 1
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    return counts


def latents_path(results, grid, profile: str, cfg: RunConfig) -> Path:
    return Path(results).parent / "latents" / f"{grid}-{profile}-{cfg.key()}.npz"


def load_latents(results, grid, profile: str, cfg: RunConfig) -> tuple[np.ndarray, np.ndarray]:
    with np.load(latents_path(results, grid, profile, cfg)) as f:
        return f["z"], f["y"]


def rows_for(results, grid, profile: str, cfgs=None) -> list[dict]:
    """The stored rows of one grid and profile (only those of ``cfgs`` when given), in ``cfgs`` order."""
    rows = [r for r in Store(results).rows() if r["table"] == grid and r["profile"] == profile]
    if cfgs is None:
        return rows
    by_key = {r["key"]: r for r in rows}
    return [by_key[c.key()] for c in cfgs if c.key() in by_key]


def metric(row: dict, name: str, protocol: str | None = None):
    """A metric of a stored row: from ``metrics`` (the run's protocol) or ``metrics_by_protocol[protocol]``;
    None for a failed run."""
    source = row.get("metrics") if protocol is None else (row.get("metrics_by_protocol") or {}).get(protocol)
    return (source or {}).get(name)


def results_path(profile: str, results=None) -> Path:
    """The results file of a profile: ``results/PROFILE.jsonl`` unless given."""
    return Path(results) if results else Path("results") / f"{validate_profile(profile)}.jsonl"


def profile_configs(cells, profile: str, seeds, **fixed) -> list[RunConfig]:
    """RunConfigs of ``cells`` (dicts of RunConfig fields) under ``profile``, per seed; ``fixed`` fields that are
    not None (dataset, device, data_dir, ...) override every cell."""
    overrides = PROFILES[validate_profile(profile)]
    return [RunConfig(**{**overrides, **cell, **{k: v for k, v in fixed.items() if v is not None}, "seed": s})
            for cell in cells for s in seeds_arg(seeds)]


def results_frame(results, profile: str | None = None) -> pd.DataFrame:
    """The results file as a DataFrame, restricted to one profile (required when it holds several)."""
    df = Store(results).frame()
    if df.empty:
        return df
    profiles = sorted(df.profile.unique())
    if profile is None:
        if len(profiles) > 1:
            raise DmlvaeError(f"{results} holds several profiles; choose one with --profile; allowed: "
                              f"{', '.join(profiles)}")
        return df
    validate_profile(profile)
    return df[df.profile == profile]


def table(table, results, profile: str | None = None) -> pd.DataFrame:
    """Our results beside the paper's for every number the paper reports in ``table`` (long format)."""
    t = paper.validate_table(table)
    return paper.compare(t, results_frame(results, profile))
