"""Page 04's back-end (the MetricVAE): Table 4 under both objectives, the alternating routine, Figure 6, the
calibration and the loss shares.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from IPython.display import Markdown
from plotly.subplots import make_subplots

from dmlvae.analysis import scorecard, tables
from dmlvae.analysis.balance import DML, VAE, answer, course_sentence, frame
from dmlvae.analysis.objectives import (
    NAMES,
    OBJECTIVES,
    TABLE4_NOTES,
    agreement_sentence,
    alternating_configs,
    collapse_sentence,
    run_frame,
    summary_table,
    table4_compare,
    table4_configs,
)
from dmlvae.analysis.scorecard import PROTOCOLS
from dmlvae.experiments import grids, paper
from dmlvae.pages import blocks, plots
from dmlvae.pages.page import cached


def calibration(page) -> list:
    """The VAE-calibration grid (reconstruction reading x beta, the MetricVAE at gamma = 0) of a page's profile and
    seeds, trained first when missing: its caption and table (kNN on mu and on a sampled z, the last epoch's
    KL; mean ± sd), then (Markdown) one sentence per setting on whether its posterior collapsed (Page.show)."""
    shown = []  # what the page shows, in order (Page.show displays it)

    rows = page.rows("vae-calibration", grids.cells("vae-calibration"))
    vae = tables.flatten(
        rows,
        ["recon", "beta"],
        {"kNN mu": ("knn_acc", None), "kNN sampled z": ("knn_acc", "test-cv/sampled-z")},
        last={"final KL": "kl"},
    )
    shown += [
        Markdown(
            f"Profile `{page.profile}`, {grids.CALIBRATION_EPOCHS} epochs, seeds {page.seed_list}; "
            "kNN accuracy under `test-cv`, and the KL (nats) of the last epoch; mean ± sd."
        )
    ]
    shown += [tables.summary(vae, ["recon", "beta"], ["kNN mu", "kNN sampled z", "final KL"])]
    frame = run_frame(rows, ["recon", "beta"])
    return [
        *shown,
        Markdown(
            "\n".join(
                f"- {collapse_sentence(g, f'`{recon}`, beta {beta:g}', ['beta'])}"
                for (recon, beta), g in frame.groupby(["recon", "beta"], sort=False)
            )
        ),
    ]


# The MetricVAE page: each function takes the page (pages.Page: profile, seeds, results, parameters), trains what
# the results file lacks (or, under the auto profile, names it) and gives one table, figure or paragraph.
def _dataset(page) -> str:
    return page.p.dataset or "mnist"


@cached
def alternating_rows(page, objective: str) -> list[dict]:
    """The alternating grid's rows under ``objective`` (DML's runs are the same under both)."""
    grid, cfgs = alternating_configs(page.profile, page.seeds, objective, _dataset(page), page.device)
    return page.rows(grid, cfgs=cfgs)


def alternating_table(page, objective: str, caption: str | None = None) -> list:
    """DML and the MetricVAE side by side per loss and labelled percentage, with the MetricVAE's loss shares, under
    ``objective``: ``caption`` (None: the page's standard one), then the table (Page.show)."""
    shown = []  # what the page shows, in order (Page.show displays it)

    rows = alternating_rows(page, objective)
    if caption is None:
        caption = (
            f"Dataset `{_dataset(page)}`, profile `{page.profile}`, seeds {page.seed_list}; kNN accuracy (`test-cv`) "
            "on the mean mu of each encoder, and on a sampled z for the MetricVAE; the MetricVAE's final KL to its "
            f"prior in nats, and each term's share of its loss. The objective: {NAMES[objective]}."
        )
    shown += [Markdown(caption)]
    dml = run_frame([r for r in rows if r["config"]["model"] == "dml"], ["loss", "pl_pct"])
    mvae = run_frame([r for r in rows if r["config"]["model"] == "mvae"], ["loss", "pl_pct"])
    t = summary_table(mvae, ["loss", "pl_pct"])
    t.insert(0, "DML", dml.groupby(["loss", "pl_pct"], sort=False)["acc"].agg(paper.mean_sd))
    return [
        *shown,
        t.rename(columns={"kNN": "MetricVAE", "kNN, sampled z": "MetricVAE, sampled z"}).drop(
            columns=["kNN, labelled-to-test"]
        ),
    ]


@cached
def table4(page, objective: str) -> tuple:
    """Table 4 under ``objective``: (grid, configs, rows, comparison with the paper)."""
    grid, cfgs = table4_configs(page.profile, page.seeds, objective, page.p.dataset, page.device)
    rows = page.rows(grid, cfgs=cfgs)
    return grid, cfgs, rows, table4_compare(page.results, page.profile, grid, cfgs)


def table4_layout(page, objective: str) -> list:
    """Table 4 under ``objective`` in the paper's layout beside the paper's: the caption, then the table
    (Page.show)."""
    shown = []  # what the page shows, in order (Page.show displays it)

    cmp = table4(page, objective)[3]
    shown += [Markdown(paper.caption(4, cmp, page.profile, page.seed_list, note=TABLE4_NOTES[objective]))]
    return [*shown, paper.styled_layout(cmp)]


def mvae_frame(rows, by) -> pd.DataFrame:
    """:func:`run_frame` of the MetricVAE's rows of ``rows``."""
    return run_frame([r for r in rows if r["config"]["model"] == "mvae"], by)


def table4_shares(page, objective: str) -> pd.DataFrame:
    """Table 4's MetricVAE runs under ``objective``: accuracy, KL and loss shares per gamma and lsdim."""
    return summary_table(mvae_frame(table4(page, objective)[2], ["gamma", "lsdim"]), ["gamma", "lsdim"])


@cached
def figure6_rows(page) -> list[dict]:
    """The ok runs of the Figure 6 grid (the MetricVAE, joint, lsdim 5, per gamma) at the page's figure6_epochs."""
    cells = grids.cells("figure6", dataset=_dataset(page), epochs=page.p.figure6_epochs)
    return [r for r in page.rows("figure6", cells) if r["status"] == "ok"]


def figure6(page, key: str, title: str, yaxis: str | None = None):
    """Figure 6's runs: history ``key`` per epoch, one line per gamma and seed."""

    kw = {} if yaxis is None else {"yaxis": yaxis}
    label = lambda r: f"gamma={r['config']['gamma']:g}, seed {r['seed']}"  # noqa: E731
    return plots.history_lines(figure6_rows(page), key, title, label=label, **kw)


def figure6_shares(page) -> pd.DataFrame:
    """Figure 6's runs: accuracy, KL and loss shares in their final epoch."""
    return summary_table(mvae_frame(figure6_rows(page), ["gamma", "lsdim"]), ["gamma", "lsdim"])


def findings(page):
    """Per objective: whether Table 4's and the alternating MetricVAE's posteriors collapse, claim 6's verdict, and
    how far Table 4 lies from the paper's (Markdown, from the rows)."""

    t4 = {o: mvae_frame(table4(page, o)[2], ["gamma", "lsdim"]) for o in OBJECTIVES}
    alt = {o: mvae_frame(alternating_rows(page, o), ["loss", "pl_pct"]) for o in OBJECTIVES}
    src = scorecard.Sources(page.results, page.profile, "test-cv", True, page.seeds)
    six = {o: scorecard.alternating_metricvae_at_chance(src, o) for o in OBJECTIVES}
    agreements = {o: scorecard.table_agreement(table4(page, o)[3]) for o in OBJECTIVES}
    lines = (
        [f"- {collapse_sentence(t4[o], f'Table 4, {NAMES[o]}', ['gamma'])}" for o in OBJECTIVES]
        + [f"- {collapse_sentence(alt[o], f'The alternating MetricVAE, {NAMES[o]}', ['loss'])}" for o in OBJECTIVES]
        + [
            f"- Claim 6 (the alternating MetricVAE at chance) under {NAMES[o]}: **{six[o]['verdict']}** "
            f"({six[o]['evidence']})."
            for o in OBJECTIVES
            if six[o] is not None
        ]
        + [f"- {agreement_sentence(agreements)}"]
    )
    return Markdown("\n".join(lines))


def figure(f: pd.DataFrame, title: str) -> go.Figure:
    """kNN accuracy against the metric share asked for, one line per labelled percentage (mean ± sd over seeds),
    a panel per protocol; DML (dashed) and the VAE alone (dotted) at each percentage as reference lines."""
    fig = make_subplots(
        rows=1, cols=len(PROTOCOLS), subplot_titles=list(PROTOCOLS), shared_yaxes=True, horizontal_spacing=0.06
    )
    pcts = sorted(f.pl_pct.unique())
    colours = {p: f"hsl({(i * 85) % 360}, 65%, 42%)" for i, p in enumerate(pcts)}
    label = lambda s: f"{s:.0%}"  # noqa: E731  the shares, evenly spaced: 1 %, 10 %, 50 %, 90 %
    ticks = [label(s) for s in grids.BALANCE_SHARES]
    for col, p in enumerate(PROTOCOLS, start=1):
        for pct in pcts:
            at = f[f.pl_pct == pct]
            mv = at[at.share.notna()].groupby("share")[p].agg(["mean", "std", "size"]).reset_index()
            name = f"{pct:g} % labelled"
            fig.add_scatter(
                x=[label(s) for s in mv["share"]],
                y=mv["mean"],
                mode="lines+markers",
                name=name,
                legendgroup=name,
                showlegend=col == 1,
                line=dict(color=colours[pct]),
                error_y=dict(type="data", array=mv["std"].fillna(0), visible=True, thickness=1),
                customdata=mv["size"],
                row=1,
                col=col,
                hovertemplate=f"{name}<br>share %{{x}}<br>kNN %{{y:.3f}} (%{{customdata}} seeds)<extra></extra>",
            )
            for ref, dash in ((DML, "dash"), (VAE, "dot")):
                v = at[at.line == ref][p]
                if len(v):
                    fig.add_scatter(
                        x=[ticks[0], ticks[-1]],
                        y=[v.mean()] * 2,
                        mode="lines",
                        legendgroup=name,
                        name=f"{ref}, {pct:g} %",
                        showlegend=False,
                        row=1,
                        col=col,
                        line=dict(color=colours[pct], dash=dash, width=1),
                        hovertemplate=f"{ref}, {pct:g} %: %{{y:.3f}} ({len(v)} seeds)<extra></extra>",
                    )
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=ticks, title_text="share at the start")
    fig.update_yaxes(title_text="kNN accuracy", row=1, col=1)
    fig.update_layout(
        title=dict(text=title, font_size=13),
        height=520,
        margin=dict(t=80, l=60, r=20),
        legend=dict(
            orientation="h",
            y=-0.2,
            x=0,
            title=dict(text="solid: MetricVAE; dashed: DML; dotted: the VAE alone", side="top"),
        ),
    )
    return fig


# The MetricVAE page's balance section: each function takes the page (pages.Page)
@cached
def page_rows(page) -> list[dict]:
    """The balance grid's rows on the page's dataset (trained first when missing)."""
    return page.rows("balance", grids.cells("balance", dataset=page.p.dataset or "mnist"))


def page_figure(page) -> go.Figure:
    """kNN accuracy against the metric term's share (:func:`figure`) of the page's balance runs."""
    return figure(
        frame(page_rows(page)),
        f"kNN accuracy against the metric term's share (MetricVAE, joint, lsdim 10; {page.profile}, seeds "
        f"{page.seed_list})",
    )


def page_answer(page) -> str:
    """What the balance runs say (Markdown text): the answer under each protocol and the course of the share."""
    f = frame(page_rows(page))
    return (
        "\n".join(f"- {answer(f, p)}" for p in PROTOCOLS)
        + f"\n\n{course_sentence(f)} The derived gamma, and the metric term's share of the loss in the first and the "
        "last epoch (means over the seeds):"
    )


def shares_table(page):
    """Per share and labelled percentage: the derived gamma and the metric term's share of the loss in the first and
    the last epoch (means over the seeds), formatted."""
    f = frame(page_rows(page))
    means = f[f.share.notna()].groupby(["share", "pl_pct"])[["gamma", "first epoch share", "last epoch share"]].mean()
    return means.style.format({"gamma": "{:.3g}", "first epoch share": "{:.1%}", "last epoch share": "{:.1%}"})


def answer_box(page):
    """The box the page opens with (``blocks.claims_answer``): our numbers against the paper's and the
    scorecard's verdicts on claims 6-9 on the alternating MetricVAE, Table 4 and Figure 6."""
    return blocks.claims_answer(page, (6, 7, 8, 9), (4,))
