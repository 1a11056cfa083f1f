"""The scorecard: each claim of the paper with a verdict and its evidence, from the results store.

Evidence is a paired difference over seeds: runs that share a seed share the labelled subset, so
``ours(A) - ours(B)`` is taken seed by seed, averaged over the cells a claim covers, and summarised by its mean,
a 95% t-interval over seeds and a one-sample t-test. Each claim's tests form one family, and Holm's correction is
applied within it (:func:`holm_family`): its pooled differences among themselves, and the cells they pool among
themselves. A claim that "A beats B" is *reproduced* when its difference is above 0 after the correction, *not
reproduced* when it is not, and *partly* when it holds in some of the settings it names and not in others.
"At chance" claims compare accuracy with 1 / number of classes (within ``CHANCE_BAND``), all on one latent
(``CHANCE_LATENT``), with the other latent's verdict by the same rule beside it (:func:`at_chance`).
"""

from __future__ import annotations

import dataclasses
import inspect
import itertools
import json
import math
import os
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from dmlvae import errors, version
from dmlvae.analysis import stats
from dmlvae.analysis.stats import ALPHA, holm, interval
from dmlvae.core import shares
from dmlvae.core.config import RunConfig
from dmlvae.core.priors import hypercube_means
from dmlvae.experiments import grids, paper, profiles, store
from dmlvae.experiments.paper import weight_label

PROTOCOLS = ("test-cv", "labelled-to-test")
CHANCE_BAND = 0.05  # within 5 points of 1 / classes counts as chance
SETTLED = 0.02  # a reconstruction loss changing less than 2 % over the last two epochs has converged


def _shape(config: dict) -> str:
    """A run's configuration apart from its seed, device and dataset (claims hold on any dataset)."""
    return store.cell_key({**config, "dataset": "mnist"})


def current_configurations(grid, profile: str, params: dict | None = None) -> set | None:
    """The configurations (:func:`_shape`) ``profile`` runs today in ``grid`` with grid parameters ``params``, a
    claim source's grid; None for another grid. A results file may also hold rows of a setting the profile no
    longer uses (the quick profile's former Table 4, say), or of the same grid with other parameters (the
    alternating MetricVAE under the other objective): a claim never mixes them in."""
    if _source_grid(grid) not in {_source_grid(g) for g in SOURCE_GRIDS.values()}:
        return None
    return {_shape(c.to_dict()) for c in _source_configs(grid, profile, 1, "mnist", params)}


def runs(
    results, grid, profile: str, protocol: str = "test-cv", params: dict | None = None, seeds=None
) -> pd.DataFrame:
    """One row per ok run of ``grid``: its config fields, seed, kNN accuracy under ``protocol``, the last epoch's
    history values, and the weighted metric term's share of the loss in the last epoch that has one
    (``loss_share_metric``, :mod:`dmlvae.core.shares`). For a claim source's grid only the rows of the configurations
    ``profile`` runs today with grid parameters ``params`` (:func:`current_configurations`); only seeds ``seeds``
    (``--seeds K``-like: K means 0..K-1; None: every seed stored)."""
    out = []
    current = current_configurations(grid, profile, params)
    keep = None if seeds is None else set(profiles.seeds_arg(seeds))
    for r in store.rows_for(results, grid, profile):
        if (
            r.get("status") != "ok"
            or (current is not None and _shape(r["config"]) not in current)
            or (keep is not None and r["seed"] not in keep)
        ):
            continue
        last = (r.get("history") or [{}])[-1]
        share = shares.columns(r, "last_metric").get("metric share")
        out.append(
            {
                **r["config"],
                "seed": r["seed"],
                "acc": store.metric(r, "knn_acc", protocol),
                "acc_sampled": store.metric(r, "knn_acc", "test-cv/sampled-z"),
                "embedding_norm": last.get("embedding_norm"),
                "loss_share_metric": share,
                "stale": store.is_stale(r),
                "history": r.get("history") or [],
                "n_classes": _classes(r),
            }
        )
    return pd.DataFrame(out)


def _classes(row) -> int:
    return {"organamnist": 11}.get(row["config"]["dataset"], 10)


def paired(frame: pd.DataFrame, a: dict, b: dict, over: dict | None = None) -> dict:
    """Seed-paired ``acc(a) - acc(b)``: ``a`` and ``b`` select runs by column values; ``over`` restricts both
    (e.g. pl_pct); per seed the differences of every matching cell pair (same pl_pct and lsdim) are averaged."""
    f = frame
    for k, v in (over or {}).items():
        f = f[f[k].isin(v if isinstance(v, (list, tuple, set)) else [v])]

    def sel(q):
        return (
            f[np.logical_and.reduce([f[k].isin(v if isinstance(v, (list, tuple, set)) else [v]) for k, v in q.items()])]
            if len(f)
            else f
        )

    fa, fb = sel(a), sel(b)
    if not len(fa) or not len(fb):
        return {**interval([]), "cells": [], "per_seed": {}}
    base = fb.groupby(["pl_pct", "lsdim", "seed"], as_index=False)["acc"].mean()
    d = stats.paired(
        fa.assign(cell=[_cell_label(r) for _, r in fa.iterrows()]), base, ["pl_pct", "lsdim", "seed"], "acc"
    )
    seeds = {s: float(g.mean()) for s, g in d.groupby("seed", sort=False)["diff"]}
    cells = [{"cell": c, **interval(g)} for c, g in d.groupby("cell", sort=False)["diff"]]
    return {**interval(list(seeds.values())), "cells": cells, "per_seed": seeds}


def _cell_label(r) -> str:
    """A claim's cell: the labelled percentage, lsdim, and the weight (alpha of an alternating routine, gamma of
    the joint one) of the run it is about."""
    weight = (
        f", alpha {r.alpha:g}"
        if str(r.get("routine", "")).startswith("alternating")
        else f", gamma {r.gamma:g}"
        if r.get("routine") == "joint"
        else ""
    )
    return f"{r.pl_pct:g} %, lsdim {r.lsdim}{weight}"


def holm_family(evs) -> list:
    """Holm's correction within one claim's family of tests (``evs``: its (name, paired difference) pairs, as
    given to :func:`_claim`): the pooled differences' p-values among themselves (``p_holm`` of each), and every
    cell they pool among themselves (``p_holm`` of each cell). Returns ``evs``, adjusted in place."""
    for (_, ev), adjusted in zip(evs, holm([ev["p"] for _, ev in evs])):
        ev["p_holm"] = adjusted
    cells = [c for _, ev in evs for c in ev.get("cells", [])]
    for c, adjusted in zip(cells, holm([c["p"] for c in cells])):
        c["p_holm"] = adjusted
    return evs


def side(ev: dict) -> int:
    """+1 when ``ev`` (a paired difference or a cell of one, with its Holm-adjusted ``p_holm``) lies above 0 after
    Holm's correction within its family, -1 when below, 0 when neither (or too few seeds)."""
    p = ev.get("p_holm", float("nan"))
    if ev["n"] < 2 or math.isnan(p) or p >= ALPHA:
        return 0
    return 1 if ev["mean"] > 0 else -1


def opposite_cells(ev: dict) -> list[dict]:
    """The cells of a pooled difference that lie on the other side of 0 from it, after Holm's correction within
    the claim's family of cells."""
    if not (ev["n"] > 1 and not math.isnan(ev["low"])):
        return []
    sign = 1 if ev["mean"] > 0 else -1
    return [c for c in ev.get("cells", []) if side(c) == -sign]


def beats(ev: dict) -> str:
    """'reproduced' when the pooled difference lies above 0 after Holm's correction (``p_holm``, set by
    :func:`holm_family`) and no cell lies below it ('partly' when one does); 'not reproduced' otherwise."""
    if ev["n"] < 2 or math.isnan(ev["low"]):
        return "too few seeds"
    if "p_holm" not in ev:
        raise ValueError("beats: the difference has no Holm-adjusted p-value; judge a claim's family with holm_family")
    if side(ev) > 0:
        return "partly" if opposite_cells(ev) else "reproduced"
    return "not reproduced"


def combine(verdicts) -> str:
    v = [x for x in verdicts if x != "too few seeds"]
    if not v:
        return "too few seeds"
    if all(x == "reproduced" for x in v):
        return "reproduced"
    if any(x in ("reproduced", "partly") for x in v):
        return "partly"
    return "not reproduced"


def fmt_p(p: float) -> str:
    return "-" if math.isnan(p) else "< 0.001" if p < 0.001 else f"{p:.3f}"


def fmt(ev: dict, unit: str = "seed") -> str:
    """Mean [95 % interval] (n ``unit``s; the t-test's p, raw and Holm-adjusted within the claim's family where
    it has been): the interval is over seeds, or over runs for a claim about each run."""
    if ev["n"] == 0:
        return "no runs"
    if ev["n"] == 1:
        return f"{ev['mean']:+.3f} (1 {unit})"
    tests = f"; p {fmt_p(ev['p'])}, Holm {fmt_p(ev['p_holm'])}" if "p_holm" in ev else ""
    text = f"{ev['mean']:+.3f} [{ev['low']:+.3f}, {ev['high']:+.3f}] ({ev['n']} {unit}s{tests})"
    other = opposite_cells(ev)
    return text + (
        " (the other way at "
        + ", ".join(
            f"{c['cell']}: {c['mean']:+.3f} [{c['low']:+.3f}, {c['high']:+.3f}], Holm p {fmt_p(c['p_holm'])}"
            for c in other
        )
        + ")"
        if other
        else ""
    )


NO_OBJECTIVE = "-"


def _claim(number, text, verdict, evidence, protocol, objective=NO_OBJECTIVE, evs=(), rule="difference", **more):
    """A claim's row; ``evs``: the paired differences it rests on (its family, Holm-corrected by
    :func:`holm_family`), whose cells :func:`cell_verdicts` lists; ``rule``: the kind of rule that decides it
    (RULES); ``more``: the rule's own fields (an at-chance claim's ``latent`` and the other latent's verdict, and
    ``effect``: the claim's size in a few words; by default its pooled differences with their intervals)."""
    cells = [{"difference": name, **c} for name, ev in evs for c in ev.get("cells", [])]
    effect = more.pop("effect", None) or (
        f"{_seeds_text(evs)}: " + "; ".join(f"{name} {_interval_text(ev)}" for name, ev in evs) if evs else "-"
    )
    family = (
        f"{len(evs)} pooled difference{'s' if len(evs) != 1 else ''} ({'; '.join(name for name, _ in evs)}), "
        f"{len(cells)} cells"
        if evs
        else "no test (a rule, not a difference)"
    )
    return {
        "claim": number,
        "the paper says": text,
        "objective": objective,
        "protocol": protocol,
        "verdict": verdict,
        "evidence": evidence,
        "rule": rule,
        "latent": more.pop("latent", "mu"),
        "other latent": more.pop("other_latent", ""),
        "family": family,
        "effect": effect,
        "cells": cells,
        **more,
    }


def _interval_text(ev: dict) -> str:
    return f"{ev['mean']:+.3f} [{ev['low']:+.3f}, {ev['high']:+.3f}]" if ev["n"] > 1 else f"{ev['mean']:+.3f}"


def _seeds_text(evs) -> str:
    n = sorted({ev["n"] for _, ev in evs})
    return f"{'-'.join(map(str, n))} seed{'s' if n != [1] else ''}"


def cell_frame(cards: pd.DataFrame) -> pd.DataFrame:
    """One row per cell of every pooled difference, with its numbers (mean, low, high, n, the raw and the
    Holm-adjusted p) for a figure."""
    cols = ["claim", "protocol", "difference", "cell", "mean", "low", "high", "n", "p", "p_holm"]
    rows = [
        {"claim": c.claim, "protocol": c.protocol, **{k: cell.get(k, float("nan")) for k in cols[2:]}}
        for c in cards.itertuples()
        for cell in (getattr(c, "cells", None) or [])
    ]
    return pd.DataFrame(rows, columns=cols)


def cell_verdicts(cards: pd.DataFrame) -> pd.DataFrame:
    """Beside each pooled verdict, one row per cell it pools (labelled percentage, lsdim, alpha or gamma): the
    seed-paired difference in that cell with its 95 % interval, its p-value raw and Holm-adjusted within the
    claim's family of cells, and whether that cell alone is on the claim's side after the correction ("for"), the
    other ("against") or neither ("no difference shown")."""
    rows = []
    for c in cards.itertuples():
        for cell in getattr(c, "cells", None) or []:
            where = (
                {1: "for", -1: "against", 0: "no difference shown"}[side(cell)] if cell["n"] > 1 else "too few seeds"
            )
            rows.append(
                {
                    "claim": c.claim,
                    "protocol": c.protocol,
                    "difference": cell["difference"],
                    "cell": cell["cell"],
                    "mean [95 % interval]": f"{cell['mean']:+.3f} [{cell['low']:+.3f}, {cell['high']:+.3f}]"
                    if cell["n"] > 1
                    else fmt(cell),
                    "p": fmt_p(cell["p"]),
                    "p (Holm)": fmt_p(cell.get("p_holm", float("nan"))),
                    "this cell": where,
                }
            )
    cols = ["claim", "protocol", "difference", "cell", "mean [95 % interval]", "p", "p (Holm)", "this cell"]
    return pd.DataFrame(rows, columns=cols)


def families(cards: pd.DataFrame) -> pd.DataFrame:
    """Each check's family of tests, within which Holm's correction is applied: claim, protocol, its rule and
    what the family holds (its pooled differences and their cells)."""
    return cards[["claim", "protocol", "rule", "family"]].reset_index(drop=True)


OCCUPIED_RADIUS = 0.5  # a quarter of the distance between neighbouring hypercube components (2)


def occupancy(z: np.ndarray, means: np.ndarray, radius: float = OCCUPIED_RADIUS) -> np.ndarray:
    """The fraction of latents ``z`` within ``radius`` of each component mean."""
    d = np.linalg.norm(np.asarray(z, float)[:, None, :] - np.asarray(means, float)[None], axis=2)
    return (d <= radius).mean(axis=0)


def occupied_components(results, profile: str, run) -> int | None:
    """How many of a Figure 5 GMM-prior run's 2^lsdim components its test latents occupy: at least 1/(2K) of them
    within ``OCCUPIED_RADIUS`` of the component's mean (a trace of the component). None when the run's latents
    are not stored (``run``: a row of :func:`runs`)."""

    cfg = RunConfig.from_dict({f.name: run[f.name] for f in dataclasses.fields(RunConfig) if f.name in run})
    path = store.latents_path(results, "figure5", profile, cfg)
    if not path.exists():
        return None
    z, _ = store.load_latents(results, "figure5", profile, cfg)
    means = hypercube_means(cfg.lsdim)
    return int((occupancy(z, means) >= 1 / (2 * len(means))).sum())


STAND_IN = "; stand-in "  # a claim's label names the stand-in it ran on: "1 (Table 2; stand-in fashion-mnist)"


def _stand_in(frame: pd.DataFrame, grid) -> str:
    """'; stand-in fashion-mnist' when ``frame``'s runs of ``grid`` (a paper table or one of the book's grids) ran
    on another dataset than the paper's, else '': the tail of the claim's label, so that every table, figure and
    sentence naming the verdict names the stand-in too."""

    theirs = paper.paper_table(grid).dataset.iloc[0] if grid in paper.TABLES else grids.PAPER_DATASETS.get(grid)
    ours = sorted(set(frame.dataset)) if len(frame) else []
    if theirs is None or not ours or ours == [theirs]:
        return ""
    return STAND_IN + ", ".join(ours)


def stand_in_of(claim: str) -> str | None:
    """The stand-in dataset a claim's label names, or None."""
    return claim.split(STAND_IN, 1)[1].rstrip(")") if STAND_IN in claim else None


def _share_range(frame: pd.DataFrame) -> str:
    """The weighted metric term's share of the loss over ``frame``'s runs (their last epoch with the term), as
    evidence beside an accuracy."""
    v = frame.loss_share_metric.dropna() if "loss_share_metric" in frame else pd.Series(dtype=float)
    if not len(v):
        return "the metric term's share of the loss: not recorded"
    lo, hi = shares.fmt_share(v.min()), shares.fmt_share(v.max())
    return f"the metric term's share of the loss: {lo}" + (f" to {hi}" if hi != lo else "")


# The MetricVAE's claims (6-8) are scored under each objective (grids.OBJECTIVES): our image-sum reconstruction,
# and the paper's literal MSELoss() averaged over pixels. Per objective: its label and the claim sources of the
# alternating MetricVAE and of Table 4 (SOURCE_GRIDS names).
OBJECTIVE_LABELS = {"image-sum": "image-sum (ours)", "pixel-mean": "pixel-mean (the paper's MSELoss)"}
OBJECTIVE_SOURCES = {
    "image-sum": ("alternating MVAE", "Table 4"),
    "pixel-mean": ("alternating MVAE, pixel-mean", "Table 4, pixel-mean"),
}


# ---------------------------------------------------------------------------------------------- the claims
# Each claim of the paper is one function, registered with @claim(number, kind); its docstring is its rule (the
# scorecard page lists them, :func:`rules`). A claim's kind says what it is scored on: "table" (once per paper
# table it names, Tables 1 and 2), "objective" (once per reading of the MetricVAE's objective) or "once".
# Consecutive claims of one kind run together over their sources, so the scorecard keeps the paper's order.


@dataclasses.dataclass(frozen=True)
class Claim:
    number: int
    kind: str  # "table", "objective" or "once"
    fn: Callable
    judged_by: str = "difference"  # RULES: the kind of rule that decides it

    @property
    def rule(self) -> str:
        return inspect.cleandoc(self.fn.__doc__ or "")


CLAIMS: list[Claim] = []
CLAIM_KINDS = {"table": (1, 2), "objective": tuple(OBJECTIVE_SOURCES), "once": (None,)}
RULES = {
    "difference": "each pooled seed-paired difference on the claim's side of 0 when its two-sided t-test p, "
    "Holm-adjusted within the claim's family, is under ALPHA; every pooled difference so: reproduced (partly when a "
    "cell, also Holm-adjusted, lies on the other side); some: partly",
    "at chance": "accuracy minus 1 / classes on CHANCE_LATENT, within ±CHANCE_BAND in the pooled mean over seeds "
    "and in every cell: reproduced; in the pooled mean only: partly; the other latent's verdict, by the same rule, "
    "beside it",
    "occupancy": "the prior's components occupied by the test latents, and the latents' norms",
    "convergence": "the reconstruction's relative change over the last two epochs, within SETTLED",
}


def claim(number: int, kind: str = "once", rule: str = "difference"):
    """Register the decorated function as claim ``number`` of ``kind`` (CLAIM_KINDS), decided by ``rule`` (RULES):
    every claim of one rule is judged by the same function on the same latent."""

    def register(fn):
        CLAIMS.append(
            Claim(number, errors.choice("claim kind", kind, CLAIM_KINDS), fn, errors.choice("claim rule", rule, RULES))
        )
        CLAIMS.sort(key=lambda c: c.number)
        return fn

    return register


@dataclasses.dataclass
class Sources:
    """What the claims read: the ok runs of each source grid under one protocol (:func:`runs`), each read once."""

    results: object
    profile: str
    protocol: str
    protocol_free: bool
    seeds: object = None
    _frames: dict = dataclasses.field(default_factory=dict)

    def runs(self, grid, params: dict | None = None) -> pd.DataFrame:
        key = (grid, tuple(sorted((params or {}).items())))
        if key not in self._frames:
            self._frames[key] = runs(self.results, grid, self.profile, self.protocol, params, self.seeds)
        return self._frames[key]

    def source(self, name: str) -> pd.DataFrame:
        """The runs of claim source ``name`` (SOURCE_GRIDS)."""
        return self.runs(_source_grid(SOURCE_GRIDS[name]), _source_params(SOURCE_GRIDS[name]))


DML, AE = {"model": "dml"}, {"model": "dml_autoencoder"}
AE_ALPHAS = {**AE, "alpha": [0.25, 0.5, 0.75]}
FEW = (0.01, 0.1)


@claim(1, "table")
def dml_autoencoder_beats_dml_with_few_labels(src: Sources, t: int):
    """A difference, taken seed by seed and averaged over the cells the claim names (labelled percentage, lsdim,
    alpha or gamma), with a one-sample t-test per difference and per cell. The claim's differences form one
    family and their cells another; Holm's correction is applied within each (:func:`holm_family`).
    *Reproduced* when the difference lies above 0 after the correction and no cell lies below 0 after it,
    *partly* when one does (the evidence names the cell), *not reproduced* when the difference does not lie above
    0 after the correction. A claim naming several settings (here 0.01 % and 0.1 %) is *partly* when it holds in
    some."""
    f = src.runs(t)
    if not len(f):
        return None
    low = [paired(f, AE_ALPHAS, DML, {"pl_pct": p}) for p in FEW]
    evs = holm_family([(f"DML-AE - DML at {p} %", e) for p, e in zip(FEW, low)])
    return _claim(
        f"1 (Table {t}{_stand_in(f, t)})",
        "the DML autoencoder beats DML at 0.01 % and 0.1 % labels",
        combine(beats(e) for e in low),
        "; ".join(f"{p} %: {fmt(e)}" for p, e in zip(FEW, low)),
        src.protocol,
        evs=evs,
    )


@claim(2, "table")
def dml_beats_dml_autoencoder_at_ten_percent(src: Sources, t: int):
    """A difference (DML minus the DML autoencoder at 10 %), judged as claim 1's."""
    f = src.runs(t)
    if not len(f):
        return None
    high = paired(f, DML, AE_ALPHAS, {"pl_pct": 10})
    evs = holm_family([("DML - DML-AE at 10 %", high)])
    return _claim(
        f"2 (Table {t}{_stand_in(f, t)})",
        "DML beats the DML autoencoder at 10 %",
        beats(high),
        f"DML - DML-AE at 10 %: {fmt(high)}",
        src.protocol,
        evs=evs,
    )


@claim(3, "table")
def plain_autoencoder_beats_dml_with_few_labels(src: Sources, t: int):
    """Three differences (the autoencoder at alpha = 1 minus DML at 0.01 % and 0.1 %, DML minus it at 10 %), each
    judged as claim 1's; *partly* when some hold."""
    f = src.runs(t)
    if not len(f):
        return None
    ae1 = [paired(f, {**AE, "alpha": 1.0}, DML, {"pl_pct": p}) for p in FEW]
    lose = paired(f, DML, {**AE, "alpha": 1.0}, {"pl_pct": 10})
    evs = holm_family([*((f"AE - DML at {p} %", e) for p, e in zip(FEW, ae1)), ("DML - AE at 10 %", lose)])
    return _claim(
        f"3 (Table {t}{_stand_in(f, t)})",
        "a plain autoencoder (alpha = 1) beats DML at 0.1 % or less, and loses at 10 %",
        combine([beats(e) for e in ae1] + [beats(lose)]),
        "; ".join(f"AE - DML at {p} %: {fmt(e)}" for p, e in zip(FEW, ae1)) + f"; DML - AE at 10 %: {fmt(lose)}",
        src.protocol,
        evs=evs,
    )


LATENTS = {"mu": "acc", "z": "acc_sampled"}  # each latent's accuracy column in :func:`runs` (z: test-cv only)
CHANCE_LATENT = "mu"
"""The latent every "at chance" claim is judged on: the mean mu, the book's evaluation latent
(``RunConfig.eval_latents``, an assumption: the paper says only that it takes "the latent points Z generated by the
model"). The sampled z's
verdict, by the same rule, stands beside it in every at-chance claim's row."""


def at_chance(frame: pd.DataFrame, cells: list, latent: str, chance: float) -> dict:
    """The at-chance rule, for every claim of that kind: on ``latent`` (LATENTS), accuracy minus ``chance``
    averaged seed by seed over the cells (``pooled``, with its interval) and per cell (the mean over seeds of
    each combination of ``cells``). *Reproduced* when the pooled mean and every cell lie within CHANCE_BAND of
    chance, *partly* when the pooled mean does but some cell does not, *not reproduced* otherwise."""
    col = LATENTS[errors.choice("latent", latent, LATENTS)]
    f = frame[frame[col].notna()] if len(frame) else frame
    if not len(f):
        return {"latent": latent, "verdict": "no runs", "pooled": interval([]), "worst": float("nan"), "cell": ""}
    pooled = interval((f.groupby("seed")[col].mean() - chance).tolist())
    per_cell = f.groupby(cells, dropna=False)[col].mean() - chance
    far = int(per_cell.abs().to_numpy().argmax())  # by position: a cell's key may hold NaN (no gamma, say)
    worst = per_cell.iloc[far]
    name = ", ".join(
        f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}" for k, v in zip(cells, np.atleast_1d(per_cell.index[far]))
    )
    verdict = (
        "too few seeds"
        if pooled["n"] < 2
        else "reproduced"
        if abs(pooled["mean"]) <= CHANCE_BAND and per_cell.abs().max() <= CHANCE_BAND
        else "partly"
        if abs(pooled["mean"]) <= CHANCE_BAND
        else "not reproduced"
    )
    return {"latent": latent, "verdict": verdict, "pooled": pooled, "worst": float(worst), "cell": name}


def _chance_text(r: dict, chance: float) -> str:
    where = "" if r["latent"] == "mu" else " (test-cv)"
    if r["verdict"] == "no runs":
        return f"on {r['latent']}{where}: no runs"
    return (
        f"on {r['latent']}{where}, {r['verdict']}: accuracy minus chance ({chance:.3f}) {fmt(r['pooled'])}, the "
        f"furthest cell ({r['cell']}) {r['worst']:+.3f}"
    )


def _chance_claim(number, text, frame: pd.DataFrame, cells: list, protocol: str, objective=NO_OBJECTIVE, tail=""):
    """An at-chance claim's row: judged on CHANCE_LATENT by :func:`at_chance`, the other latent's verdict by the same
    rule beside it."""
    chance = 1.0 / frame.n_classes.iloc[0]
    other = next(k for k in LATENTS if k != CHANCE_LATENT)
    judged, beside = (at_chance(frame, cells, latent, chance) for latent in (CHANCE_LATENT, other))
    return _claim(
        number,
        text,
        judged["verdict"],
        f"{_chance_text(judged, chance)}; by the same rule {_chance_text(beside, chance)}" + tail,
        protocol,
        objective,
        rule="at chance",
        latent=CHANCE_LATENT,
        other_latent=f"{other}: {beside['verdict']}",
        effect=f"{judged['pooled']['n']} seeds: accuracy minus chance on {CHANCE_LATENT} "
        f"{_interval_text(judged['pooled'])}, on {other} (test-cv) {_interval_text(beside['pooled'])}",
    )


@claim(4, rule="at chance")
def priors_at_chance(src: Sources, _=None):
    """At chance (the rule of every at-chance claim, :func:`at_chance`): accuracy within 5 points of 1 / classes
    (CHANCE_BAND), on the mean mu (CHANCE_LATENT), every cell (model, labelled percentage, lsdim, alpha) and their
    mean over cells, seed by seed; *partly* when the mean is at chance but some cell is not. The same rule on a
    sampled z stands beside it."""
    f3 = src.runs(3)
    priors = f3[f3.model != "dml"] if len(f3) else f3
    if not len(priors):
        return None
    return _chance_claim(
        f"4 (Table 3{_stand_in(f3, 3)})",
        "DML with a unit or GMM prior is at chance everywhere",
        priors,
        ["model", "pl_pct", "lsdim", "alpha"],
        src.protocol,
    )


@claim(5, rule="occupancy")
def gmm_prior_leaves_no_trace(src: Sources, _=None):
    """A component of the GMM prior is *occupied* when at least 1/(2K) of the test latents (K = 2^lsdim
    components) lie within 0.5 of its mean; "no trace of the prior's components" holds when no component is
    occupied in any run, and "the unit prior shrinks the latents" when its mean |mu| is under half the GMM
    prior's. *Partly* when one of the two holds."""
    f5 = src.runs("figure5") if src.protocol_free else []
    if not len(f5):
        return None
    unit = f5[f5.model == "dml_unit_prior"].embedding_norm.mean()
    gmm_runs = f5[(f5.model == "dml_gmm_prior") & (f5.kl == "correct")]
    gmm = gmm_runs.embedding_norm.mean()
    occupied = [
        n for n in (occupied_components(src.results, src.profile, r) for _, r in gmm_runs.iterrows()) if n is not None
    ]
    shrinks = unit < 0.5 * gmm
    trace = None if not occupied else max(occupied) > 0
    verdict = (
        "reproduced" if shrinks and trace is False else "partly" if shrinks or trace is False else "not reproduced"
    )
    k = 2 ** int(gmm_runs.lsdim.iloc[0]) if len(gmm_runs) else 0
    return _claim(
        f"5 (Figure 5{_stand_in(f5, 'figure5')})",
        "the GMM-prior latents show no trace of the prior's components, and the unit prior shrinks the latents",
        verdict,
        (
            f"GMM prior: components occupied (at least 1/(2K) of the test latents within "
            f"{OCCUPIED_RADIUS:g} of its mean), per run: {', '.join(map(str, occupied))} of {k}"
            if occupied
            else "GMM prior: components occupied: the runs' latents are not stored"
        )
        + f"; mean |mu|: unit prior {unit:.3f}, GMM prior {gmm:.3f} (the unit prior shrinks the "
        "latents when its mean |mu| is under half the GMM prior's)",
        "any",
        rule="occupancy",
        effect=(f"at most {max(occupied)} of {k} components occupied in a run; " if occupied else "")
        + f"mean |mu| {unit:.3f} under the unit prior against {gmm:.3f} under the GMM prior",
    )


def _suffix(objective: str) -> str:
    return "" if objective == "image-sum" else f", {objective}"


@claim(6, "objective", rule="at chance")
def alternating_metricvae_at_chance(src: Sources, objective: str):
    """At chance, by claim 4's rule (:func:`at_chance`: on mu, every cell, a cell being a metric loss, labelled
    percentage, lsdim and alpha, and their mean), with the sampled z beside it; scored once under each reading
    of the MetricVAE's objective, with the metric term's share of the loss."""
    fa = src.source(OBJECTIVE_SOURCES[objective][0])
    mv = fa[fa.model == "mvae"] if len(fa) else fa
    if not len(mv):
        return None
    return _chance_claim(
        f"6 (alternating MVAE{_suffix(objective)})",
        "the alternating MetricVAE is at chance with triplet, supervised contrastive and center loss",
        mv,
        ["loss", "pl_pct", "lsdim", "alpha"],
        src.protocol,
        OBJECTIVE_LABELS[objective],
        f"; {_share_range(mv)} (last supervised epoch)",
    )


GAMMAS = {"model": "mvae", "gamma": [2.0, 5.0, 10.0]}


@claim(7, "objective")
def gamma_helps_the_joint_metricvae(src: Sources, objective: str):
    """Differences (gamma > 0 minus gamma = 0, per lsdim 2, 5, 10) judged as claim 1's; its "especially at low
    lsdim" is its own test in the same family: the gain at lsdim 2 minus the gain at lsdim 10, seed by seed, which
    must lie above 0 after Holm's correction over the four."""
    f4 = src.source(OBJECTIVE_SOURCES[objective][1])
    if not len(f4):
        return None
    mv = {"model": "mvae"}
    by_dim = [paired(f4, GAMMAS, {**mv, "gamma": 0.0}, {"lsdim": d}) for d in (2, 5, 10)]
    # "especially at low lsdim": the gain at lsdim 2 minus the gain at lsdim 10, seed by seed
    low, high = by_dim[0]["per_seed"], by_dim[2]["per_seed"]
    especially = interval([low[s] - high[s] for s in low if s in high])
    weighted = f4[(f4.model == "mvae") & (f4.gamma > 0)]
    evs = holm_family(
        [
            *((f"gamma > 0 - gamma = 0, lsdim {d}", e) for d, e in zip((2, 5, 10), by_dim)),
            ("the gain at lsdim 2 - at lsdim 10", especially),
        ]
    )
    return _claim(
        f"7 (Table 4{_suffix(objective)})",
        "in the joint routine gamma > 0 beats gamma = 0, especially at low lsdim",
        combine([beats(e) for e in by_dim] + [beats(especially)]),
        "; ".join(f"lsdim {d}: {fmt(e)}" for d, e in zip((2, 5, 10), by_dim))
        + f"; the gain at lsdim 2 minus at lsdim 10: {fmt(especially)}"
        + f"; at gamma > 0 {_share_range(weighted)} (last epoch)",
        src.protocol,
        OBJECTIVE_LABELS[objective],
        evs=evs,
    )


@claim(8, "objective")
def dml_beats_the_joint_metricvae(src: Sources, objective: str):
    """A difference (DML minus the MetricVAE), judged as claim 1's, at gamma > 0 only: gamma = 0 is a plain VAE."""
    f4 = src.source(OBJECTIVE_SOURCES[objective][1])
    if not len(f4):
        return None
    weighted = f4[(f4.model == "mvae") & (f4.gamma > 0)]
    # gamma = 0 is a plain VAE, no MetricVAE: claim 8 compares DML with the gamma > 0 runs only
    ev = paired(f4, DML, GAMMAS)
    evs = holm_family([("DML - MVAE (gamma > 0)", ev)])
    return _claim(
        f"8 (Table 4{_suffix(objective)})",
        "DML beats the joint MetricVAE",
        beats(ev),
        f"DML - MVAE (gamma > 0): {fmt(ev)}; {_share_range(weighted)}",
        src.protocol,
        OBJECTIVE_LABELS[objective],
        evs=evs,
    )


@claim(9, rule="convergence")
def reconstruction_does_not_converge(src: Sources, _=None):
    """The reconstruction has converged when its relative change over the last two epochs lies within ±2 %
    (SETTLED) in every run's interval; a loss still falling steadily has not. Our curves are the MetricVAE page's
    Figure 6; the paper's figure is a plot with no numbers to set beside them."""
    f6 = src.runs("figure6") if src.protocol_free else []
    if not len(f6):
        return None
    late, first, last = [], [], []
    for _, r in f6.iterrows():
        rec = [h.get("recon") for h in r.history if h.get("recon") is not None]
        if len(rec) >= 3:
            late.append((rec[-1] - rec[-3]) / abs(rec[-3]))
            first.append(rec[0])
            last.append(rec[-1])
    ev = interval(late)
    course = (
        f"the reconstruction goes from {np.median(first):.3g} in the first epoch to {np.median(last):.3g} "
        f"in the last (medians over runs); "
        if late
        else ""
    )
    settled = ev["n"] > 1 and abs(ev["low"]) < SETTLED and abs(ev["high"]) < SETTLED
    return _claim(
        "9 (Figure 6)",
        "the MetricVAE's reconstruction loss does not converge",
        "not reproduced" if settled else "reproduced" if ev["n"] > 1 else "too few seeds",
        course + f"its relative change over the last two epochs, over runs: {fmt(ev, 'run')}. The "
        f"criterion: the loss has converged when that change lies within ±{SETTLED:.0%} (it has "
        "stopped moving by the last epoch); a loss still falling steadily has not converged",
        "any",
        OBJECTIVE_LABELS["image-sum"],
        rule="convergence",
        effect=f"{ev['n']} runs: the reconstruction's relative change over the last two epochs {_interval_text(ev)}",
    )


def claims(
    results, profile: str, protocol: str = "test-cv", protocol_free: bool = True, seeds=None, numbers=None
) -> pd.DataFrame:
    """Every claim of the paper (CLAIMS; only those numbered in ``numbers`` when given) with our verdict and
    evidence under ``protocol`` (the claims whose evidence does not depend on the protocol only with
    ``protocol_free``): consecutive claims of one kind run over their sources together (claims 1-3 for Table 1, then
    for Table 2; claims 6-8 per objective)."""
    src = Sources(results, profile, protocol, protocol_free, seeds)
    out = []
    wanted = [c for c in CLAIMS if numbers is None or c.number in set(numbers)]
    for kind, group in itertools.groupby(wanted, key=lambda c: c.kind):
        group = list(group)
        for source in CLAIM_KINDS[kind]:
            out += [row for c in group if (row := c.fn(src, source)) is not None]
    return pd.DataFrame(out)


def rules() -> list[tuple[int, str]]:
    """(claim number, its rule) for every registered claim, from the claim functions' docstrings."""
    return [(c.number, c.rule) for c in CLAIMS]


def kinds_text() -> str:
    """One line per kind of claim (``RULES``): the rule, stated once, and the claims it judges (Markdown), from the
    registry, so that the page's statement cannot drift from what decides the verdicts."""
    lines = []
    for rule, what in RULES.items():
        numbers = sorted({c.number for c in CLAIMS if c.judged_by == rule})
        what = what.replace("CHANCE_BAND", f"{CHANCE_BAND:.2f}").replace("CHANCE_LATENT", f"`{CHANCE_LATENT}`")
        what = what.replace("SETTLED", f"±{SETTLED:.0%}").replace("ALPHA", f"{ALPHA:g}")
        which = ("claim " if len(numbers) == 1 else "claims ") + ", ".join(map(str, numbers))
        lines.append(f"- **{rule}** ({which}): {what}.")
    return "\n".join(lines)


def gap_sentence(cmp: pd.DataFrame, metric: str = "knn_acc") -> str:
    """How our numbers of a table (``cmp``: ``paper.compare``) lie against the paper's: in how many cells ours are
    above, and the paper's lowest cell (with its distance from chance)."""

    c = cmp[(cmp.metric == metric) & (cmp.n_seeds > 0)]
    if not len(c):
        return "No cell of this table is stored yet."
    above = int((c.ours_mean > c.paper).sum())
    low = c.loc[c.paper.idxmin()]
    where = f"{low.model}, {low.pl_pct:g} %, lsdim {low.lsdim}" + (
        "" if low.model == "dml" else f", {weight_label(low)}"
    )
    name = {"knn_acc": "kNN", "rf_acc": "random-forest", "linear_acc": "linear"}.get(metric, metric)
    return (
        f"Our Table {int(c.table.iloc[0])} {name} accuracies lie above the paper's in "
        f"{above} of its {len(c)} cells. The paper's lowest is {low.paper:.3f} ({where}), within "
        f"{abs(low.paper - 0.1):.3f} of chance (0.100); ours there: {low.ours}."
    )


NOT_COMPARABLE = "not comparable"


def table_agreement(cmp: pd.DataFrame, stand_in: str | None = None) -> dict:
    """Per table: the share of the paper's numbers inside our mean ± 2 sd, the mean |ours - paper|, and the
    cells furthest from the paper (with the paper's note, where it has one). Run on a ``stand_in`` dataset, the
    table is not compared with the paper's numbers (of another dataset): the row says "not comparable" and why."""
    if stand_in:
        why = f"{NOT_COMPARABLE} (run on the stand-in `{stand_in}`; the paper's numbers are another dataset's)"
        return {
            "numbers": int(len(cmp)),
            "with 2+ seeds": int((cmp.n_seeds > 1).sum()),
            "paper inside ours ± 2 sd": why,
            "mean |ours - paper|": NOT_COMPARABLE,
            "furthest": "-",
        }
    have = cmp[cmp.n_seeds > 1]
    inside = (have.paper >= have.ours_mean - 2 * have.ours_sd) & (have.paper <= have.ours_mean + 2 * have.ours_sd)
    far = cmp[cmp.n_seeds > 0].assign(gap=lambda d: (d["diff"]).abs()).nlargest(3, "gap")
    return {
        "numbers": int(len(cmp)),
        "with 2+ seeds": int(len(have)),
        "paper inside ours ± 2 sd": f"{inside.mean():.0%}" if len(have) else "-",
        "mean |ours - paper|": round(float(cmp["diff"].abs().mean()), 3) if cmp.n_seeds.any() else None,
        "furthest": "; ".join(
            f"{r.model} pl={r.pl_pct:g} lsdim={r.lsdim}"
            + ("" if r.model == "dml" else f" {weight_label(r)}")
            + f" {r.metric}: {r.ours} vs {r.paper:.3f}"
            + (f" ({r.note})" if r.note else "")
            for r in far.itertuples()
        ),
    }


def verdict_table(cards: pd.DataFrame) -> pd.DataFrame:
    """A row per claim, a column per protocol; a claim whose evidence does not depend on the protocol (e.g.
    Figure 5's latent norms) shows its one verdict under both. ``objective``: the MetricVAE objective a claim's
    verdict is about (claims 6-9), "-" for the others."""
    rows = []
    for _, c in cards.iterrows():
        for p in PROTOCOLS if c.protocol not in PROTOCOLS else (c.protocol,):
            rows.append(
                {
                    "claim": c.claim,
                    "the paper says": c["the paper says"],
                    "objective": c.get("objective", NO_OBJECTIVE),
                    "protocol": p,
                    "verdict": c.verdict,
                }
            )
    return (
        pd.DataFrame(rows)
        .pivot_table(
            index=["claim", "the paper says", "objective"],
            columns="protocol",
            values="verdict",
            aggfunc="first",
            sort=False,
        )[list(PROTOCOLS)]
        .fillna("")
    )


VERDICT_COLOURS = {"reproduced": "#1b7837", "partly": "#b35806", "not reproduced": "#b00020"}


def verdict_counts(table: pd.DataFrame) -> pd.DataFrame:
    """How many checks (:func:`verdict_table` rows) have each verdict, per protocol."""
    verdicts = list(VERDICT_COLOURS)
    return pd.DataFrame({p: [int((table[p] == v).sum()) for v in verdicts] for p in PROTOCOLS}, index=verdicts)


def counts_sentence(table: pd.DataFrame) -> str:
    """One sentence for the top of the scorecard: the verdict counts under each protocol."""
    counts = verdict_counts(table)
    return (
        f"**{len(table)} checks** (each claim on each table or figure it is made of; claims 6-8 once under each "
        "reading of the MetricVAE's objective): "
        + "; ".join(f"under `{p}`, " + ", ".join(f"{counts.loc[v, p]} {v}" for v in counts.index) for p in PROTOCOLS)
        + "."
    )


def styled_verdicts(table: pd.DataFrame):
    """:func:`verdict_table` with each verdict in its colour (green reproduced, amber partly, red not), bold."""
    colour = lambda v: f"color: {VERDICT_COLOURS[v]}; font-weight: bold" if v in VERDICT_COLOURS else ""  # noqa: E731
    return table.style.map(colour)


def _cause_cell(cfg) -> str:
    """A causes-grid cell's label: model, labelled percentage, lsdim, and alpha where the model has one."""
    return f"{cfg.model}, {cfg.pl_pct:g} %, lsdim {cfg.lsdim}" + (
        f", alpha {cfg.alpha:g}" if cfg.model != "dml" else ""
    )


def causes_table(results, profile: str, seeds=None) -> pd.DataFrame:
    """Per Table 1 cell of the causes grid and per cause: our kNN accuracy (test-cv, mean ± sd over seeds), the
    paper's, ours - paper, |ours - paper|, and how much closer to the paper the cause brings us than our defaults
    do (|defaults - paper| - |cause - paper|; positive: toward the paper). Then the MetricVAE's grids under the
    paper's literal objective, as a cause of their gap (:func:`objective_causes`). ``kind``: "Table 1 cell" or
    "MetricVAE grid"; ``table``: the table (or grid) a row's cell belongs to ("Table 1", "Table 4", "alternating
    MetricVAE"), so that a cause's effect is read per table, never averaged across tables."""

    ref = paper.paper_table(1)
    ref = ref[ref.metric == "knn_acc"]
    out = []
    keep = None if seeds is None else set(profiles.seeds_arg(seeds))
    for r in store.rows_for(results, "causes", profile):
        if r.get("status") != "ok" or (keep is not None and r["seed"] not in keep):
            continue
        cfg = RunConfig.from_dict(r["config"])
        match = ref[
            (ref.model == cfg.model)
            & (ref.pl_pct == cfg.pl_pct)
            & (ref.lsdim == cfg.lsdim)
            & ((ref.alpha == cfg.alpha) | ref.alpha.isna() & (cfg.model == "dml"))
        ]
        rank = next(
            (i for i, c in enumerate(grids.CAUSE_CELLS) if all(getattr(cfg, k) == v for k, v in c.items())),
            len(grids.CAUSE_CELLS),
        )
        out.append(
            {
                "rank": rank,
                "cell": _cause_cell(cfg),
                "cause": grids.cause(cfg),
                "seed": r["seed"],
                "ours": store.metric(r, "knn_acc"),
                "paper": float(match.value.iloc[0]),
            }
        )
    f = pd.DataFrame(out)
    if f.empty:
        return objective_causes(results, profile, seeds)
    causes = [name for name, _ in grids.CAUSES]  # the grid's order, whatever order the rows were stored in
    f = f.sort_values(["rank", "cause"], key=lambda c: c.map(causes.index) if c.name == "cause" else c, kind="stable")
    g = (
        f.groupby(["cell", "cause"], sort=False)
        .agg(ours=("ours", "mean"), sd=("ours", "std"), seeds=("seed", "size"), paper=("paper", "first"))
        .reset_index()
    )
    g["ours - paper"] = g.ours - g.paper
    g["|ours - paper|"] = g["ours - paper"].abs()
    base = g[g.cause == grids.CAUSES[0][0]].set_index("cell")["ours - paper"].abs()
    g["toward the paper"] = [base.get(c, float("nan")) - abs(d) for c, d in zip(g.cell, g["ours - paper"])]
    g["kind"], g["table"] = "Table 1 cell", "Table 1"
    return pd.concat([g, objective_causes(results, profile, seeds)], ignore_index=True)


OBJECTIVE_CAUSE = "the paper's literal objective (MSELoss averaged over pixels)"
CHANCE = 0.1  # the paper's alternating MetricVAE: chance on MNIST's 10 classes (it reports no numbers)


def objective_causes(results, profile: str, seeds=None) -> pd.DataFrame:
    """The MetricVAE's grids as rows of the causes table, under our objective ("as specified") and the paper's literal
    one (``OBJECTIVE_CAUSE``): Table 4's joint MetricVAE (its 12 cells: kNN accuracy, test-cv, against the paper's)
    and the alternating MetricVAE (9 cells: kNN accuracy on CHANCE_LATENT, the latent every at-chance claim is
    judged on, test-cv, against the chance level the paper says). Each row averages over the cells with every seed:
    ``ours``, ``paper`` and ``ours - paper`` are means over the cells, ``sd`` the sd over seeds of the seed's mean,
    ``|ours - paper|`` the mean over the cells of each cell's distance, and ``toward the paper`` that distance's
    drop from our objective's."""

    ref = paper.paper_table(4)
    ref = ref[(ref.metric == "knn_acc") & (ref.model == "mvae")].set_index(["lsdim", "gamma"]).value
    out = []
    for objective, (alt, t4) in OBJECTIVE_SOURCES.items():
        cause = OBJECTIVE_CAUSE if objective == "pixel-mean" else "as specified (our defaults)"
        f4 = runs(results, _source_grid(SOURCE_GRIDS[t4]), profile, "test-cv", _source_params(SOURCE_GRIDS[t4]), seeds)
        fa = runs(
            results, _source_grid(SOURCE_GRIDS[alt]), profile, "test-cv", _source_params(SOURCE_GRIDS[alt]), seeds
        )
        for table, cell, f, cols, acc, ref_of in (
            ("Table 4", "Table 4: joint MetricVAE (12 cells)", f4, ["lsdim", "gamma"], "acc", lambda k: ref[k]),
            (
                "alternating MetricVAE",
                f"alternating MetricVAE, {CHANCE_LATENT} (9 cells; the paper: chance)",
                fa,
                ["loss", "pl_pct"],
                LATENTS[CHANCE_LATENT],
                lambda k: CHANCE,
            ),
        ):
            f = f[f.model == "mvae"] if len(f) else f
            if not len(f):
                continue
            by_cell = f.groupby(cols)[acc].agg(["mean", "size"])
            per_seed = f.groupby("seed")[acc].mean()
            papers = np.array([ref_of(k) for k in by_cell.index])
            out.append(
                {
                    "kind": "MetricVAE grid",
                    "table": table,
                    "cell": cell,
                    "cause": cause,
                    "ours": by_cell["mean"].mean(),
                    "sd": per_seed.std(ddof=1),
                    "seeds": int(by_cell["size"].min()),
                    "paper": papers.mean(),
                    "ours - paper": float((by_cell["mean"] - papers).mean()),
                    "|ours - paper|": float((by_cell["mean"] - papers).abs().mean()),
                }
            )
    g = pd.DataFrame(out)
    if g.empty:
        return g
    base = g[g.cause != OBJECTIVE_CAUSE].set_index("cell")["|ours - paper|"]
    g["toward the paper"] = [base.get(c, float("nan")) - d for c, d in zip(g.cell, g["|ours - paper|"])]
    return g


def stopped_training(results, profile: str, grid="causes", seeds=None) -> pd.DataFrame:
    """Per cell of ``grid`` run as specified (our defaults): the epoch (1-based) from which every seed's training
    loss is exactly 0 to the end, where that happens by the last epoch. A zero loss has a zero gradient, so once
    Adam's momentum dies out training beyond that epoch changes nothing (e.g. DML whose labelled images all meet
    the triplet margin)."""

    out = []
    keep = None if seeds is None else set(profiles.seeds_arg(seeds))
    for r in store.rows_for(results, grid, profile):
        cfg = RunConfig.from_dict(r["config"])
        if (
            r.get("status") != "ok"
            or grids.cause(cfg) != grids.CAUSES[0][0]
            or (keep is not None and r["seed"] not in keep)
        ):
            continue
        losses = [h.get("loss") for h in r.get("history") or []]
        first = len(losses)
        while first > 0 and losses[first - 1] == 0:
            first -= 1
        out.append({"cell": _cause_cell(cfg), "seed": r["seed"], "zero from epoch": first + 1, "epochs": len(losses)})
    f = pd.DataFrame(out)
    if f.empty:
        return f
    g = (
        f.groupby("cell", sort=False)
        .agg(seeds=("seed", "size"), epochs=("epochs", "max"), **{"zero from epoch": ("zero from epoch", "max")})
        .reset_index()
    )
    return g[g["zero from epoch"] <= g.epochs].reset_index(drop=True)


def all_claims(results, profile: str, seeds=None) -> pd.DataFrame:
    """The claims under both protocols (the protocol-free ones once), as the scorecard page shows them."""
    return pd.concat(
        [
            claims(results, profile, "test-cv", seeds=seeds),
            claims(results, profile, "labelled-to-test", protocol_free=False, seeds=seeds),
        ]
    )


# each claim source's grid: a paper table's number, the name of one of the book's grids, or (name, its parameters)
SOURCE_GRIDS = {
    "Table 1": 1,
    "Table 2": 2,
    "Table 3": 3,
    "Table 4": 4,
    "Figure 5": "figure5",
    "alternating MVAE": "mvae-alternating",
    "Figure 6": "figure6",
    "alternating MVAE, pixel-mean": ("mvae-alternating", {"recon": "pixel-mean"}),
    "Table 4, pixel-mean": ("table4-objective", {"recon": "pixel-mean"}),
}


def _source_grid(source):
    """The grid (a table number or a grid's name) of a SOURCE_GRIDS value."""
    return source[0] if isinstance(source, tuple) else source


def _source_params(source) -> dict:
    return dict(source[1]) if isinstance(source, tuple) else {}


def _source_configs(grid, profile: str, seeds, stand_in: str, params: dict | None = None) -> list:
    """The RunConfigs of one claim source's grid (with grid parameters ``params``); Tables 2 and 3 and Figure 5 on
    ``stand_in``."""

    grid, params = _source_grid(grid), {**_source_params(grid), **(params or {})}
    if isinstance(grid, int):
        return profiles.configs(grid, profile, seeds, dataset=stand_in if grid in (2, 3) else None)
    if grid == "figure5":
        params["dataset"] = stand_in
    return profiles.profile_configs(grids.cells(grid, **params), profile, seeds, grid=grid)


def claim_sources(profile: str = "paper", seeds: int = 3, stand_in: str = "fashion-mnist") -> dict:
    """Per claim source ("Table 1", ..., "Figure 5", "alternating MVAE", "Figure 6", and the MetricVAE's sources
    under the paper's literal objective): (grid, the RunConfigs
    ``profile`` needs with ``seeds`` seeds); Tables 2 and 3 and Figure 5 on ``stand_in``."""
    return {
        name: (_source_grid(grid), _source_configs(grid, profile, seeds, stand_in))
        for name, grid in SOURCE_GRIDS.items()
    }


def claim_runs(results, seeds: int = 3, stand_in: str = "fashion-mnist", profile: str = "paper") -> dict:
    """Per claim source (:func:`claim_sources`): (ok runs stored, runs ``profile`` needs with ``seeds`` seeds)."""
    stored = {
        (r["table"], r["key"])
        for r in store.Store(results).latest(warn=False).values()
        if r.get("status") == "ok" and r["profile"] == profile
    }
    return {
        name: (sum((g, c.key()) in stored for c in cfgs), len(cfgs))
        for name, (g, cfgs) in claim_sources(profile, seeds, stand_in).items()
    }


SHIPPED_QUICK = Path("results") / "quick-scorecard.jsonl"
"""The quick profile's runs of every claim source (2 seeds), shipped so that the paper-profile scorecard can flag
the claims the miniature does not keep without training them. Only the scorecard reads it: ``make book
PROFILE=quick`` trains its own runs into ``results/quick.jsonl``. Rewritten by ``tools/ship_quick_rows.py``."""


def ship_quick_rows(
    src, dst=SHIPPED_QUICK, seeds: int = profiles.DEFAULT_SEEDS, stand_in: str = "fashion-mnist"
) -> int:
    """Write the latest ok quick-profile rows of every claim source in ``src`` to ``dst`` (replacing it in one
    step), and return how many. Refuses, naming what is missing, unless ``src`` holds every such run of the
    current training-code version: a partial or stale copy would flag the wrong claims."""
    latest = {
        (r["table"], r["key"]): r
        for r in store.Store(src).latest(warn=False).values()
        if r["profile"] == "quick" and r.get("status") == "ok" and not store.is_stale(r)
    }
    rows, missing = {}, []
    for name, (grid, cfgs) in claim_sources("quick", seeds, stand_in).items():
        have = [latest[(grid, c.key())] for c in cfgs if (grid, c.key()) in latest]
        rows.update({(grid, r["key"]): r for r in have})  # two sources share a run (DML beside either objective)
        if len(have) < len(cfgs):
            missing.append(f"{name}: {len(cfgs) - len(have)} of {len(cfgs)}")
    if missing:
        raise errors.DmlvaeError(
            f"{src} lacks ok quick runs of the current training version ({version.TRAINING_VERSION}) for the "
            f"scorecard: {'; '.join(missing)}; store them with `make book PROFILE=quick` or `python -m dmlvae "
            f"sweep --profile quick --seeds {seeds} ...`"
        )
    dst = Path(dst)
    tmp = dst.with_name(dst.name + ".tmp")
    tmp.write_text("".join(json.dumps(r) + "\n" for r in rows.values()))
    os.replace(tmp, dst)
    return len(rows)


def quick_rows_file(
    local, shipped=SHIPPED_QUICK, seeds: int = profiles.DEFAULT_SEEDS, stand_in: str = "fashion-mnist"
) -> Path:
    """The file the paper-profile scorecard reads the quick verdicts from: ``local`` (a quick build's or sweep's
    own rows, the newest) when it holds every quick run of the claim sources, else ``shipped`` when it exists,
    else ``local`` as it is."""
    local = Path(local)
    if local.exists() and all(
        have == need for have, need in claim_runs(local, seeds, stand_in, profile="quick").values()
    ):
        return local
    return Path(shipped) if Path(shipped).exists() else local


def _source(claim: str) -> str:
    """The source a claim's label names: "1 (Table 2; stand-in fashion-mnist)" -> "Table 2"."""
    return claim.split("(", 1)[1].rstrip(")").split(STAND_IN)[0] if "(" in claim else claim


def _provisional(verdict: str, have: int, need: int) -> str:
    return verdict if have >= need else f"{verdict} (provisional: {have} of {need} runs)"


def against_paper_profile(
    cards: pd.DataFrame,
    paper_cards: pd.DataFrame,
    runs: dict | None = None,
    this_runs: dict | None = None,
    this: str = "this profile",
) -> pd.DataFrame:
    """This profile's verdict (column ``this``) beside the paper profile's for every claim and protocol, with a
    flag where they differ. 'not run': the paper profile has no evidence yet. 'provisional': ``runs`` (paper
    side) or ``this_runs`` (this side), both from :func:`claim_runs`, say the claim's source is not complete;
    a provisional verdict is not compared."""
    tables = [
        verdict_table(c).droplevel(["the paper says", "objective"]) if len(c) else None for c in (cards, paper_cards)
    ]

    def verdict(table, claim, p, stored):
        return (
            table.loc[claim, p]
            if stored and table is not None and claim in table.index and table.loc[claim, p]
            else "not run"
        )

    keys = list(dict.fromkeys(k for t in tables if t is not None for k in t.index))
    # a claim whose evidence does not depend on the protocol has one verdict: one row, under its own protocol
    free = {
        c.claim: c.protocol
        for cs in (cards, paper_cards)
        if len(cs)
        for c in cs.itertuples()
        if c.protocol not in PROTOCOLS
    }
    rows = []
    for claim in keys:
        have, need = (runs or {}).get(_source(claim), (1, 1))
        mine, my_need = (this_runs or {}).get(_source(claim), (1, 1))
        for p in (PROTOCOLS[0],) if claim in free else PROTOCOLS:
            ours, other = verdict(tables[0], claim, p, mine), verdict(tables[1], claim, p, have)
            done = have >= need and mine >= my_need and "not run" not in (ours, other)
            rows.append(
                {
                    "claim": claim,
                    "protocol": free.get(claim, p),
                    this: ours if ours == "not run" else _provisional(ours, mine, my_need),
                    "paper profile": other if other == "not run" else _provisional(other, have, need),
                    "agree": ("yes" if other == ours else DISAGREE) if done else "-",
                }
            )
    return pd.DataFrame(rows)


DISAGREE = "no"  # the agree column's flag of a verdict the two profiles do not share


def styled_agreement(agreement: pd.DataFrame):
    """:func:`against_paper_profile`'s table for a page, indexed by claim and protocol, with the verdicts the two
    profiles do not share in bold red."""
    flag = lambda v: "font-weight: bold; color: #b00020" if v == DISAGREE else ""  # noqa: E731
    return agreement.set_index(["claim", "protocol"]).style.map(flag, subset=["agree"])


def quick_against_paper(
    paper_cards: pd.DataFrame,
    quick_results,
    seeds: int = profiles.DEFAULT_SEEDS,
    stand_in: str = "fashion-mnist",
    runs: dict | None = None,
) -> pd.DataFrame | None:
    """The paper-profile scorecard's view of the miniature: the quick profile's verdicts, from the quick rows
    in ``quick_results`` (``seeds`` seeds, as its pages run), beside ``paper_cards`` (``runs``: their
    completeness, as in :func:`against_paper_profile`), flagged where they differ. None when ``quick_results``
    holds no quick run of any claim (nothing is trained here)."""
    quick_results = Path(quick_results)
    if not quick_results.exists():
        return None
    quick_runs = claim_runs(quick_results, seeds, stand_in, profile="quick")
    if not any(have for have, _ in quick_runs.values()):
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # claims the quick rows cannot score yet
        cards = all_claims(quick_results, "quick")
    return against_paper_profile(cards, paper_cards, runs, this_runs=quick_runs, this="quick profile")
