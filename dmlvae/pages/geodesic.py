"""Page 10's back-end (geodesic triplets): the runs, their table, the differences and the answer."""

from __future__ import annotations

import pandas as pd
from IPython.display import Markdown

from dmlvae.analysis import tables
from dmlvae.analysis.beyond import frame, paired_against
from dmlvae.experiments import grids
from dmlvae.pages.page import cached
from dmlvae.pages import blocks

# The geodesic page (proposal 4): its runs, table, paired differences and answer
GEODESIC_ORDER = [n for n, _ in grids.GEODESIC_VARIANTS]


@cached
def geodesic_runs(page) -> pd.DataFrame:
    """Every run of the geodesic grid a page asks for (its dataset, lsdim, alpha and segments parameters), trained
    first when missing: one row per run (:func:`frame`, by variant)."""
    p = page.p
    cells = grids.cells("geodesic", dataset=p.dataset or "mnist", lsdim=p.lsdim, alpha=p.alpha, segments=p.segments)
    return frame(page.rows("geodesic", cells), grids.geodesic_variant, "variant")


def show_failed(runs: pd.DataFrame) -> list:
    """The parts the page shows (Page.show), in order: the failed runs of ``runs`` (left out of every table below)
    under a sentence saying so; nothing when every run is ok."""
    shown = []  # what the page shows, in order (Page.show displays it)

    failed = runs[runs.status != "ok"]
    if len(failed):
        shown += [Markdown(f"**{len(failed)} runs failed** and are left out below:"), failed]
    return shown


def geodesic_table(page) -> list:
    """Per variant and labelled percentage: kNN under both protocols (mean ± sd over seeds) and the median seconds a
    run; shows the failed runs (if any) and its caption first."""
    shown = []  # what the page shows, in order (Page.show displays it)

    runs = geodesic_runs(page)
    shown += show_failed(runs)
    ok = runs[runs.status == "ok"]
    shown += [
        Markdown(
            f"Profile `{page.profile}`, seeds {page.seed_list}, lsdim {page.p.lsdim}, alpha {page.p.alpha}, "
            f"T = {page.p.segments}; kNN accuracy, mean ± sd over seeds; seconds a run, the median (CPU time where "
            "the row records it, else wall time, which a machine shared with other runs inflates)."
        )
    ]
    table = tables.summary(ok, ["variant", "pl_pct"], ["test-cv", "labelled-to-test"])
    table.insert(2, "seconds a run (median)", ok.groupby(["variant", "pl_pct"]).seconds.median().round(0))
    return [*shown, table.reindex([(v, p) for v in GEODESIC_ORDER for p in sorted(ok.pl_pct.unique())])]


def geodesic_differences(page) -> pd.DataFrame:
    """Geodesic minus each Euclidean variant, seed by seed, per pl_pct and protocol (:func:`paired_against`)."""
    return paired_against(geodesic_runs(page), "variant", GEODESIC_ORDER[2], GEODESIC_ORDER[:2])


def geodesic_answer(page):
    """What the runs say (Markdown): each paired difference in words, and what the geodesic loss costs."""

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


def answer_box(page):
    """The box the page opens with: how the geodesic loss compares with each Euclidean loss over the labels and
    protocols (seed-paired 95 % intervals), and what it costs, from the runs."""
    d = geodesic_differences(page)
    parts = []
    for against, g in d.groupby("against", sort=False):
        n = {v: int((g.verdict == v).sum()) for v in ("better", "worse")}
        parts.append(
            f"Against the triplet loss \u201c{against}\u201d, the geodesic loss is better in {n['better']}, worse in "
            f"{n['worse']} and shows no difference in {len(g) - n['better'] - n['worse']} of {len(g)} comparisons "
            f"({', '.join(f'{p:g} %' for p in sorted(g.pl_pct.unique()))} labelled, both protocols, seed-paired 95 % "
            f"intervals over seeds {', '.join(map(str, page.seed_list))})."
        )
    runs = geodesic_runs(page)
    cost = runs[runs.status == "ok"].groupby("variant").seconds.median()
    parts.append(
        f"A geodesic run takes {cost[GEODESIC_ORDER[2]] / cost[GEODESIC_ORDER[1]]:.1f}x the time of a Euclidean "
        "batch-hard run (median seconds)."
    )
    return blocks.answer_box(parts)
