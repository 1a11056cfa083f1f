"""The scorecard page: each function takes the page (``pages.Page`` with the scorecard page's parameters) and shows
one table, figure or paragraph of the paper's claims, their verdicts and the causes of the gaps, from the rows (the
runs they need trained first when missing, or, under the auto profile, named)."""

from __future__ import annotations

import re
import warnings

import pandas as pd
from IPython.display import Markdown

from dmlvae.analysis import scorecard
from dmlvae.experiments import grids, paper, profiles, quotes, sweep
from dmlvae.experiments.profiles import PAPER_SEEDS
from dmlvae.pages import blocks, plots
from dmlvae.pages.page import cached

# the book's grids the claims read besides the paper's four tables (figure5 on Table 3's dataset)
SOURCE_GRIDS = (
    ("mvae-alternating", {}),
    ("figure6", {}),
    ("mvae-alternating", {"recon": "pixel-mean"}),
    ("table4-objective", {}),
)


@cached
def table_datasets(page) -> dict:
    """{table: the dataset it runs on, None: the paper's}: the stand-in where OrganAMNIST cannot be loaded."""
    return {t: page.table_dataset(t)[0] for t in paper.TABLES}


@cached
def sources(page):
    """Trains what the claims read (the paper's tables, Figure 5, the alternating MetricVAE under both objectives,
    Figure 6, Table 4 under the literal objective) when missing; returns (Markdown) the profile, seeds, results and
    stand-ins behind the verdicts."""
    datasets = table_datasets(page)
    for t in paper.TABLES:
        page.comparison(t)
    for name, params in (("figure5", {"dataset": datasets[3] or "organamnist"}), *SOURCE_GRIDS):
        page.rows(name, grids.cells(name, **params), keep_latents=name == "figure5")
    stand_ins = [f"Table {t}: `{d}`" for t, d in datasets.items() if d]
    return Markdown(
        f"Profile `{page.profile}`, seeds {page.seed_list}; results `{page.results}`. "
        + (f"Stand-in datasets (not comparable with the paper's numbers): {', '.join(stand_ins)}." if stand_ins else "")
    )


@cached
def cards(page) -> pd.DataFrame:
    """Every claim under every protocol with its verdict and evidence (``scorecard.all_claims``)."""
    sources(page)
    return scorecard.all_claims(page.results, page.profile, page.seeds)


def answer_box(page):
    """The box the page opens with: the verdict counts under each protocol, then the claims reproduced under both
    protocols and those reproduced under neither (each with its table and stand-in), from the verdicts."""
    c = cards(page)
    table = scorecard.verdict_table(c)
    head = scorecard.counts_sentence(table)
    verdicts = table[list(scorecard.PROTOCOLS)]
    claims = table.index.get_level_values("claim")
    both = [k for k, row in zip(claims, verdicts.itertuples(index=False)) if set(row) == {"reproduced"}]
    neither = [k for k, row in zip(claims, verdicts.itertuples(index=False)) if set(row) == {"not reproduced"}]
    listed = lambda ks: "; ".join(f"claim {k}" for k in ks) or "none"  # noqa: E731
    return blocks.answer_box(
        [head, f"Reproduced under both protocols: {listed(both)}.", f"Reproduced under neither: {listed(neither)}."]
    )


def forest_anchor(claim: str) -> str:
    """The id of claim ``claim``'s forest plot on this page ("forest-7-table-4-pixel-mean")."""
    return "forest-" + re.sub(r"[^a-z0-9]+", "-", claim.lower()).strip("-")


def verdicts(page) -> list:
    """The parts the page shows (Page.show), in order: how many claims are reproduced, partly or not, then the
    colour-coded verdict table, each claim with a link to its cells in the forest plots (where it has cells)."""
    shown = []  # what the page shows, in order (Page.show displays it)
    table = scorecard.verdict_table(cards(page))
    shown.append(scorecard.counts_sentence(table))
    with_cells = set(scorecard.cell_frame(cards(page)).claim)
    claims = table.index.get_level_values("claim")
    table = table.assign(
        cells=[f'<a href="#{forest_anchor(c)}">its cells</a>' if c in with_cells else "-" for c in claims]
    )
    return [*shown, scorecard.styled_verdicts(table)]


def evidence(page) -> list:
    """The parts the page shows (Page.show), in order: where the protocols disagree, then every claim's verdict and
    evidence under each protocol."""
    shown = []  # what the page shows, in order (Page.show displays it)
    c = cards(page)
    differ = [k for k, g in c[c.protocol.isin(scorecard.PROTOCOLS)].groupby("claim") if g.verdict.nunique() > 1]
    shown.append(
        "**Where the protocols disagree:** " + (", ".join(f"claim {k}" for k in differ) if differ else "nowhere.")
    )
    return [*shown, c[["claim", "protocol", "verdict", "evidence"]].set_index(["claim", "protocol"])]


def cells(page) -> list:
    """The parts the page shows (Page.show), in order: how many cells lie on the other side of their claim (and
    which), then every cell's verdict."""
    shown = []  # what the page shows, in order (Page.show displays it)
    table = scorecard.cell_verdicts(cards(page))
    against = table[table["this cell"] == "against"]
    shown.append(
        f"Cells on the other side of a claim: {len(against)} of {len(table)}"
        + (
            ""
            if not len(against)
            else ": " + "; ".join(f"claim {r.claim} ({r.protocol}), {r.cell}: {r._5}" for r in against.itertuples())
        )
        + "."
    )
    return [*shown, table.set_index(["claim", "protocol", "difference", "cell"])]


def forest(page) -> list:
    """The parts the page shows (Page.show), in order: the forest plot's caption then the plot: every cell's seed-
    paired difference, 95 % interval."""
    shown = []  # what the page shows, in order (Page.show displays it)

    shown.append(
        f"Every cell as a forest plot (profile `{page.profile}`): each difference is oriented so that positive "
        "is the claim's side (shaded); each bar is the cell's own 95 % t-interval, uncorrected; hover for the "
        "difference a row measures and its p, raw and Holm-adjusted within its family (the verdicts use the "
        "adjusted p). A label names the stand-in a claim ran on. One plot per claim: the verdict table's "
        "*its cells* link leads to it."
    )
    frame = scorecard.cell_frame(cards(page))
    for claim, g in frame.groupby("claim", sort=False):
        shown.append(f'<a id="{forest_anchor(claim)}"></a>')
        shown.append(plots.forest(g, f"Claim {claim}: seed-paired differences, 95 % intervals"))
    return shown


def profile_agreement(page) -> list:
    """The quick profile's verdicts beside the paper profile's, with the ones that differ flagged (the other profile's
    from the shipped rows, or the quick rows; nothing is trained here), after its sentence (Page.show); only a
    sentence when there is none."""
    shown = []  # what the page shows, in order (Page.show displays it)
    shipped, stand_in = profiles.SHIPPED, page.p.stand_in
    agreement = None
    if page.profile != "paper" and shipped.exists():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # claims the shipped rows cannot score yet
            paper_cards = scorecard.all_claims(shipped, "paper")
        agreement = scorecard.against_paper_profile(
            cards(page), paper_cards, scorecard.claim_runs(shipped, 3, stand_in)
        )
    elif page.profile == "paper":
        # this page is the paper profile: the miniature's verdicts come from the quick rows, a quick build's own or
        # the shipped copy (nothing is trained for this section)
        quick_results = scorecard.quick_rows_file(profiles.results_path("quick"))
        agreement = scorecard.quick_against_paper(
            cards(page), quick_results, stand_in=stand_in, runs=scorecard.claim_runs(page.results, page.seeds, stand_in)
        )
        shown.append(
            f"This page shows the paper profile itself; `{quick_results}` holds no quick run to set beside it. `make "
            "book PROFILE=quick` (or `python -m dmlvae sweep --table N --profile quick`) stores them, and this "
            "section then flags every claim the miniature does not keep."
            if agreement is None
            else f"The quick profile's verdicts: `{quick_results}`."
        )
    if agreement is None:
        return shown
    flagged = agreement[agreement.agree == scorecard.DISAGREE]
    shown.append(
        f"Verdicts that differ from the paper profile's: {len(flagged)} of {int((agreement.agree != '-').sum())} that "
        "both profiles can score"
        + (
            ": " + ", ".join(f"claim {c} ({p})" for c, p in zip(flagged.claim, flagged.protocol))
            if len(flagged)
            else ""
        )
        + "."
    )
    return [*shown, scorecard.styled_agreement(agreement)]


def table_agreements(page) -> pd.DataFrame:
    """Per paper table: how many numbers were compared and how close ours are (``scorecard.table_agreement``); a
    table run on a stand-in says "not comparable" in its own row."""
    datasets = table_datasets(page)
    return pd.DataFrame(
        {f"Table {t}": scorecard.table_agreement(page.comparison(t), datasets[t]) for t in paper.TABLES}
    ).T


def gap(page):
    """Table 1's gap to the paper in one sentence (Markdown)."""
    return Markdown(scorecard.gap_sentence(page.comparison(1)))


@cached
def _cause_source(page):
    """(results file, seeds) of the causes grid: the page's under the paper profile (trained here), else the shipped
    rows' (as many as exist: the causes only mean something at the paper's scale)."""
    if page.profile == "paper":
        cfgs = profiles.profile_configs(grids.cells("causes"), "paper", page.seeds, grid="causes", device=page.device)
        sweep.run_configs(
            "causes", "paper", cfgs, page.results, progress=False, backend=page.backend, may_train=page.may_train
        )
        return page.results, page.seeds
    return profiles.SHIPPED, PAPER_SEEDS


@cached
def causes_frame(page) -> pd.DataFrame:
    results, seeds = _cause_source(page)
    return scorecard.causes_table(results, "paper", seeds) if results.exists() else pd.DataFrame()


def causes(page) -> list:
    """The parts the page shows (Page.show), in order: how many cause runs are stored, then each Table 1 cell's kNN
    accuracy under each cause (no table when none is stored)."""
    shown = []  # what the page shows, in order (Page.show displays it)
    results, seeds = _cause_source(page)
    table = causes_frame(page)
    want = len(grids.cells("causes")) * len(profiles.seeds_arg(seeds))
    have = int(table[table.kind == "Table 1 cell"].seeds.sum()) if len(table) else 0
    shown.append(
        f"Profile `paper` (`{results}`), seeds {profiles.seeds_arg(seeds)}: {have} of {want} runs so far"
        + (
            ""
            if have == want
            else " (the sweep resumes: `python -m dmlvae sweep --grid causes --profile paper --seeds 3`)"
        )
        + "; kNN accuracy, test-cv, mean over seeds."
    )
    return [*shown, table.drop(columns=["kind"]).round(3).set_index(["table", "cell", "cause"]) if len(table) else None]


def cause_findings(page):
    """Which causes move our numbers toward the paper's, and where training stops by itself (Markdown)."""
    text = "**Which causes move our numbers toward the paper's**, table by table (" + _moves_text(causes_frame(page))
    results, seeds = _cause_source(page)
    stops = scorecard.stopped_training(results, "paper", seeds=seeds) if results.exists() else pd.DataFrame()
    if len(stops):
        text += (
            "\n\n**Where training stops by itself:** "
            + "; ".join(
                f"{r.cell}: the training loss is exactly 0 from epoch {r['zero from epoch']} of {r.epochs} in all "
                f"{r.seeds} seeds"
                for _, r in stops.iterrows()
            )
            + (
                ". A zero loss has a zero gradient, so after Adam's momentum dies out the weights stay where they "
                "are and fewer epochs cannot change these cells (for DML: every triplet of the few labelled images "
                "already meets the margin)."
            )
        )
    return Markdown(text)


def _moves_text(table: pd.DataFrame) -> str:
    """Each cause's move toward the paper per table (the mean over that table's cells; never across tables, whose
    moves can have opposite signs), and the largest per table; the tail of :func:`cause_findings`' sentence."""
    if not len(table):
        return "no cause has been run at the paper's scale yet)."
    moves = table[table.cause != grids.CAUSES[0][0]].groupby(["table", "cause"], sort=False)["toward the paper"].mean()
    parts = []
    for t, m in moves.dropna().groupby(level=0, sort=False):
        m = m.droplevel(0)
        best = f"the largest: *{m.idxmax()}*" if m.max() > 0 else "none moves it toward the paper"
        parts.append(f"**{t}**: " + ", ".join(f"{c} {v:+.3f}" for c, v in m.items()) + f"; {best}")
    return "the mean over the table's cells each cause applies to): " + ". ".join(parts) + "."


def method(page):
    """How a verdict is decided (Markdown): one rule per kind of claim, generated from the registry
    (``scorecard.kinds_text``), the families within which Holm's correction is applied, and the latent of the
    at-chance claims."""
    return page.md(
        "One rule per kind of claim, the same for every claim of its kind:\n\n"
        + scorecard.kinds_text()
        + "\n\n**Multiplicity.** Each claim, under each protocol, is one *family* of tests: its pooled differences "
        "among themselves, and the cells they average over among themselves. Holm's correction is applied within "
        "each family; the tables below give every p raw and Holm-adjusted, and the verdicts use the adjusted ones. "
        f"**The at-chance claims** are judged on `{scorecard.CHANCE_LATENT}`, the latent every other claim and page "
        "of this book is scored on; the paper says only “We then take the latent points Z generated by the model "
        "and the corresponding labels Y” (Evaluation), so which latent it scored is our assumption. The sampled "
        "z's verdict, by the same rule, stands beside each."
    )


def quotes_table(page) -> pd.DataFrame:
    """Each claim as the scorecard states it beside the paper's own words (``quotes.CLAIM_QUOTES``), verbatim."""
    says = cards(page).drop_duplicates("claim").assign(number=lambda d: d.claim.str.extract(r"^(\d+)")[0].astype(int))
    said = says.drop_duplicates("number").set_index("number")["the paper says"]
    return pd.DataFrame(
        [
            {
                "claim": n,
                "as the scorecard states it": said.get(n, "-"),
                "the paper's words": " ".join(quotes.quote(k).md() for k in keys),
            }
            for n, keys in quotes.CLAIM_QUOTES.items()
        ]
    ).set_index("claim")


def family_table(page) -> pd.DataFrame:
    """Each claim's family of tests under each protocol, within which Holm's correction is applied."""
    return scorecard.families(cards(page)).set_index(["claim", "protocol"])


def chance_table(page) -> pd.DataFrame:
    """The at-chance claims under each protocol: the verdict on the judged latent and, by the same rule, on the
    other."""
    c = cards(page)
    c = c[c.rule == "at chance"].rename(columns={"latent": "judged on"})
    return c[["claim", "protocol", "judged on", "verdict", "other latent"]].set_index(["claim", "protocol"])


def rules(page):
    """The rule of every claim, claim by claim (Markdown), from the claim functions' docstrings
    (``dmlvae.analysis.scorecard.CLAIMS``): the page's list cannot drift from what decides the verdicts."""
    return page.md("\n".join(f"- **Claim {n}**: {' '.join(rule.split())}" for n, rule in scorecard.rules()))
