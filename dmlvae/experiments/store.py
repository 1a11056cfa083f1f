"""The results store: a JSON-lines file of runs, one row per run, keyed by (table or grid, profile, config key).

Each finished run is one row, appended under a lock as one line written whole and fsynced (a line torn by a kill,
or any line that is not a valid row, is skipped when read, with a warning naming the file and the lines), so a sweep
killed at any moment and started again ends with every run exactly once. Nothing rewrites the file. Runs are
claimed before training (``RESULTS.claims/``), so sweeps sharing a file share the work. Also here: the latents
files some grids keep, and the readers the pages and the CLI use (``rows_for``, ``metric``, ``results_frame``).
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import os
import re
import socket
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from dmlvae.core.config import RunConfig
from dmlvae.errors import DmlvaeError
from dmlvae.version import TRAINING_VERSION

REQUIRED_FIELDS = ("table", "profile", "key", "status", "config")


def _numbers(d) -> bool:
    return isinstance(d, dict) and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) or v is None for v in d.values()
    )


def valid_row(row) -> bool:
    """Whether a decoded line is a row the store's readers can use: an object with the required fields of the right
    kinds, a config that is a valid RunConfig (so lsdim -5 or 1e999 is not), numeric metrics, a list history."""
    if not isinstance(row, dict) or any(k not in row for k in REQUIRED_FIELDS):
        return False
    if not (
        isinstance(row["table"], (int, str))
        and not isinstance(row["table"], bool)
        and isinstance(row["profile"], str)
        and isinstance(row["key"], str)
        and row["status"] in ("ok", "failed")
        and isinstance(row["config"], dict)
    ):
        return False
    if row.get("metrics") is not None and not _numbers(row["metrics"]):
        return False
    mbp = row.get("metrics_by_protocol")
    if mbp is not None and not (isinstance(mbp, dict) and all(_numbers(v) for v in mbp.values())):
        return False
    if row.get("history") is not None and not (
        isinstance(row["history"], list) and all(isinstance(h, dict) for h in row["history"])
    ):
        return False
    try:
        RunConfig.from_dict(row["config"])
    except (DmlvaeError, TypeError, ValueError, OverflowError, RecursionError):
        return False
    return True


@functools.lru_cache(maxsize=1 << 16)
def _readable(line: str) -> bool:
    """Whether a line of a results file decodes to a :func:`valid_row`; kept per line's text, so a process that
    reads the same store again (a page, a build) checks each row's config once, not at every read."""
    try:
        row = json.loads(line)
    except (ValueError, RecursionError):  # not JSON, a number past Python's digit limit, deep nesting
        return False
    return valid_row(row)


class StoreWarning(UserWarning):
    """Some lines of a results file could not be read; they are skipped and left in the file."""


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
        raise DmlvaeError(
            f"{what} {str(path)!r} is a symlink to {os.readlink(path)!r}, which does not exist; point it "
            "at a file, or give another path"
        )
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
                if not _readable(line):
                    bad.append(n)
                    continue
                rows.append(json.loads(line))  # a fresh row each read: a caller may change what it gets
        if bad and warn:
            shown = ", ".join(map(str, bad[:10])) + (", ..." if len(bad) > 10 else "")
            warnings.warn(
                f"{self.path}: skipped {len(bad)} unreadable line(s) (line {shown}); they are kept in "
                "the file, and their runs count as missing",
                StoreWarning,
                stacklevel=2,
            )
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
            rec = {
                k: v
                for k, v in r.items()
                if k not in ("config", "metrics", "history", "metrics_by_protocol", "loss_shares")
            }
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


LATENT_KEYS = ("z_test", "y_test", "z_labelled", "y_labelled")


def save_latents(path, result: dict) -> None:
    """Write a run's latents to ``path`` (.npz) atomically (temporary file, then rename): the test latents ``z``
    and labels ``y``, and the labelled training latents ``z_labelled`` with their labels ``y_labelled`` (enough
    to recompute the test-cv and labelled-to-test protocols)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}.npz")
    np.savez(
        tmp, z=result["z_test"], y=result["y_test"], z_labelled=result["z_labelled"], y_labelled=result["y_labelled"]
    )
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


def of_runs(frame: pd.DataFrame, cfgs) -> pd.Series:
    """Which rows of ``frame`` (:meth:`Store.frame`) are runs of ``cfgs``: the same configuration (``cell_key``, so
    a field the run key leaves out does not split it) and the same seed."""
    want = {(cell_key(c.to_dict()), c.seed) for c in cfgs}
    return pd.Series([(c, s) in want for c, s in zip(frame.cell, frame.seed)], index=frame.index, dtype=bool)


def run_seconds(row: dict) -> float | None:
    """A run's cost in seconds: its CPU time (all its threads) where the row records one, else its wall time
    (rows stored before cpu_time was recorded; a paused or shared machine inflates those)."""
    return row.get("cpu_time", row.get("wall_time"))
