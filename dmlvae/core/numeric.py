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

import torch

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
