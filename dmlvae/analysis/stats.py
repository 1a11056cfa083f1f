"""The statistics of the book's comparisons: seed-paired differences, their mean with a 95 % t-interval and a
one-sample t-test, and Holm's correction over a family of tests (used by the scorecard within each claim's family,
the beyond page over its models and the balance axis over its shares; the geodesic page's comparisons are not
corrected).

Runs that share a seed share the labelled subset, so two models are compared seed by seed (``paired``) and the
per-seed differences summarised (``interval``); the scorecard, the beyond page, the balance axis and the realistic
protocol all do it this way.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats as sps


def interval(values) -> dict:
    """Mean, 95% t-interval, n and the two-sided p-value of the one-sample t-test of mean 0 (``p``) of ``values``
    (one per seed); one value gives no interval (and p NaN)."""
    v = np.asarray([x for x in values if x is not None and not math.isnan(x)], dtype=float)
    n = len(v)
    if n == 0:
        return {"mean": float("nan"), "low": float("nan"), "high": float("nan"), "n": 0, "p": float("nan")}
    mean = float(v.mean())
    if n == 1:
        return {"mean": mean, "low": float("nan"), "high": float("nan"), "n": 1, "p": float("nan")}
    sd = float(v.std(ddof=1))
    half = float(sps.t.ppf(0.975, n - 1) * sd / math.sqrt(n))
    p = (0.0 if mean != 0 else 1.0) if sd == 0 else float(2 * sps.t.sf(abs(mean) / (sd / math.sqrt(n)), n - 1))
    return {"mean": mean, "low": mean - half, "high": mean + half, "n": n, "p": p}


def holm(pvalues) -> list[float]:
    """Holm's step-down adjustment of a family of p-values (NaN stays NaN and does not count in the family): a
    test is significant at level a when its adjusted p-value is below a, with the family-wise error rate a."""
    p = [float(x) for x in pvalues]
    idx = sorted((i for i, x in enumerate(p) if not math.isnan(x)), key=lambda i: p[i])
    m, out, running = len(idx), [float("nan")] * len(p), 0.0
    for rank, i in enumerate(idx):
        running = max(running, min(1.0, (m - rank) * p[i]))
        out[i] = running
    return out


ALPHA = 0.05  # the level of every test and interval here (95 % intervals)


def paired(target: pd.DataFrame, reference: pd.DataFrame, on: list[str], value: str) -> pd.DataFrame:
    """The rows of ``target`` whose ``on`` values (which include the seed) ``reference`` holds, in ``target``'s order,
    with ``diff`` = their ``value`` minus the reference's: differences of runs that share a seed (and so a labelled
    subset), never of runs that do not. ``reference`` must hold one row per ``on`` values; ``target`` may hold
    several (several target cells against one reference). A missing value gives a NaN ``diff``, which
    :func:`interval` leaves out."""
    if "seed" not in on:
        raise ValueError(f"paired: runs are paired by seed, but on={on!r} leaves it out")
    ref = reference[[*on, value]].rename(columns={value: "_reference"})
    out = target.merge(ref, on=on, how="inner", validate="many_to_one")
    out.index = target.index[target.set_index(on).index.isin(ref.set_index(on).index)]
    return out.assign(diff=out[value].astype(float) - out["_reference"].astype(float)).drop(columns="_reference")
