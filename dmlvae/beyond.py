"""The beyond-the-paper page's computations: each contender minus DML, paired by seed with a 95% interval; the
plain-words answer; the setting chosen on the validation split; the ceiling a label draw puts on kNN.

Runs that share a seed share the labelled subset, so the difference to DML is taken seed by seed
(``stats.paired`` and ``stats.interval``: mean and 95% t-interval over seeds).
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pandas as pd

from . import evaluate, grids, paper, profiles, store, sweep, tables
from .config import RunConfig
from . import stats
from .stats import ALPHA, holm, interval

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


def load_or_train(
    grid: str, profile: str, cfgs, results, name=grids.contender, column: str = "contender", workers=None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train the runs of ``cfgs`` missing from ``results`` (load-or-train), then (every run's row as in
    :func:`frame`, the failed ones)."""
    sweep.run_configs(grid, profile, cfgs, results, progress=False, workers=workers)
    runs = frame(store.rows_for(results, grid, profile, cfgs), name, column)
    return runs, runs[runs.status != "ok"]


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


def _sentences(diffs: dict, word=_component_word, subject: str = "it ") -> list[str]:
    """One sentence per protocol (``diffs``: protocol -> :func:`versus`): the labelled percentages grouped by what
    the ``VAE_COMPONENT`` models do against the reference on every dataset (``word``: :func:`_component_word`,
    said with ``VERBS``, or :func:`labels_word`), after ``subject``."""
    out = []
    for protocol, d in diffs.items():
        d = d[d.contender.isin(VAE_COMPONENT) & (d.n >= 2)]
        if not len(d):
            continue
        words = {}
        for pl, g in d.groupby("pl_pct", sort=True):
            per = {ds: VERBS.get(w := word(h)[0], w) for ds, h in g.groupby("dataset", sort=False)}
            w = next(iter(per.values()))
            said = (
                f"{w} on {ON_ALL.get(w, 'every dataset') if len(per) > 1 else next(iter(per))}"
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
        "and *hurts* in the reverse case. " + " ".join(out)
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
    from . import data, train

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


# The geodesic page (proposal 4): its runs, table, paired differences and answer
GEODESIC_ORDER = [n for n, _ in grids.GEODESIC_VARIANTS]


@functools.lru_cache(maxsize=None)
def geodesic_runs(page) -> pd.DataFrame:
    """Every run of the geodesic grid a page asks for (its dataset, lsdim, alpha and segments parameters), trained
    first when missing: one row per run (:func:`frame`, by variant)."""
    p = page.p
    cells = grids.cells("geodesic", dataset=p.dataset or "mnist", lsdim=p.lsdim, alpha=p.alpha, segments=p.segments)
    return frame(page.rows("geodesic", cells), grids.geodesic_variant, "variant")


def show_failed(runs: pd.DataFrame) -> None:
    """Shows the failed runs of ``runs`` (left out of every table below) under a sentence saying so; nothing when
    every run is ok."""
    from IPython.display import Markdown, display

    failed = runs[runs.status != "ok"]
    if len(failed):
        display(Markdown(f"**{len(failed)} runs failed** and are left out below:"), failed)


def geodesic_table(page) -> pd.DataFrame:
    """Per variant and labelled percentage: kNN under both protocols (mean ± sd over seeds) and the median seconds a
    run; shows the failed runs (if any) and its caption first."""
    from IPython.display import Markdown, display

    runs = geodesic_runs(page)
    show_failed(runs)
    ok = runs[runs.status == "ok"]
    display(
        Markdown(
            f"Profile `{page.profile}`, seeds {page.seed_list}, lsdim {page.p.lsdim}, alpha {page.p.alpha}, "
            f"T = {page.p.segments}; kNN accuracy, mean ± sd over seeds; seconds a run, the median (CPU time where "
            "the row records it, else wall time, which a machine shared with other runs inflates)."
        )
    )
    table = tables.summary(ok, ["variant", "pl_pct"], ["test-cv", "labelled-to-test"])
    table.insert(2, "seconds a run (median)", ok.groupby(["variant", "pl_pct"]).seconds.median().round(0))
    return table.reindex([(v, p) for v in GEODESIC_ORDER for p in sorted(ok.pl_pct.unique())])


def geodesic_differences(page) -> pd.DataFrame:
    """Geodesic minus each Euclidean variant, seed by seed, per pl_pct and protocol (:func:`paired_against`)."""
    return paired_against(geodesic_runs(page), "variant", GEODESIC_ORDER[2], GEODESIC_ORDER[:2])


def geodesic_answer(page):
    """What the runs say (Markdown): each paired difference in words, and what the geodesic loss costs."""
    from IPython.display import Markdown

    lines = [
        f"- at {p:g} % labels, `{pr}`: geodesic {v} than {ref} ({m:+.3f} [{lo:+.3f}, {hi:+.3f}])"
        if v in ("better", "worse")
        else f"- at {p:g} % labels, `{pr}`: no difference from {ref} shown ({m:+.3f} [{lo:+.3f}, {hi:+.3f}])"
        for ref, p, pr, m, lo, hi, v in geodesic_differences(page)[
            ["against", "pl_pct", "protocol", "mean", "low", "high", "verdict"]
        ].itertuples(index=False)
    ]
    runs = geodesic_runs(page)
    cost = runs[runs.status == "ok"].groupby("variant").seconds.median()
    return Markdown(
        f"**What the runs say** (profile `{page.profile}`):\n"
        + "\n".join(lines)
        + f"\n\nCost: the geodesic runs take {cost[GEODESIC_ORDER[2]] / cost[GEODESIC_ORDER[1]]:.1f}x the time of "
        "the Euclidean batch-hard runs (median seconds a run; decoding 2B paths of T + 1 points at every supervised "
        "step)."
    )


# The beyond page: each function takes the page (pages.Page with the beyond page's parameters), trains what the
# results file lacks (or, under the auto profile, names it) and shows one table, figure or paragraph.
def page_datasets(page) -> list[str]:
    """The page's dataset (MNIST by default), then its stand-in (``grids.beyond_datasets``)."""
    return grids.beyond_datasets(page.profile, page.p.dataset or "mnist", page.p.stand_in)


def page_configs(page) -> list:
    """The beyond grid's RunConfigs on each of the page's datasets, at its lsdim, alpha and gamma."""
    p = page.p
    return [
        c
        for d in page_datasets(page)
        for c in page.configs("beyond", grids.cells("beyond", dataset=d, lsdim=p.lsdim, alpha=p.alpha, gamma=p.gamma))
    ]


@functools.lru_cache(maxsize=None)
@functools.lru_cache(maxsize=None)
def page_runs(page) -> pd.DataFrame:
    """Every run of the beyond grid the page shows (:func:`frame`), trained first when missing; read once per page
    (the tables, differences, answers, figure and uniform-draw cells share it, and none changes it in place)."""
    return frame(page.rows("beyond", cfgs=page_configs(page)))


def accuracy_tables(page) -> None:
    """Shows the failed runs (if any), then kNN accuracy per dataset, contender and labelled percentage under each
    protocol (mean ± sd over seeds)."""
    from IPython.display import Markdown, display

    runs = page_runs(page)
    show_failed(runs)
    ok = runs[runs.status == "ok"]
    order = [n for n, _ in grids.BEYOND_CONTENDERS]
    display(
        Markdown(
            f"Profile `{page.profile}`, seeds {page.seed_list}, lsdim {page.p.lsdim}, alpha {page.p.alpha}, "
            f"gamma {page.p.gamma}; kNN accuracy, mean ± sd over seeds; columns: percent of the training "
            "images labelled."
        )
    )
    for protocol in PROTOCOLS:
        display(Markdown(f"### kNN accuracy, `{protocol}`"))
        table = ok.pivot_table(index=["dataset", "contender"], columns="pl_pct", values=protocol, aggfunc=paper.mean_sd)
        display(table.reindex([(d, n) for d in page_datasets(page) for n in order]))


@functools.lru_cache(maxsize=None)
def page_differences(page) -> dict:
    """{protocol: each contender minus DML, seed-paired (:func:`versus_dml`)}."""
    return {p: versus_dml(page_runs(page), p) for p in PROTOCOLS}


def show_differences(page) -> None:
    """Shows each contender minus DML under each protocol (:func:`show`)."""
    from IPython.display import Markdown, display

    for protocol, d in page_differences(page).items():
        display(Markdown(f"### Minus DML, `{protocol}`"), show(d))


def answers(page) -> None:
    """Shows the answer in words (against DML, then against the autoencoder alone), the tables behind it, every
    contender's comparison on its own and the caveats, all from the runs."""
    from IPython.display import Markdown, display

    diffs, runs, cfgs = page_differences(page), page_runs(page), page_configs(page)
    display(Markdown(short_answer(diffs)))
    display(
        Markdown(
            "In detail, per dataset and labelled percentage (*helps*: some of those models beat DML and none "
            "loses to it; *hurts*: the reverse; *mixed*: both; each after Holm's correction over the models, "
            "which the counts below follow):"
        ),
        answer_table(diffs),
    )
    alone = {p: versus(runs, p, AUTOENCODER_ALONE) for p in PROTOCOLS}
    display(Markdown(labels_answer(alone)))
    display(
        Markdown("Per dataset and labelled percentage, against the autoencoder alone:"),
        answer_table(alone, labels_word),
    )
    display(
        Markdown(
            "Every contender, the autoencoder alone and label propagation included, each comparison on its "
            "own (uncorrected 95 % intervals: read one model at a time, not which of them clears zero):\n\n"
            + "\n\n".join(answer(d, p) for p, d in diffs.items())
        )
    )
    display(
        Markdown(
            f"**Caveats.** {len(page.seed_list)} seeds; one architecture (MLP {'-'.join(map(str, cfgs[0].hidden))}, "
            f"lsdim {page.p.lsdim}), one alpha and gamma, {cfgs[0].epochs} epochs per run (profile `{page.profile}`); "
            "kNN with k = 5 (at most the labels per class under labelled-to-test). The autoencoder alone uses no "
            "label, so its `labelled-to-test` score is that of the labelled images' positions in an unsupervised "
            "embedding. A VAE component 'helps' here only where its interval clears DML's at that label count."
        )
    )


def accuracy_figure(page):
    """kNN accuracy (labelled-to-test) against the labelled percentage, one line per contender, a panel per dataset."""
    import plotly.express as px

    runs = page_runs(page)
    ok = runs[runs.status == "ok"]
    summary = ok.groupby(["dataset", "contender", "pl_pct"], sort=False)["labelled-to-test"].agg(["mean", "std"])
    return px.line(
        summary.reset_index(),
        x="pl_pct",
        y="mean",
        error_y="std",
        color="contender",
        facet_col="dataset",
        log_x=True,
        markers=True,
        title=f"kNN accuracy (labelled-to-test), mean ± sd over seeds {page.seed_list}",
        labels={"mean": "kNN accuracy", "pl_pct": "% labelled"},
    )


def validation(page):
    """Shows the label-propagation settings' validation table (from the shipped paper-scale rows when complete, else
    trained here) and returns (Markdown) the best setting against the model's defaults."""
    from IPython.display import Markdown, display

    main = page.p.dataset or "mnist"
    val_profile, val_results = validation_source(page.profile, page.results, main)
    cfgs = profiles.profile_configs(
        grids.cells("labelprop-validation", dataset=main),
        val_profile,
        2,
        grid="labelprop-validation",
        device=page.device,
    )
    sweep.run_configs("labelprop-validation", val_profile, cfgs, val_results, progress=False, workers=page.workers)
    best, table = chosen_setting(store.rows_for(val_results, "labelprop-validation", val_profile, cfgs))
    default = {k: getattr(RunConfig(model="dml_labelprop"), k) for k in best}
    display(
        Markdown(
            f"Validation kNN accuracy (labelled-to-test on the {cfgs[0].validation:,} held-out images, "
            f"{main}), seeds 0 and 1, profile `{val_profile}` (`{val_results}`); best first:"
        ),
        table,
    )
    same = all(str(best[k]) == str(default[k]) for k in best)
    return Markdown(
        f"Best on validation: {best}. The model's defaults: {default}"
        + (" — the same." if same else " — **they differ**: the defaults were chosen under the paper profile.")
    )


def labelprop_target(page) -> None:
    """Shows DML on propagated labels at 0.1 % labelled, stratified draw (the shipped paper-scale rows when complete,
    else trained here): every run, then per dataset its mean, spread and cost."""
    from IPython.display import Markdown, display

    main = page.p.dataset or "mnist"
    cells = [c for d in grids.beyond_datasets("paper", main) for c in grids.cells("labelprop", dataset=d)]
    lp_profile, lp_results = profiles.shipped_or(
        page.profile, page.results, "labelprop", cells, grids.beyond_seeds("paper")
    )
    if lp_profile == page.profile:
        cells = [c for d in page_datasets(page) for c in grids.cells("labelprop", dataset=d)]
    lp_seeds = grids.beyond_seeds(lp_profile, None if lp_profile != page.profile else page.seeds)
    cfgs = profiles.profile_configs(cells, lp_profile, lp_seeds, grid="labelprop", device=page.device)
    sweep.run_configs("labelprop", lp_profile, cfgs, lp_results, progress=False, workers=page.workers)
    rows = store.rows_for(lp_results, "labelprop", lp_profile, cfgs)
    lp = tables.flatten(
        rows,
        ["dataset"],
        {"kNN, labelled-to-test": ("knn_acc", "labelled-to-test"), "kNN, test-cv": ("knn_acc", "test-cv")},
        keep=["n_labelled", "wall_time", "threads", "device"],
    )
    lp["pseudo-labels right (last)"] = [(r.get("pseudo_label_acc") or [None])[-1] for r in rows]
    lp["seconds"] = [store.run_seconds(r) for r in rows]
    display(
        Markdown(
            f"**{cfgs[0].pl_pct:g} % labelled, class-balanced (stratified) draw** (60 labels on MNIST), as "
            f"the published anchors draw theirs; profile `{lp_profile}` (`{lp_results}`), seeds "
            f"{profiles.seeds_arg(lp_seeds)}; wall time in seconds:"
        ),
        lp,
    )
    for d, g in lp[lp.status == "ok"].groupby("dataset", sort=False):
        acc = g["kNN, labelled-to-test"]
        display(
            Markdown(
                f"**{d}**: mean {acc.mean():.3f} ± {acc.std():.3f}, lowest seed {acc.min():.3f}, with settings chosen "
                f"on {grids.VALIDATION_IMAGES:,} validation labels and a class-balanced draw (an optimistic bound; "
                f"part 3 gives the realistic protocol's numbers); cost {g.seconds.median():.0f} s a run (median; CPU "
                f"time where recorded, else wall time), at most {g.seconds.max():.0f} s "
                f"({g.threads.iloc[0]} thread(s), "
                f"{g.device.iloc[0]}"
                + ("; measured while other runs shared the machine's 2 cores" if lp_profile == "paper" else "")
                + ")."
            )
        )


def uniform_draw(page):
    """Shows DML on propagated labels at 0.1 % labelled by the uniform draw, each seed beside the ceiling its draw
    puts on kNN, and returns (Markdown) the mean per dataset."""
    from IPython.display import Markdown, display

    runs, cfgs = page_runs(page), page_configs(page)
    ok = runs[runs.status == "ok"]
    uni = ok[(ok.contender == grids.BEYOND_CONTENDERS[-1][0]) & (ok.pl_pct == 0.1)].copy()
    ceil = {(c.dataset, c.seed): ceiling(c) for c in cfgs if c.model == "dml_labelprop" and c.pl_pct == 0.1}
    uni["ceiling (perfect latents)"] = [ceil[(d, s)] for d, s in zip(uni.dataset, uni.seed)]
    display(
        Markdown(f"DML on propagated labels, 0.1 % labelled by a uniform draw, profile `{page.profile}`; kNN accuracy:")
    )
    display(uni[["dataset", "seed", "labels", "labelled-to-test", "ceiling (perfect latents)"]].reset_index(drop=True))
    return Markdown(
        "Under the uniform draw (the default) labelled-to-test kNN accuracy is "
        + "; ".join(
            f"{acc.mean():.3f} ± {acc.std():.3f} on {d} (mean ± sd over {len(acc)} seeds, lowest {acc.min():.3f})"
            for d, acc in uni.groupby("dataset", sort=False)["labelled-to-test"]
        )
        + ": the stratified draw's numbers above need labels balanced over the classes, which a user who picks 60 "
        "images to label cannot ensure."
    )
