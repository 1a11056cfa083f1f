"""Experiment grids (the paper's Tables 1-4), profiles, a resumable results store, and sweeps.

A sweep trains every (table cell x seed) that the results file does not hold yet. Each finished run is
one row, appended under a lock as one line written whole and fsynced (a line torn by a kill is skipped when
read, with a warning), so a sweep killed at any moment and started again ends with every run exactly once.
A run that fails (e.g. a NaN loss) is recorded with status ``failed`` and its reason; the sweep goes on.
"""
from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import os
import re
import socket
import sys
import tempfile
import time
import traceback
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from . import __version__, data, paper, shares
from .version import TRAINING_VERSION
from .config import MAX_SEED, RunConfig
from .errors import DmlvaeError, MissingRuns, choice, number

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
# Per-grid settings a profile changes beyond PROFILES, measured with bench/quick_calibration.py: at 6,000 images
# for 2 epochs the alternating MetricVAE's sampled z is still at chance and gamma > 0 never beats gamma = 0, so the
# quick profile would call claims 6 and 7 otherwise than the paper profile does; on 12,000 images (2 seeds) both
# keep the paper profile's verdicts, for about 1.4 times those grids' training time; the MetricVAE's other grids
# (Table 4 under the paper's literal objective, the balance axis) follow them. Keys: a table number or the name of
# one of the book's grids.
GRID_PROFILES = {"quick": {4: {"train_subset": 12000}, "mvae-alternating": {"train_subset": 12000},
                           "table4-objective": {"train_subset": 12000}, "balance": {"train_subset": 12000}}}
# why, in a clause for the pages (profile_scale)
GRID_PROFILE_REASONS = {"quick": "with the profile's own 6,000 images the miniature calls the paper's claims 6 and 7 "
                                 "(the MetricVAE) otherwise than the paper profile does, and the MetricVAE's other "
                                 "grids take the same setting so that they compare like with like"}
# Table 4 reports linear, random-forest and kNN accuracies
TABLE_PROBES = {1: ["knn"], 2: ["knn"], 3: ["knn"], 4: ["knn", "rf", "linear"]}


def validate_profile(profile: str) -> str:
    return choice("profile", profile, PROFILES)


AUTO = "auto"  # a page's default profile: the shipped paper-scale results, training nothing
_auto_page = False  # set by page_profile: this kernel runs a page under "auto"


def page_profile(profile: str) -> str:
    """The profile a page runs under: ``auto`` (the pages' default) is ``paper`` read from the shipped results,
    and then any run they lack is not trained but named (MissingRuns, with the two ways to get it); any other
    profile is itself (and trains what it lacks)."""
    global _auto_page
    _auto_page = profile == AUTO
    return "paper" if _auto_page else validate_profile(profile)


def profile_scale(profile: str) -> str:
    """One sentence for a page: how much data and training a profile's runs get, and how to read its numbers."""
    o = {**RunConfig().to_dict(), **PROFILES[validate_profile(profile)]}
    images = (f"{o['train_subset']:,} training images (the labelled subset kept at its full size)"
              if o["train_subset"] else "the full training split")
    test = f"{o['test_subset']:,} test images" if o["test_subset"] else "the full test split"
    hidden = "-".join(str(h) for h in o["hidden"])
    read = ("This is a miniature: compare the *pattern* across labelled percentages and settings, not the "
            "levels (`make book PROFILE=paper` reads the full-scale runs)." if o["train_subset"] else
            "This is the paper's scale, as far as the paper states it (the assumptions page lists the rest).")
    epochs = f"{o['epochs']} epoch{'s' if o['epochs'] != 1 else ''}"
    by_setting = {}  # grids that share a setting are named together
    for g, o2 in GRID_PROFILES.get(profile, {}).items():
        setting = ", ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}" for k, v in o2.items())
        by_setting.setdefault(setting, []).append(f"Table {g}" if isinstance(g, int) else f"the {g} grid")
    listed = lambda names: names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"  # noqa: E731
    exceptions = "; ".join(f"{listed(names)}: {setting}" for setting, names in by_setting.items())
    return (f"Under the `{profile}` profile every run sees {images} for {epochs} with an MLP {hidden}, and "
            f"is scored on {test}" + (f" ({exceptions}: {GRID_PROFILE_REASONS[profile]})" if exceptions else "")
            + f". {read}")


def configs(table, profile: str, seeds, dataset: str | None = None, device: str | None = None,
            data_dir: str | None = None) -> list[RunConfig]:
    """Every RunConfig of ``table`` under ``profile``, for each seed (the table's cells in paper order)."""
    t = paper.validate_table(table)
    if dataset is not None:
        choice("dataset", dataset, data.DATASETS)
    cells = [{**cell, "probes": TABLE_PROBES[t]} for cell in paper.grid(t)]
    return profile_configs(cells, profile, seeds, grid=t, dataset=dataset, device=device, data_dir=data_dir)


# the pages' seeds when their `seeds` parameter is None: 3 at the paper's scale (the shipped results), 2 otherwise
PAPER_SEEDS, DEFAULT_SEEDS = 3, 2


def page_seeds(profile: str, seeds=None, paper: int = PAPER_SEEDS):
    """A page's seeds: ``seeds`` when given, else ``paper`` (3) under the paper profile and 2 under the others."""
    return seeds if seeds is not None else paper if validate_profile(profile) == "paper" else DEFAULT_SEEDS


MAX_SEEDS = 1000  # more seeds in one sweep or page is a typo (--seeds 1e9), not a study


def seeds_arg(seeds) -> list[int]:
    """``--seeds K`` means seeds 0..K-1 (K at most MAX_SEEDS); a list is taken as given, each seed checked."""
    if isinstance(seeds, (list, tuple)):
        if not seeds or len(seeds) > MAX_SEEDS:
            raise DmlvaeError(f"seeds {seeds!r}: a list of 1 to {MAX_SEEDS} seeds is allowed")
        return [number("seed", s, low=0, high=MAX_SEED, integer=True) for s in seeds]
    return list(range(number("seeds", seeds, low=1, high=MAX_SEEDS, integer=True)))


# ------------------------------------------------------------------------------------------ store
REQUIRED_FIELDS = ("table", "profile", "key", "status", "config")


def _numbers(d) -> bool:
    return isinstance(d, dict) and all(isinstance(v, (int, float)) and not isinstance(v, bool) or v is None
                                       for v in d.values())


def valid_row(row) -> bool:
    """Whether a decoded line is a row the store's readers can use: an object with the required fields of the right
    kinds, a config that is a valid RunConfig (so lsdim -5 or 1e999 is not), numeric metrics, a list history."""
    if not isinstance(row, dict) or any(k not in row for k in REQUIRED_FIELDS):
        return False
    if not (isinstance(row["table"], (int, str)) and not isinstance(row["table"], bool)
            and isinstance(row["profile"], str) and isinstance(row["key"], str)
            and row["status"] in ("ok", "failed") and isinstance(row["config"], dict)):
        return False
    if row.get("metrics") is not None and not _numbers(row["metrics"]):
        return False
    mbp = row.get("metrics_by_protocol")
    if mbp is not None and not (isinstance(mbp, dict) and all(_numbers(v) for v in mbp.values())):
        return False
    if row.get("history") is not None and not (isinstance(row["history"], list)
                                               and all(isinstance(h, dict) for h in row["history"])):
        return False
    try:
        RunConfig.from_dict(row["config"])
    except (DmlvaeError, TypeError, ValueError, OverflowError, RecursionError):
        return False
    return True


class StoreWarning(UserWarning):
    """Some lines of a results file could not be read; they are skipped and left in the file."""


NO_TRAIN_OFF = ("", "0", "false", "no", "off")


def no_train() -> bool:
    """Whether DMLVAE_NO_TRAIN forbids training: set to anything but empty, 0, false, no or off (any case)."""
    return os.environ.get("DMLVAE_NO_TRAIN", "").strip().lower() not in NO_TRAIN_OFF


def _pid_alive(pid: int) -> bool:
    if pid <= 0:  # os.kill(0, ...) would signal our own process group: no process is pid 0
        return False
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError, ValueError):  # no such process, or no valid pid at all
        return False
    except PermissionError:
        return True
    return True


def check_writable(path, what: str = "output") -> Path:
    """Fail before any training when ``path`` cannot be written: it is a directory, or its nearest existing
    ancestor is a file or not writable."""
    path = Path(path)
    if path.is_symlink() and not path.exists():
        raise DmlvaeError(f"{what} {str(path)!r} is a symlink to {os.readlink(path)!r}, which does not exist; point it "
                          "at a file, or give another path")
    if path.is_dir():
        raise DmlvaeError(f"{what} {str(path)!r} is a directory; give a file path")
    if path.exists():
        if not os.access(path, os.W_OK):
            raise DmlvaeError(f"{what} {str(path)!r} is not writable")
        return path
    parent = path.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise DmlvaeError(f"{what} {str(path)!r} cannot be created: {str(parent)!r} is a file, not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise DmlvaeError(f"{what} {str(path)!r} cannot be created: directory {str(parent)!r} is not writable")
    try:  # access() trusts the mode bits; some file systems (/proc, read-only mounts) refuse all the same
        fd, probe = tempfile.mkstemp(dir=parent, prefix=".dmlvae-write-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise DmlvaeError(f"{what} {str(path)!r} cannot be created in {str(parent)!r}: {e.strerror}") from None
    return path


class Store:
    """A JSON-lines results file: one row per run, keyed by (table, profile, config key).

    Append-only: a finished run adds one line (under a lock, flushed and fsynced), and nothing ever rewrites
    the file, so no row already written can be lost. A later row for the same run supersedes an earlier one
    (a retried failure, a re-run stale row). Lines that cannot be read (a truncated last line, garbage, a row
    without its fields) are skipped with one warning naming the file and the lines, and kept in the file.
    Runs are *claimed* before training (a file per run in ``RESULTS.claims/``), so sweeps sharing a results
    file share the work instead of training the same runs twice.
    """

    def __init__(self, path):
        self.path = Path(path)
        # the lock and the claims are the file's own, not the path's: two paths to one file (a symlink, a relative
        # and an absolute path) are one store
        self.real = Path(os.path.realpath(self.path))
        self.claims = self.real.with_name(self.real.name + ".claims")

    @contextlib.contextmanager
    def _lock(self):
        self.real.parent.mkdir(parents=True, exist_ok=True)
        with open(self.real.with_name(self.real.name + ".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def rows(self, warn: bool = True) -> list[dict]:
        """Every readable row, in file order (superseded ones included)."""
        if not self.path.exists():
            return []
        if self.path.is_dir():
            raise DmlvaeError(f"results file {str(self.path)!r} is a directory")
        rows, bad = [], []
        with open(self.path, encoding="utf-8", errors="replace") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except (ValueError, RecursionError):  # not JSON, a number past Python's digit limit, deep nesting
                    bad.append(n)
                    continue
                if not valid_row(row):
                    bad.append(n)
                    continue
                rows.append(row)
        if bad and warn:
            shown = ", ".join(map(str, bad[:10])) + (", ..." if len(bad) > 10 else "")
            warnings.warn(f"{self.path}: skipped {len(bad)} unreadable line(s) (line {shown}); they are kept in "
                          "the file, and their runs count as missing", StoreWarning, stacklevel=2)
        return rows

    def latest(self, warn: bool = True) -> dict:
        """{row id: the last row written for it}."""
        return {self.row_id(r): r for r in self.rows(warn)}

    @staticmethod
    def row_id(row: dict) -> tuple:
        return (row["table"], row["profile"], row["key"])

    def append(self, row: dict, supersede: bool = False) -> bool:
        """Append ``row``; unless ``supersede``, refuse (return False) when its run is already stored."""
        with self._lock():
            if not supersede and self.row_id(row) in self.latest(warn=False):
                return False
            line = json.dumps(row) + "\n"
            with open(self.path, "ab") as f:
                if f.tell() > 0:  # a truncated last line (no newline) must not swallow this row
                    with open(self.path, "rb") as r:
                        r.seek(-1, os.SEEK_END)
                        if r.read(1) != b"\n":
                            line = "\n" + line
                f.write(line.encode())
                f.flush()
                os.fsync(f.fileno())
            return True

    # claims: one file per run being trained, holding the claimer's pid and host
    def _claim_path(self, row_id) -> Path:
        table, profile, key = row_id
        return self.claims / f"{table}-{profile}-{key}"

    def claim(self, row_id) -> bool:
        """Claim a run for this process; False when a live process holds it. Claiming, and taking over the claim of a
        process that is gone, happen under the store's lock, so of several processes that try at once exactly one
        gets the run."""
        self.claims.mkdir(parents=True, exist_ok=True)
        path = self._claim_path(row_id)
        me = f"{os.getpid()} {socket.gethostname()}"
        with self._lock():
            try:
                pid, host = path.read_text().split()
            except FileNotFoundError:
                pid = host = None
            except (OSError, ValueError):
                pid, host = "0", socket.gethostname()  # a torn claim (its writer killed mid-write): nobody's
            if pid is not None and (host != socket.gethostname() or _pid_alive(int(pid))):
                return False
            tmp = path.with_name(f"{path.name}.tmp{os.getpid()}")
            tmp.write_text(me)
            os.replace(tmp, path)  # whole, and over a dead process's claim
            return True

    def release(self, row_id) -> None:
        self._claim_path(row_id).unlink(missing_ok=True)

    def frame(self) -> pd.DataFrame:
        """One row per run (the latest of each): config fields, metrics and bookkeeping as columns; ``stale``
        says whether the row was made by another training-code version."""
        records = []
        for r in self.latest().values():
            rec = {k: v for k, v in r.items()
                   if k not in ("config", "metrics", "history", "metrics_by_protocol", "loss_shares")}
            rec.update(r["config"])
            rec.update(r.get("metrics") or {})
            rec["stale"] = is_stale(r)
            rec["cell"] = cell_key(r["config"])
            records.append(rec)
        return pd.DataFrame(records)


def is_stale(row: dict) -> bool:
    """A row made by another training-code version (rows from before versions were recorded are version 1)."""
    return row.get("training_version", 1) != TRAINING_VERSION


def cell_key(config: dict) -> str:
    """What makes runs the same configuration apart from the seed (and where they ran): the run key with seed and
    device fixed, so a field the key leaves out (an lp_* field of a model other than dml_labelprop, whose default
    may change between rows) does not split a cell."""
    return RunConfig.from_dict({**config, "seed": 0, "device": "auto", "data_dir": None}).key()


# the temporary files the store's own writers name: a latents file ``NAME.npz.tmpPID.npz`` (save_latents)
LATENTS_TMP = re.compile(r"^.+\.npz\.tmp(\d{1,10})\.npz$")


def cleanup_temporary(folder) -> int:
    """Remove the temporary latents files (``LATENTS_TMP``, in ``folder/latents``) left by writers that were killed;
    files of live processes, and every file the store did not name, are kept. Returns how many were removed."""
    removed = 0
    d = Path(folder) / "latents"
    if not d.is_dir():
        return 0
    for f in d.iterdir():
        m = LATENTS_TMP.match(f.name)
        if m and f.is_file() and not _pid_alive(int(m.group(1))):
            f.unlink(missing_ok=True)
            removed += 1
    return removed


def make_row(table, profile: str, cfg: RunConfig, result: dict | None, error: str | None,
             wall: float, paper_dataset: str) -> dict:
    row = {"table": table, "profile": profile, "key": cfg.key(), "config": cfg.to_dict(), "seed": cfg.seed,
           "paper_dataset": paper_dataset, "dataset_used": cfg.dataset,
           "stand_in": cfg.dataset != paper_dataset, "status": "ok" if error is None else "failed",
           "reason": error, "wall_time": round(wall, 3), "version": __version__,
           "training_version": TRAINING_VERSION,
           "finished": time.strftime("%Y-%m-%dT%H:%M:%S")}
    if result is not None:
        for k in ("metrics", "metrics_by_protocol", "history", "n_train", "n_labelled", "labelled_classes",
                  "n_test", "source", "device", "torch", "threads", "pseudo_label_acc", "own_classifier", "host",
                  "node"):
            if k in result:
                row[k] = result[k]
        if "cpu_time" in result:
            row["cpu_time"] = round(result["cpu_time"], 3)
        if row.get("history") and cfg.model != "dml":  # models with more than one loss term (dml_labelprop: one)
            row["loss_shares"] = shares.summary(row)
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


def sweep(table, profile: str = "quick", seeds=2, results=None, dataset: str | None = None,
          device: str | None = None, data_dir: str | None = None, progress: bool = True,
          run_fn=None, retry_failed: bool = False, rerun_stale: bool = False, **backend) -> dict:
    """Train the runs of paper ``table`` x ``seeds`` missing from ``results`` (default: results/PROFILE.jsonl,
    the file the book reads); return counts. With
    ``retry_failed`` failed runs are trained again, with ``rerun_stale`` runs of another training-code version."""
    t = paper.validate_table(table)
    results = results_path(profile, results)
    cfgs = configs(t, profile, seeds_arg(seeds), dataset, device, data_dir)
    check_dataset(t, dataset, data_dir)
    paper_dataset = {c["dataset"] for c in paper.grid(t)}.pop()
    return run_configs(t, profile, cfgs, results, paper_dataset, progress, run_fn, retry_failed=retry_failed,
                       rerun_stale=rerun_stale, **backend)


def _wanted(row: dict | None, retry_failed: bool, rerun_stale: bool) -> bool:
    """Whether a run whose latest stored row is ``row`` (None: none) is to be trained."""
    if row is None:
        return True
    return (retry_failed and row.get("status") != "ok") or (rerun_stale and is_stale(row))


def training_key(cfg: RunConfig) -> str:
    """The key of a run with its probes left out: runs that share it train the same model on the same data
    (probes only score the latents, each with its own fixed seed, so a probe's numbers do not depend on which
    other probes ran)."""
    return dataclasses.replace(cfg, probes=("knn",)).key()


def reusable_runs(latest: dict, grid, profile: str) -> dict:
    """{training key: [(row, its probes)]} of the ok, current-version runs of ``profile`` stored under grids
    other than ``grid``: a run another grid already trained is copied, not trained again."""
    out = {}
    for (table, prof, _), row in latest.items():
        if table == grid or prof != profile or row.get("status") != "ok" or is_stale(row):
            continue
        try:
            cfg = RunConfig.from_dict(row["config"])
        except DmlvaeError:  # a row whose config this code cannot read is never a source
            continue
        out.setdefault(training_key(cfg), []).append((row, set(cfg.probes)))
    return out


def reused_row(source: dict, grid, cfg: RunConfig, paper_dataset: str) -> dict:
    """``source`` (a stored run of another grid that trained exactly as ``cfg`` does, with at least its probes)
    as a row of ``grid``: ``cfg``'s config and key, the metrics of ``cfg``'s probes only, and ``reused_from``
    naming the row it copies (its wall and CPU times stay: they are that training's cost)."""
    extra = set(source["config"]["probes"]) - set(cfg.probes)
    drop = {f"{p}_{m}" for p in extra for m in ("acc", "ami")}

    def trim(metrics):
        return None if metrics is None else {k: v for k, v in metrics.items() if k not in drop}
    result = {**source, "metrics": trim(source.get("metrics"))}
    if "metrics_by_protocol" in source:
        result["metrics_by_protocol"] = {p: trim(m) for p, m in source["metrics_by_protocol"].items()}
    row = make_row(grid, source["profile"], cfg, result, None, source["wall_time"], paper_dataset)
    row["reused_from"] = {"table": source["table"], "key": source["key"], "finished": source["finished"]}
    return row


def reuse_note(rows) -> str:
    """A sentence for a page: how many of ``rows`` were copied from runs of other grids (and which), or ''."""
    copied = [r for r in rows if r.get("reused_from")]
    if not copied:
        return ""
    sources = sorted({r["reused_from"]["table"] for r in copied}, key=str)
    names = ", ".join(f"Table {t}" if isinstance(t, int) else f"grid {t}" for t in sources)
    return (f"{len(copied)} of these {len(rows)} runs are runs of {names} (the same configuration and seed), "
            "copied from there rather than trained again.")


def _stored_meanwhile(store: Store, latest: dict, rid) -> bool:
    """Whether another sweep stored a row for run ``rid`` since ``latest`` was read."""
    return store.latest(warn=False).get(rid) != latest.get(rid)


def _reuse(store: Store, todo: list, latest: dict, grid, profile: str, paper_dataset) -> tuple[list, int]:
    """Copy into ``grid`` every run of ``todo`` that another grid of ``profile`` already trained (the same
    training key, a superset of the probes; each copy claimed like a run). Returns the runs still to train
    and the number copied (a run another sweep stored meanwhile is neither)."""
    sources = reusable_runs(latest, grid, profile)
    left, copied = [], 0
    for cfg in todo:
        match = next((row for row, probes in sources.get(training_key(cfg), ()) if probes >= set(cfg.probes)),
                     None)
        rid = (grid, profile, cfg.key())
        if match is None or not store.claim(rid):
            left.append(cfg)
            continue
        try:
            if not _stored_meanwhile(store, latest, rid):
                store.append(reused_row(match, grid, cfg, paper_dataset or cfg.dataset), supersede=True)
                copied += 1
        finally:
            store.release(rid)
    return left, copied


def estimate(todo, latest: dict) -> str:
    """About how long ``todo`` takes, from the stored rows of the same model and profile-scale (training images,
    epochs): the median of their CPU time where recorded (else wall time) per run, summed; "no stored run to
    estimate from" when there is none."""
    by_kind: dict = {}
    for r in latest.values():
        if r.get("status") == "ok":
            c = r["config"]
            by_kind.setdefault((c.get("model"), c.get("train_subset"), c.get("epochs")), []).append(run_seconds(r))
    total, known = 0.0, 0
    for cfg in todo:
        seen = [s for s in by_kind.get((cfg.model, cfg.train_subset, cfg.epochs), []) if s]
        if seen:
            total += float(np.median(seen))
            known += 1
    if not known:
        return "no stored run of these models at this scale to estimate the time from"
    total *= len(todo) / known
    when = f"{total / 60:.0f} min" if total >= 120 else f"{total:.0f} s"
    return (f"about {when} of CPU time (the median stored run of each model at this scale"
            + ("" if known == len(todo) else f"; {len(todo) - known} runs of models with no stored run counted at "
               "the mean") + ")")


def run_configs(grid, profile: str, cfgs, results, paper_dataset: str | None = None, progress: bool = True,
                run_fn=None, keep_latents: bool = False, retry_failed: bool = False,
                rerun_stale: bool = False, workers: int | None = None, address: str | None = None,
                cpus_per_run: int = 1, gpus_per_run: float = 0.0) -> dict:
    """Train the configurations missing from ``results`` under the name ``grid`` (a paper table number or
    the name of one of the book's own grids); one row per run, appended; failures recorded, not raised.
    Every output path and device is checked before the first run. Each run is claimed before it is trained,
    so concurrent sweeps on one file share the work. With ``keep_latents`` the test latents are saved
    (atomically, before the row) for :func:`load_latents`. With ``workers`` (or a Ray ``address``) the runs
    are Ray tasks (``dmlvae.parallel``); without, they run one by one in this process and Ray is not started.

    A run that another grid of the same profile already trained (the same configuration and seed, with at least
    this run's probes: :func:`training_key`) is copied from that grid's row, marked ``reused_from``, and not
    trained again (not with ``keep_latents``, whose latents file belongs to one grid).

    Counts: ``total`` = ``present`` (stored already, or by another sweep meanwhile) + ``reused`` + ``ok`` +
    ``failed`` + ``elsewhere`` (being trained by another live sweep)."""
    from . import parallel
    from .train import check_device, run as train_run

    use_ray = workers is not None or address is not None
    workers, address, cpus_per_run, gpus_per_run = parallel.validate(workers, address, cpus_per_run, gpus_per_run)
    if paper_dataset is None:  # a book grid that re-runs one of the paper's figures or claims: the paper's dataset
        from .grids import PAPER_DATASETS
        paper_dataset = PAPER_DATASETS.get(grid)
    store = Store(check_writable(results, "results file"))
    if not use_ray or gpus_per_run == 0:  # on a Ray cluster the devices are the workers', not this machine's
        for dev in sorted({c.device for c in cfgs}):
            check_device(dev)
    if keep_latents:
        check_writable(latents_path(results, grid, profile, cfgs[0]) if cfgs else results, "latents file")
    store.path.parent.mkdir(parents=True, exist_ok=True)
    cleanup_temporary(store.path.parent)
    latest = store.latest()
    # with keep_latents a run whose latents file is missing (a fresh clone, a deleted file) is trained again
    todo = [c for c in cfgs if _wanted(latest.get((grid, profile, c.key())), retry_failed, rerun_stale)
            or (keep_latents and latest[(grid, profile, c.key())].get("status") == "ok"
                and not latents_path(results, grid, profile, c).exists())]
    copied = 0
    if todo and not keep_latents:
        todo, copied = _reuse(store, todo, latest, grid, profile, paper_dataset)
    what = f"Table {grid}" if isinstance(grid, int) else f"grid {grid}"
    if todo and _auto_page and not no_train():
        raise MissingRuns(f"{len(todo)} of {len(cfgs)} runs of {what} are not in the shipped paper-scale results "
                          f"({results}), and this page's default profile (auto) trains nothing: re-run it with -p "
                          "profile quick (a miniature that trains in minutes) or -p profile paper (trains them at full "
                          "scale; the page says how long first)")
    if todo and no_train():
        raise MissingRuns(f"{len(todo)} of {len(cfgs)} runs of {what} ({profile}) are missing from {results}, and "
                          "DMLVAE_NO_TRAIN forbids training them here")
    counts = {"total": len(cfgs), "present": len(cfgs) - len(todo) - copied, "reused": copied, "ok": 0,
              "failed": 0, "elsewhere": 0}

    def record(cfg, result, error, wall):
        try:
            if keep_latents and result is not None:
                save_latents(latents_path(results, grid, profile, cfg), result)
            store.append(make_row(grid, profile, cfg, result, error, wall, paper_dataset or cfg.dataset),
                         supersede=True)
        except OSError as e:  # a full disk, a file system gone read-only: this run is lost, the stored ones are not
            store.release((grid, profile, cfg.key()))
            raise DmlvaeError(f"could not store run {cfg.model}/{cfg.routine} seed {cfg.seed} (key {cfg.key()}) in "
                              f"{results}: {e.strerror or e}; that run is lost (the rows stored before are intact): "
                              "free the space or fix the file system, then run the same command to resume") from None

    def changed(rid) -> bool:  # another sweep stored a row for this run since we looked
        return _stored_meanwhile(store, latest, rid)

    def announce():  # once the backend is ready, before the first run: how many runs, and about how long
        if todo:
            print(f"[{grid} ({profile})] training {len(todo)} of {len(cfgs)} runs: {estimate(todo, latest)}",
                  file=sys.stderr, flush=True)

    if use_ray:
        return parallel.run_all(todo, store, grid, profile, record, workers=workers, address=address,
                                cpus_per_run=cpus_per_run, gpus_per_run=gpus_per_run, run_fn=run_fn,
                                keep_latents=keep_latents, progress=progress, counts=counts,
                                changed=changed, announce=announce)

    announce()
    run_fn = run_fn or train_run
    bar = None
    if progress and todo:
        from tqdm.auto import tqdm
        bar = tqdm(total=len(cfgs), initial=counts["present"] + copied, desc=f"{grid} ({profile})", unit="run")
    for cfg in todo:
        rid = (grid, profile, cfg.key())
        if not store.claim(rid):
            counts["elsewhere"] += 1
            continue
        try:
            if changed(rid):
                counts["present"] += 1  # another sweep trained it meanwhile
                continue
            if bar is not None:
                bar.set_postfix_str(f"{cfg.model} {cfg.routine} pl={cfg.pl_pct:g} d={cfg.lsdim} a={cfg.alpha:g} "
                                    f"g={cfg.gamma:g} seed={cfg.seed}")
            t0 = time.perf_counter()
            try:
                result, error = run_fn(cfg), None
            except (KeyboardInterrupt, SystemExit):
                raise
            except DmlvaeError:  # bad input found late is the user's to fix, not a failed run
                raise
            except Exception as e:  # recorded, and the sweep goes on
                result, error = None, f"{type(e).__name__}: {e}"
                if not isinstance(e, (RuntimeError, ValueError)):
                    error += "\n" + traceback.format_exc(limit=3)
            record(cfg, result, error, time.perf_counter() - t0)
            counts["ok" if error is None else "failed"] += 1
        finally:
            store.release(rid)
        if bar is not None:
            bar.update(1)
        else:  # a page under papermill: one line per run, in the executed notebook and on --log-output
            done = counts["ok"] + counts["failed"]
            print(f"[{grid} ({profile})] {done} of {len(todo)} trained: {cfg.model}/{cfg.routine} seed {cfg.seed}, "
                  f"{time.perf_counter() - t0:.0f} s" + ("" if error is None else " (failed)"), file=sys.stderr,
                  flush=True)
    if bar is not None:
        bar.close()
    return counts


LATENT_KEYS = ("z_test", "y_test", "z_labelled", "y_labelled")


def save_latents(path, result: dict) -> None:
    """Write a run's latents to ``path`` (.npz) atomically (temporary file, then rename): the test latents ``z``
    and labels ``y``, and the labelled training latents ``z_labelled`` with their labels ``y_labelled`` (enough
    to recompute the test-cv and labelled-to-test protocols)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}.npz")
    np.savez(tmp, z=result["z_test"], y=result["y_test"], z_labelled=result["z_labelled"],
             y_labelled=result["y_labelled"])
    os.replace(tmp, path)


def latents_path(results, grid, profile: str, cfg: RunConfig) -> Path:
    return Path(results).parent / "latents" / f"{grid}-{profile}-{cfg.key()}.npz"


def load_latents(results, grid, profile: str, cfg: RunConfig) -> tuple[np.ndarray, np.ndarray]:
    with np.load(latents_path(results, grid, profile, cfg)) as f:
        return f["z"], f["y"]


def rows_for(results, grid, profile: str, cfgs=None) -> list[dict]:
    """The stored rows of one grid and profile (only those of ``cfgs`` when given), in ``cfgs`` order."""
    rows = [r for r in Store(results).latest().values() if r["table"] == grid and r["profile"] == profile]
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


SHIPPED = Path("results") / "paper.jsonl"  # the paper-profile rows that ship with the book


def shipped_or(profile: str, results, grid: str, cells, seeds):
    """(profile, results file) a page shows ``grid`` from: the shipped paper-profile rows when they hold every run
    of ``cells`` x ``seeds`` (for results that only mean something at the paper's scale), else the page's own."""
    if SHIPPED.exists():
        want = profile_configs(cells, "paper", seeds, grid=grid)
        if len(rows_for(SHIPPED, grid, "paper", want)) == len(want):
            return "paper", SHIPPED
    return profile, results_path(profile, results)


def profile_configs(cells, profile: str, seeds, grid=None, **fixed) -> list[RunConfig]:
    """RunConfigs of ``cells`` (dicts of RunConfig fields) under ``profile``, per seed; ``fixed`` fields that are
    not None (dataset, device, data_dir, ...) override every cell. ``grid`` (a table number or a grid's name)
    adds the profile's settings for that grid (``GRID_PROFILES``)."""
    overrides = {**PROFILES[validate_profile(profile)], **GRID_PROFILES.get(profile, {}).get(grid, {})}
    return [RunConfig(**{**overrides, **cell, **{k: v for k, v in fixed.items() if v is not None}, "seed": s})
            for cell in cells for s in seeds_arg(seeds)]


def results_frame(results, profile: str | None = None, dataset: str | None = None) -> pd.DataFrame:
    """The results file as a DataFrame (the latest row of each run), restricted to one profile (required when
    it holds several) and optionally to one dataset. A missing file, or a profile or dataset it does not hold,
    is an error, not an empty table."""
    path = Path(results)
    if not path.exists():
        raise DmlvaeError(f"results file {str(path)!r} does not exist; run `python -m dmlvae sweep ... --results "
                          f"{path}` first")
    df = Store(path).frame()
    if df.empty:
        raise DmlvaeError(f"results file {str(path)!r} holds no readable rows")
    profiles = sorted(df.profile.unique())
    if profile is None:
        if len(profiles) > 1:
            raise DmlvaeError(f"{path} holds several profiles; choose one with --profile; allowed: "
                              f"{', '.join(profiles)}")
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


def of_runs(frame: pd.DataFrame, cfgs) -> pd.Series:
    """Which rows of ``frame`` (:meth:`Store.frame`) are runs of ``cfgs``: the same configuration (``cell_key``, so
    a field the run key leaves out does not split it) and the same seed."""
    want = {(cell_key(c.to_dict()), c.seed) for c in cfgs}
    return pd.Series([(c, s) in want for c, s in zip(frame.cell, frame.seed)], index=frame.index, dtype=bool)


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


def run_seconds(row: dict) -> float | None:
    """A run's cost in seconds: its CPU time (all its threads) where the row records one, else its wall time
    (rows stored before cpu_time was recorded; a paused or shared machine inflates those)."""
    return row.get("cpu_time", row.get("wall_time"))


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
    return frame.groupby(list(by), sort=False).agg(**{c: (c, paper.mean_sd) for c in columns},
                                                   runs=("seed", "size"))
