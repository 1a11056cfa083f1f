"""Page 07's back-end (dmlvae.pages.scorecard), called as the page calls it on the shipped rows."""

import fakes
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
    assert len(out) == 11 and isinstance(out["pages.scorecard.sources(page)"], Markdown)


def test_the_verdicts_are_the_scorecards_on_the_same_rows(page):
    *said, table = pages.scorecard.verdicts(page)
    shown = table.data
    assert said[0].startswith("**")  # the counts sentence first
    assert shown.equals(scorecard.verdict_table(scorecard.all_claims(page.results, page.profile, page.seeds)))


def test_the_rules_list_every_registered_claim_from_its_docstring(page):
    text = pages.scorecard.rules(page).data
    lines = text.splitlines()
    assert [int(line.split("**Claim ")[1].split("**")[0]) for line in lines] == [c.number for c in scorecard.CLAIMS]
    assert all(" ".join(c.rule.split()) in text for c in scorecard.CLAIMS)
