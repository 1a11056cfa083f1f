"""The beyond-the-paper page's computations: each contender minus DML, paired by seed with a 95% interval; the
plain-words answer; the setting chosen on the validation split; the ceiling a label draw puts on kNN.

Runs that share a seed share the labelled subset, so the difference to DML is taken seed by seed
(``stats.paired`` and ``stats.interval``: mean and 95% t-interval over seeds).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from dmlvae.analysis import stats, tables
from dmlvae.analysis.stats import ALPHA, holm, interval
from dmlvae.core import data, evaluate, train
from dmlvae.core.config import RunConfig
from dmlvae.experiments import grids, profiles, store

BASELINE = grids.BEYOND_CONTENDERS[0][0]
PROTOCOLS = ("test-cv", "labelled-to-test")


def frame(rows, name=grids.contender, column: str = "contender") -> pd.DataFrame:
    """One row per stored run: its ``column`` (``name(config)``: the beyond page's contender, or the geodesic
    page's variant), dataset, pl_pct, seed, status, kNN under both protocols, labels, wall time and seconds (the
    run's cost: :func:`store.run_seconds`)."""
    out = tables.flatten(
        rows, ["dataset", "pl_pct"], {p: ("knn_acc", p) for p in PROTOCOLS}, keep=["n_labelled", "wall_time"]
    ).rename(columns={"n_labelled": "labels"})
    out.insert(0, column, [name(RunConfig.from_dict(r["config"])) for r in rows])
    out["seconds"] = [store.run_seconds(r) for r in rows]
    return out


def paired_by_seed(runs: pd.DataFrame, column: str, target, reference, by: list[str], value: str) -> list[dict]:
    """``target`` minus ``reference`` (values of ``column``) on ``value``, seed by seed over the seeds both ran ok,
    for each group of ``by`` the target ran (in order of appearance): the group's values, mean, 95% interval, n
    and verdict."""
    ok = runs[runs.status == "ok"]
    d = stats.paired(ok[ok[column] == target], ok[ok[column] == reference], [*by, "seed"], value)
    out = []
    for key, g in ok[ok[column] == target].groupby(by, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        ev = interval(d.loc[d.index.intersection(g.index), "diff"])
        out.append({**dict(zip(by, key)), **ev, "verdict": verdict(ev)})
    return out


def paired_against(runs: pd.DataFrame, column: str, target: str, references) -> pd.DataFrame:
    """``target`` minus each of ``references`` (values of ``column``), seed by seed, per pl_pct and protocol:
    mean, 95% interval, seeds and verdict."""
    out = [
        {"against": ref, "protocol": protocol, **d}
        for ref in references
        for protocol in PROTOCOLS
        for d in paired_by_seed(runs, column, target, ref, ["pl_pct"], protocol)
    ]
    frame = pd.DataFrame(out, columns=["against", "protocol", "pl_pct", "mean", "low", "high", "n", "verdict"])
    frame = frame.rename(columns={"n": "seeds"})
    order = {"against": list(references), "protocol": list(PROTOCOLS)}
    key = lambda c: c.map(order[c.name].index) if c.name in order else c  # noqa: E731
    return frame.sort_values(["against", "pl_pct", "protocol"], key=key, kind="stable", ignore_index=True)[
        ["against", "pl_pct", "protocol", "mean", "low", "high", "seeds", "verdict"]
    ]


def versus(runs: pd.DataFrame, protocol: str, reference: str = BASELINE) -> pd.DataFrame:
    """Per dataset, contender and pl_pct: mean of (contender - ``reference``) over the seeds both have, its 95%
    interval, the number of seeds and a verdict (better / worse / no difference shown)."""
    ok = runs[runs.status == "ok"]
    out = [
        {"dataset": ds, "contender": name, **d}
        for ds in ok.dataset.unique()
        for name in ok[ok.dataset == ds].contender.unique()
        if name != reference
        for d in paired_by_seed(ok[ok.dataset == ds], "contender", name, reference, ["pl_pct"], protocol)
    ]
    return pd.DataFrame(out, columns=["dataset", "contender", "pl_pct", "mean", "low", "high", "n", "p", "verdict"])


def versus_dml(runs: pd.DataFrame, protocol: str) -> pd.DataFrame:
    """:func:`versus` plain DML: the open question's comparison."""
    return versus(runs, protocol, BASELINE)


def verdict(ev: dict) -> str:
    if ev["n"] < 2 or math.isnan(ev["low"]):
        return "too few seeds"
    return "better" if ev["low"] > 0 else "worse" if ev["high"] < 0 else "no difference shown"


def show(diffs: pd.DataFrame) -> pd.DataFrame:
    """The differences as 'mean [low, high]' strings, contenders down, labelled percentages across."""

    def cell(r):
        return f"{r['mean']:+.3f} [{r['low']:+.3f}, {r['high']:+.3f}]" if r["n"] > 1 else f"{r['mean']:+.3f} (n=1)"

    d = diffs.assign(cell=diffs.apply(cell, axis=1))
    return d.pivot_table(index=["dataset", "contender"], columns="pl_pct", values="cell", aggfunc="first", sort=False)


def answer(diffs: pd.DataFrame, protocol: str) -> str:
    """The open question's answer under one protocol, in words, from the intervals."""
    lines = []
    for (ds, name), g in diffs.groupby(["dataset", "contender"], sort=False):
        better = [f"{p:g} %" for p, v in zip(g.pl_pct, g.verdict) if v == "better"]
        worse = [f"{p:g} %" for p, v in zip(g.pl_pct, g.verdict) if v == "worse"]
        parts = ([f"beats DML at {', '.join(better)}"] if better else []) + (
            [f"loses to DML at {', '.join(worse)}"] if worse else []
        )
        lines.append(
            f"- {ds}, {name}: "
            + ("; ".join(parts) if parts else "no difference from DML shown at any labelled percentage")
            + "."
        )
    return f"Under `{protocol}` (95% intervals of the seed-paired difference):\n" + "\n".join(lines)


# the contenders that add a reconstruction (autoencoder or VAE) component to DML: the open question's subject
VAE_COMPONENT = tuple(
    n for n, c in grids.BEYOND_CONTENDERS if c["model"] in ("dml_autoencoder", "mvae") and c.get("alpha") != 1.0
)


VERBS = {
    "helps": "helps",
    "hurts": "hurts",
    "mixed": "is mixed (some models better, some worse)",
    "no difference shown": "shows no difference",
}
# how a sentence says "on all datasets" after a word, where "every dataset" would read wrong
ON_ALL = {"none beats it": "any dataset"}


def holm_verdicts(h: pd.DataFrame) -> pd.Series:
    """The verdicts of a family of comparisons (the rows of ``h``, each with its mean and t-test p-value ``p``) after
    Holm's correction: "better" or "worse" where the adjusted p-value is below ``ALPHA``, else "no difference
    shown". A claim that rests on whichever of several models clears zero needs it: with four models at 5 % each,
    one clears zero by chance far more often than 5 % of the time."""
    adjusted = pd.Series(holm(h["p"]), index=h.index)
    return pd.Series(
        [
            "better" if a < ALPHA and m > 0 else "worse" if a < ALPHA and m < 0 else "no difference shown"
            for a, m in zip(adjusted, h["mean"])
        ],
        index=h.index,
    )


def _component_word(h: pd.DataFrame) -> tuple[str, str]:
    """(word, detail) for the reconstruction-component models of one dataset and labelled percentage, with Holm's
    correction over those models (:func:`holm_verdicts`)."""
    v = holm_verdicts(h)
    better, worse = h[v == "better"], h[v == "worse"]
    word = (
        "mixed"
        if len(better) and len(worse)
        else "helps"
        if len(better)
        else "hurts"
        if len(worse)
        else "no difference shown"
    )
    detail = f"{len(better)} of {len(h)} better, {len(worse)} worse"
    if len(better):
        best = better.loc[better["mean"].idxmax()]
        detail += f"; best: {best.contender}, {best['mean']:+.3f} [{best['low']:+.3f}, {best['high']:+.3f}]"
    return word, detail


def labels_word(h: pd.DataFrame) -> tuple[str, str]:
    """(word, detail) against the autoencoder alone: does any reconstruction-component model beat it (Holm-corrected
    over those models)?"""
    return ("some beat it" if (holm_verdicts(h) == "better").any() else "none beats it"), _component_word(h)[1]


def answer_table(diffs: dict, word=_component_word) -> pd.DataFrame:
    """Per protocol (``diffs``: protocol -> :func:`versus_dml`) and labelled percentage, for each dataset, whether
    adding a reconstruction component to DML (the ``VAE_COMPONENT`` models) helps: *helps* where some such model
    beats DML and none loses to it, *hurts* where some loses and none beats it, *mixed* where both happen, *no
    difference shown* where no interval clears zero; with the counts and the best model. ``word``: the rule
    (:func:`labels_word` for the comparison with the autoencoder alone)."""
    rows = []
    for protocol, d in diffs.items():
        d = d[d.contender.isin(VAE_COMPONENT) & (d.n >= 2)]
        for (pl, ds), h in d.groupby(["pl_pct", "dataset"], sort=False):
            said, detail = word(h)
            rows.append({"protocol": protocol, "% labelled": pl, "dataset": ds, "answer": f"{said} ({detail})"})
    if not rows:
        return pd.DataFrame(columns=["protocol", "% labelled"])
    t = pd.DataFrame(rows)
    order = {p: i for i, p in enumerate(diffs)}
    t = t.sort_values(
        ["protocol", "% labelled"], key=lambda c: c.map(order) if c.name == "protocol" else c, kind="stable"
    )
    return t.pivot_table(
        index=["protocol", "% labelled"], columns="dataset", values="answer", aggfunc="first", sort=False
    )


def _said(w: str, detail: str) -> str:
    """A verdict word as a sentence says it (``VERBS``), with the count of models it rests on after Holm's
    correction ("hurts (0 of 5 better, 1 worse)"), so that a verdict one model decides says so."""
    return VERBS.get(w, w) + ("" if w == "no difference shown" else f" ({detail.split(';')[0]})")


def _sentences(diffs: dict, word=_component_word, subject: str = "it ") -> list[str]:
    """One sentence per protocol (``diffs``: protocol -> :func:`versus`): the labelled percentages grouped by what
    the ``VAE_COMPONENT`` models do against the reference on every dataset (``word``: :func:`_component_word`,
    said with ``VERBS`` and the count of models behind it, or :func:`labels_word`), after ``subject``."""
    out = []
    for protocol, d in diffs.items():
        d = d[d.contender.isin(VAE_COMPONENT) & (d.n >= 2)]
        if not len(d):
            continue
        words = {}
        for pl, g in d.groupby("pl_pct", sort=True):
            per = {ds: _said(*word(h)) for ds, h in g.groupby("dataset", sort=False)}
            w = next(iter(per.values()))
            said = (
                f"{w} on {ON_ALL.get(w.split(' (')[0], 'every dataset') if len(per) > 1 else next(iter(per))}"
                if len(set(per.values())) == 1
                else ", ".join(f"{w} on {ds}" for ds, w in per.items())
            )
            words.setdefault(said, []).append(f"{pl:g} %")
        out.append(
            f"Under `{protocol}` {subject}"
            + "; ".join(
                f"{said} at {' and '.join(pcts) if len(pcts) < 3 else ', '.join(pcts[:-1]) + ' and ' + pcts[-1]}"
                for said, pcts in words.items()
            )
            + " labelled."
        )
    return out


def short_answer(diffs: dict) -> str:
    """The open question answered in plain words from :func:`answer_table`'s verdicts (``diffs``: protocol ->
    :func:`versus_dml`): one sentence per protocol, the labelled percentages grouped by what the reconstruction
    component does on every dataset."""
    out = _sentences(diffs)
    if not out:
        return ""
    return (
        "**Does a VAE component help DML when few labels exist?** Counting the DML autoencoder under each "
        "routine and the MetricVAE under both (the autoencoder alone and label propagation aside), against "
        "DML with seed-paired t-tests, Holm-corrected over those models at each labelled percentage, a "
        "reconstruction component *helps* where at least one of those models beats DML and none loses to it, "
        "and *hurts* in the reverse case; the brackets count the models better and worse after the correction. "
        + " ".join(out)
    )


# the contender that reads no label: what the reconstruction gives without the metric loss
AUTOENCODER_ALONE = next(n for n, c in grids.BEYOND_CONTENDERS if c.get("alpha") == 1.0)


def labels_answer(diffs: dict) -> str:
    """Where the component helps, is it the reconstruction or the labels? The same ``VAE_COMPONENT`` models against
    the autoencoder alone (``diffs``: protocol -> ``versus(runs, protocol, AUTOENCODER_ALONE)``), in words: where
    none of them beats it, the labels add nothing shown to what the reconstruction alone gives."""
    out = _sentences(diffs, labels_word, subject="")
    if not out:
        return ""
    return (
        "**Is it the reconstruction or the labels?** The autoencoder alone (alpha = 1) reads no label; the same "
        "models against it, seed-paired t-tests Holm-corrected over the models. " + " ".join(out) + " Where none "
        "beats it, their "
        "gain over DML is what the unsupervised embedding gives alone: the labels' metric loss adds nothing "
        "shown."
    )


def chosen_setting(rows) -> tuple[dict, pd.DataFrame]:
    """(the dml_labelprop setting with the best mean validation kNN under labelled-to-test, the per-setting
    table: mean ± sd over seeds, runs)."""
    keys = list(grids.LABELPROP_CHOICES)
    f = tables.flatten(rows, keys, {"validation kNN": ("knn_acc", "labelled-to-test")})
    ok = f[f.status == "ok"]
    per_setting = ok.groupby(keys)["validation kNN"].agg(["mean", "std", "size"]).reset_index()
    best = per_setting.loc[per_setting["mean"].idxmax()]
    return (
        {k: best[k].item() if hasattr(best[k], "item") else best[k] for k in keys},
        per_setting.sort_values("mean", ascending=False),
    )


def perfect_latents_ceiling(y_labelled, y_test, seed: int = 0) -> float:
    """kNN accuracy under labelled-to-test if every image sat exactly on its own class's point (one-hot latents):
    the most any embedding can score with this labelled draw, since a class with fewer labels than k's
    majority loses the vote to its neighbours."""
    y_labelled, y_test = np.asarray(y_labelled), np.asarray(y_test)
    classes = int(max(y_labelled.max(), y_test.max())) + 1
    eye = np.eye(classes)
    m = evaluate.probe(
        eye[y_test],
        y_test,
        "labelled-to-test",
        ("knn",),
        z_train=eye[y_labelled],
        y_train=y_labelled,
        labelled=np.arange(len(y_labelled)),
        seed=seed,
    )
    return m["knn_acc"]


def ceiling(cfg: RunConfig) -> float:
    """:func:`perfect_latents_ceiling` for the labelled draw and test images of run ``cfg``."""

    ds = data.load(cfg.dataset, data_dir=cfg.data_dir)
    _, y_full = ds.split("train")
    keep, lab = train.training_indices(y_full, cfg)
    _, y_te = ds.split("test")
    return perfect_latents_ceiling(y_full[keep[lab]], y_te[train.test_indices(y_te, cfg.test_subset)], cfg.seed)


def validation_source(profile: str, results, dataset: str = "mnist"):
    """(profile, results file) of the labelprop validation runs a page shows: the shipped paper-profile rows when
    they hold every run (the choice of defaults was made there), else the page's own profile and file."""
    return profiles.shipped_or(
        profile, results, "labelprop-validation", grids.cells("labelprop-validation", dataset=dataset), 2
    )
