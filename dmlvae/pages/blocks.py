"""Blocks a page's Markdown is built from: the answer box that opens a result page, and a toggle that folds what a
reader opens on demand (a list of generated sentences, a long table). Both are HTML that the book's Markdown
renderer (CommonMark) passes through, with Markdown inside: each HTML line is its own block, separated from the
Markdown by blank lines."""

from __future__ import annotations

import html

import pandas as pd
from IPython.display import Markdown

from dmlvae.analysis import scorecard
from dmlvae.experiments import paper

ANSWER_TITLE = "What this page finds"


def answer_box(sentences, title: str = ANSWER_TITLE) -> Markdown:
    """The short box a result page opens with: ``sentences`` (two or three generated from the rows; empty ones
    dropped) under ``title``, as the book's theme draws a tip."""
    body = " ".join(s.strip() for s in sentences if s and s.strip())
    if not body:
        raise ValueError("an answer box needs at least one sentence")
    return Markdown(
        f'<div class="admonition tip dmlvae-answer">\n<p class="admonition-title">{html.escape(title)}</p>\n\n'
        f"{body}\n\n</div>"
    )


def toggle(summary: str, markdown: str) -> str:
    """``markdown`` (or an HTML table) folded behind a toggle whose closed line reads ``summary``."""
    return f'<details class="dmlvae-toggle">\n<summary>{html.escape(summary)}</summary>\n\n{markdown}\n\n</details>'


def _protocols_said(g: pd.DataFrame) -> str:
    """ "reproduced under `test-cv`, partly under `labelled-to-test`", "reproduced under both protocols", or the one
    verdict of a claim whose evidence needs no protocol."""
    if (g.protocol == "any").all():
        return g.verdict.iloc[0]
    verdicts = dict(zip(g.asked, g.verdict))
    if len(set(verdicts.values())) == 1:
        v = next(iter(verdicts.values()))
        return v + (
            (" under either protocol" if v == "not reproduced" else " under both protocols")
            if len(verdicts) > 1
            else ""
        )
    return ", ".join(f"{v} under `{p}`" for p, v in verdicts.items())


def _source(claim: str) -> str:
    """ "Table 3 (stand-in fashion-mnist)" from the claim "4 (Table 3; stand-in fashion-mnist)"."""
    inner = claim.split("(", 1)[1].rstrip(")") if "(" in claim else claim
    source, _, stand_in = inner.partition("; ")
    return source + (f" ({stand_in})" if stand_in else "")


def claims_answer(page, numbers, tables) -> Markdown:
    """The answer box of a page that reproduces paper ``tables`` and whose claims are ``numbers``: how far our
    numbers are from each table's (a stand-in's are not compared), then the scorecard's verdict on each claim
    under each protocol, from the rows (the page's missing runs trained first, as the page would)."""
    comparisons = {t: page.comparison(t) for t in tables}
    seeds = ", ".join(map(str, page.seed_list))
    parts = []
    for t, cmp in comparisons.items():
        stand_in = page.table_dataset(t)[0]
        if stand_in:
            parts.append(f"Table {t} ran on the stand-in {stand_in}: its numbers are not compared with the paper's.")
            continue
        a = paper.agreement(cmp)
        if len(a):
            row = a.iloc[0]
            parts.append(
                f"Against the paper's Table {t}: {int(row['numbers compared'])} numbers compared (seeds {seeds}), "
                f"mean |ours - paper| {row['mean |ours - paper|']:.3f}, {int(row['ours above paper'])} of ours "
                "above the paper's."
            )
    rows = pd.concat(
        [
            scorecard.claims(page.results, page.profile, p, seeds=page.seeds, numbers=numbers).assign(asked=p)
            for p in scorecard.PROTOCOLS
        ],
        ignore_index=True,
    )
    rows["number"] = rows.claim.str.extract(r"^(\d+)")[0]
    for number, claim in rows.groupby("number", sort=False):
        where = [f"{_protocols_said(g)} on {_source(c)}" for c, g in claim.groupby("claim", sort=False)]
        says = claim["the paper says"].iloc[0]
        parts.append(f"Claim {number}, {says}: " + "; ".join(where) + ".")
    return answer_box(parts)
