"""Page 05's back-end (dmlvae.pages.beyond), called as the page calls it on the shipped rows."""

import fakes
import pytest
import pandas as pd

from dmlvae import pages
from dmlvae.analysis import beyond, realistic


@pytest.fixture(scope="module")
def page():
    """The page on the shipped rows, once for this file's tests (its back-end's caches are kept by it)."""
    return fakes.shipped_page("05_beyond", paper_seeds=pages.beyond.PAPER_SEEDS)


def test_every_call_the_page_makes_returns_what_it_shows_and_trains_nothing(page):
    before = page.results.stat().st_size
    out = fakes.run_page_calls(page, "beyond")
    assert len(fakes.page_calls("05_beyond", "beyond")) == 14 and len(out) == 13  # page_datasets is called twice
    assert page.results.stat().st_size == before


def test_the_answer_box_gives_each_protocols_answer_and_the_targets_met(page):
    box = pages.beyond.answer_box(page).data
    for sentence in beyond._sentences(pages.beyond.page_differences(page)):
        assert sentence in box
    met, judged, seeds = realistic.targets_met_for(page.results)
    assert f"meets {met} of its {judged} targets (seeds {seeds})" in box
    heatmaps = pages.beyond.difference_heatmaps(page)
    assert [f.layout.title.text for f in heatmaps] == [f"Minus DML, {p}" for p in beyond.PROTOCOLS]


def test_the_differences_are_the_seed_paired_ones_of_the_page_runs(page):
    runs = pages.beyond.page_runs(page)
    assert sorted(set(runs.seed)) == list(range(pages.beyond.PAPER_SEEDS))
    diffs = pages.beyond.page_differences(page)
    for protocol in beyond.PROTOCOLS:
        assert diffs[protocol].equals(beyond.versus_dml(runs, protocol))


def test_the_anchors_table_holds_every_published_anchor():
    table = pages.beyond.anchors_table().data
    assert isinstance(table, pd.DataFrame) and len(table) == len(realistic.anchors())


def test_the_levers_section_pairs_the_stored_lever_runs_with_the_method_and_names_the_untried(page):
    from dmlvae.experiments import store

    shown = pages.beyond.levers_section(page)
    rows = store.rows_for(page.results, "graph-levers", "paper", realistic.configs(grid="graph-levers"))
    total = len(realistic.configs(grid="graph-levers"))
    assert shown[0].data == realistic.progress_sentence(len(rows), total, grid="graph-levers")
    tried = set(realistic.frame(rows).contender) if rows else set()
    assert shown[-1].data == realistic.untried_sentence(tried)
    if rows:
        base = realistic.frame(store.rows_for(page.results, "graph", "paper", realistic.configs()))
        table = realistic.lever_table(realistic.frame(rows), base)
        assert shown[1].data.equals(table[pages.beyond.LEVERS_SHOWN])
        assert shown[2].data == "\n".join(f"- {s}" for s in realistic.lever_sentences(table))
    else:
        assert len(shown) == 2
