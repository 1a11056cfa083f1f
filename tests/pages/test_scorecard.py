"""Page 07's back-end (dmlvae.pages.scorecard), called as the page calls it on the shipped rows."""

import fakes
import pandas as pd
import pytest
from IPython.display import Markdown

from dmlvae import pages
from dmlvae.analysis import scorecard


@pytest.fixture(scope="module")
def page():
    """The page on the shipped rows, once for this file's tests (its back-end's caches are kept by it)."""
    return fakes.shipped_page("07_scorecard")


def test_every_call_the_page_makes_returns_what_it_shows(page):
    out = fakes.run_page_calls(page, "scorecard")
    assert len(out) == 16 and isinstance(out["pages.scorecard.sources(page)"], Markdown)


def test_the_verdicts_are_the_scorecards_on_the_same_rows(page):
    *said, table = pages.scorecard.verdicts(page)
    shown = table.data
    assert said[0].startswith("**")  # the counts sentence first
    cards = scorecard.all_claims(page.results, page.profile, page.seeds)
    assert shown.drop(columns="cells").equals(scorecard.verdict_table(cards))
    # each claim with cells links to its own forest plot, whose anchor the forest section sets
    with_cells = set(scorecard.cell_frame(cards).claim)
    forest = "".join(p for p in pages.scorecard.forest(page) if isinstance(p, str))
    for claim, link in zip(shown.index.get_level_values("claim"), shown["cells"]):
        if claim in with_cells:
            anchor = pages.scorecard.forest_anchor(claim)
            assert link == f'<a href="#{anchor}">its cells</a>' and f'<a id="{anchor}"></a>' in forest
        else:
            assert link == "-"
    assert len(with_cells) >= 5 and pages.scorecard.forest_anchor("7 (Table 4, pixel-mean)") == (
        "forest-7-table-4-pixel-mean"
    )
    figures = [p for p in pages.scorecard.forest(page) if hasattr(p, "to_plotly_json")]
    assert len(figures) == len(with_cells)


def test_the_answer_box_counts_the_verdict_table(page):
    table = scorecard.verdict_table(scorecard.all_claims(page.results, page.profile, page.seeds))
    box = pages.scorecard.answer_box(page).data
    assert scorecard.counts_sentence(table) in box
    both = [
        k
        for k, r in zip(table.index.get_level_values("claim"), table[list(scorecard.PROTOCOLS)].values)
        if set(r) == {"reproduced"}
    ]
    assert both and all(f"claim {k}" in box.split("Reproduced under neither")[0] for k in both)


def test_the_rules_list_every_registered_claim_from_its_docstring(page):
    text = pages.scorecard.rules(page).data
    lines = text.splitlines()
    assert [int(line.split("**Claim ")[1].split("**")[0]) for line in lines] == [c.number for c in scorecard.CLAIMS]
    assert all(" ".join(c.rule.split()) in text for c in scorecard.CLAIMS)


def test_the_page_names_each_family_and_judges_every_at_chance_claim_on_one_latent(page):
    fam = pages.scorecard.family_table(page)
    assert fam.index.equals(pd.MultiIndex.from_frame(pages.scorecard.cards(page)[["claim", "protocol"]]))
    assert fam.loc[("7 (Table 4)", "test-cv"), "family"].startswith("4 pooled differences")
    chance = pages.scorecard.chance_table(page)
    assert set(chance["judged on"]) == {scorecard.CHANCE_LATENT}
    assert {c.split(" ")[0] for c, _ in chance.index} == {"4", "6"}
    assert chance["other latent"].str.startswith("z: ").all()
    text = pages.scorecard.method(page).data
    assert scorecard.kinds_text() in text and "Holm" in text


def test_a_stand_in_table_is_not_compared_with_the_paper(page):
    t = pages.scorecard.table_agreements(page)
    stand_ins = {f"Table {k}" for k, d in pages.scorecard.table_datasets(page).items() if d}
    assert stand_ins  # the shipped rows run Tables 2 and 3 on a stand-in
    for name, row in t.iterrows():
        assert row["paper inside ours ± 2 sd"].startswith("not comparable") == (name in stand_ins), name


def test_each_claim_is_shown_beside_the_paper_s_words(page):
    from dmlvae.experiments import quotes

    t = pages.scorecard.quotes_table(page)
    assert list(t.index) == [c.number for c in scorecard.CLAIMS]
    assert quotes.quote("mvae-chance").text in t.loc[6, "the paper's words"]
    assert t.loc[1, "as the scorecard states it"] == "the DML autoencoder beats DML at 0.01 % and 0.1 % labels"
