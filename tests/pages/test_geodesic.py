"""Page 10's back-end (dmlvae.pages.geodesic), called as the page calls it on the shipped rows."""

import fakes
import pytest
import pandas as pd

from dmlvae import pages
from dmlvae.experiments import grids


@pytest.fixture(scope="module")
def page():
    """The page on the shipped rows, once for this file's tests (its back-end's caches are kept by it)."""
    return fakes.shipped_page("10_geodesic")


def test_every_call_the_page_makes_returns_what_it_shows(page):
    out = fakes.run_page_calls(page, "geodesic")
    assert len(out) == 4
    assert isinstance(out["pages.geodesic.geodesic_differences(page)"], pd.DataFrame)


def test_the_runs_are_every_variant_at_every_seed_and_percentage_of_the_grid(page):
    runs = pages.geodesic.geodesic_runs(page)
    p = page.p
    cells = grids.cells("geodesic", dataset=p.dataset or "mnist", lsdim=p.lsdim, alpha=p.alpha, segments=p.segments)
    assert len(runs) == len(cells) * len(page.seed_list)
    assert set(runs.variant) == set(pages.geodesic.GEODESIC_ORDER)
    assert sorted(set(runs.seed)) == page.seed_list


def test_the_answer_box_counts_the_paired_differences_against_each_euclidean_loss(page):
    d = pages.geodesic.geodesic_differences(page)
    box = pages.geodesic.answer_box(page).data
    for against, g in d.groupby("against"):
        better, worse = int((g.verdict == "better").sum()), int((g.verdict == "worse").sum())
        assert f"\u201c{against}\u201d, the geodesic loss is better in {better}, worse in {worse}" in box
