"""Page 04's back-end (dmlvae.pages.mvae)."""

import fakes
import pytest

from dmlvae.pages import mvae


@pytest.fixture(scope="module")
def page():
    """The page on the shipped rows, once for this file's tests (its back-end's caches are kept by it)."""
    return fakes.shipped_page("04_mvae")


def test_figure_has_a_line_per_percentage_and_the_references(tmp_path):
    fig = mvae.figure(fakes.balance_frame(tmp_path, fakes.helpful_at_half), "t")
    solid = [t for t in fig.data if t.line.dash is None]
    assert len(solid) == 4 * 2  # 4 percentages x 2 protocols
    assert list(solid[0].x) == ["1%", "10%", "50%", "90%"]
    assert len([t for t in fig.data if t.line.dash == "dash"]) == 8 and fig.layout.xaxis.type == "category"
    dml = next(t for t in fig.data if t.name == "DML, 0.01 %")
    assert list(dml.y) == pytest.approx([0.502, 0.502])  # the mean over seeds 0, 1, 2


def test_every_call_the_page_makes_returns_what_it_shows_and_trains_nothing(page):
    before = page.results.stat().st_size
    out = fakes.run_page_calls(page, "mvae")
    assert len(out) == 17 and page.results.stat().st_size == before


def test_claim_6_in_the_findings_is_the_scorecards_verdict_under_each_objective(page):
    from dmlvae.analysis import scorecard

    text = mvae.findings(page).data
    src = scorecard.Sources(page.results, page.profile, "test-cv", True, page.seeds)
    for objective in mvae.OBJECTIVES:
        claim = scorecard.alternating_metricvae_at_chance(src, objective)
        assert f"under {mvae.NAMES[objective]}: **{claim['verdict']}**" in text
