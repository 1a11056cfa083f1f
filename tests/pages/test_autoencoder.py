"""Page 02's back-end (dmlvae.pages.autoencoder): its guard and its agreement table."""

import fakes
import pytest

from dmlvae import pages
from dmlvae.analysis import statements


@pytest.fixture(scope="module")
def page():
    """The page on the shipped rows, once for this file's tests (its back-end's caches are kept by it)."""
    return fakes.shipped_page("02_autoencoder")


def test_every_call_the_page_makes_runs_on_the_shipped_rows(page):
    out = fakes.run_page_calls(page, "autoencoder")
    assert list(out) == ["pages.autoencoder.table2_dml_is_its_autoencoder(page)", "pages.autoencoder.agreement(page)"]
    assert set(out["pages.autoencoder.agreement(page)"].index) == {1, 2}


def test_the_guard_stops_the_page_when_the_papers_table_2_stops_supporting_it(monkeypatch, page):

    def fails(tol=1e-9):
        raise AssertionError("Table 2's DML column differs from its alpha = 1 rows")

    monkeypatch.setattr(statements, "paper_table2_dml_is_its_autoencoder", fails)
    with pytest.raises(AssertionError, match="Table 2"):
        pages.autoencoder.table2_dml_is_its_autoencoder(page)
