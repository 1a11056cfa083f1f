"""What a run's numbers depend on beyond its configuration and seed: the numeric environment every row records,
and ``rerun``, which trains a stored row again and says how far this machine's numbers are from it.

A float sum is taken in another order on another thread count, another kernel (torch's ATen dispatch: its CPU
capability) or another BLAS build or path (MKL's version, ``MKL_ENABLE_INSTRUCTIONS``, ``MKL_CBWR``), and a library
release can change an algorithm. Rows stored before this field existed show each of these as unknown.
"""

from __future__ import annotations

import functools
import math
import os
import re
from importlib import metadata

UNKNOWN = "unknown"
# the variables that force a kernel path, recorded when set
FORCING = ("ATEN_CPU_CAPABILITY", "MKL_ENABLE_INSTRUCTIONS", "MKL_CBWR", "MKL_DEBUG_CPU_TYPE", "OMP_NUM_THREADS")
FIELDS = (
    "torch",
    "numpy",
    "scikit-learn",
    "graphlearning",
    "cpu_capability",
    "mkl",
    "threads",
    "forced",
)


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


@functools.lru_cache(maxsize=1)
def _static() -> dict:
    import torch

    mkl = re.search(r"Math Kernel Library Version ([0-9.]+)", torch.__config__.show())
    return {
        "torch": torch.__version__,
        "numpy": _version("numpy"),
        "scikit-learn": _version("scikit-learn"),
        "graphlearning": _version("graphlearning"),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "mkl": mkl.group(1) if mkl else ("none" if not torch.backends.mkl.is_available() else UNKNOWN),
    }


def environment() -> dict:
    """This process's numeric environment, as a row records it (``numeric_env``)."""
    import torch

    forced = {k: os.environ[k] for k in FORCING if os.environ.get(k)}
    return {**_static(), "threads": torch.get_num_threads(), "forced": forced}


def recorded(row: dict) -> dict:
    """A row's numeric environment; each field it did not record is ``unknown`` (rows before the field existed
    recorded only torch and the thread count)."""
    env = dict(row.get("numeric_env") or {})
    for k in FIELDS:
        env.setdefault(k, UNKNOWN)
    if env["torch"] == UNKNOWN and row.get("torch"):
        env["torch"] = row["torch"]
    if env["threads"] == UNKNOWN and row.get("threads") is not None:
        env["threads"] = row["threads"]
    return env


def differences(row: dict, here: dict | None = None) -> dict:
    """Field -> (recorded, this machine's) for every field of the row's environment that differs here or is
    unknown."""
    here = environment() if here is None else here
    was = recorded(row)
    return {k: (was[k], here[k]) for k in FIELDS if was[k] != here[k]}


def _flat(metrics: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in (metrics or {}).items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}."))
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            out[f"{prefix}{k}"] = float(v)
    return out


def drift(stored: dict, again: dict) -> dict:
    """Metric -> relative difference |again - stored| / |stored| over ``metrics`` and ``metrics_by_protocol`` (0 for
    equal values; a metric one side lacks is NaN)."""
    a = {**_flat(stored.get("metrics")), **_flat(stored.get("metrics_by_protocol"), "by_protocol.")}
    b = {**_flat(again.get("metrics")), **_flat(again.get("metrics_by_protocol"), "by_protocol.")}
    out = {}
    for k in sorted(set(a) | set(b)):
        if k not in a or k not in b:
            out[k] = math.nan
        elif a[k] == b[k] or (math.isnan(a[k]) and math.isnan(b[k])):
            out[k] = 0.0
        else:
            out[k] = abs(b[k] - a[k]) / max(abs(a[k]), 1e-12)
    return out


def find_row(rows: list, key: str) -> dict:
    """The stored, trained row of ``key`` (a unique prefix will do); a reused copy points to the row it copied."""
    from .errors import DmlvaeError

    hits = [r for r in rows if str(r.get("key", "")).startswith(key) and r.get("status") == "ok"]
    keys = sorted({r["key"] for r in hits})
    if not keys:
        raise DmlvaeError(f"no finished run with key {key!r} in the results file; `table` and the rows name the keys")
    if len(keys) > 1:
        raise DmlvaeError(f"key {key!r} names {len(keys)} runs ({', '.join(k[:12] for k in keys[:4])}, ...): give more")
    trained = [r for r in hits if not r.get("reused_from")]
    return (trained or hits)[0]


def rerun(row: dict, run_fn=None) -> dict:
    """Train ``row``'s configuration again under its recorded thread count; return the drift of each metric, the
    environment fields that differ here, and whether every metric is bit-identical."""
    import torch

    from .config import RunConfig
    from .train import run

    cfg = RunConfig.from_dict(row["config"])
    threads = recorded(row)["threads"]
    before = torch.get_num_threads()
    if threads != UNKNOWN:
        torch.set_num_threads(int(threads))
    try:
        here = environment()
        again = (run_fn or run)(cfg)
    finally:
        torch.set_num_threads(before)
    d = drift(row, again)
    return {
        "key": row["key"],
        "grid": row.get("table"),
        "threads": threads,
        "drift": d,
        "identical": all(v == 0.0 for v in d.values()),
        "differences": differences(row, here),
    }


def report(out: dict) -> str:
    """``rerun``'s answer as text: ``bit-identical`` or each metric's drift, then the environment that differs."""
    head = f"run {out['key'][:12]} (grid {out['grid']}, {out['threads']} thread(s))"
    if out["identical"]:
        lines = [f"{head}: bit-identical ({len(out['drift'])} metrics)"]
    else:
        lines = [f"{head}: largest relative drift of each metric"]
        lines += [f"  {k}: {v:.2e}" for k, v in out["drift"].items()]
    diff = out["differences"]
    if diff:
        lines.append("recorded environment that differs here (recorded -> this machine):")
        lines += [f"  {k}: {w} -> {h}" for k, (w, h) in diff.items()]
    else:
        lines.append("recorded environment: the same here")
    return "\n".join(lines)
