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
    assert list(out) == [
        "pages.autoencoder.answer_box(page)",
        "pages.autoencoder.table2_dml_is_its_autoencoder(page)",
        "pages.autoencoder.agreement(page)",
    ]
    assert set(out["pages.autoencoder.agreement(page)"].index) == {1, 2}
    box = out["pages.autoencoder.answer_box(page)"].data  # the agreement and the scorecard's claims 1-3, in words
    agree = out["pages.autoencoder.agreement(page)"].loc[1]
    assert f"{int(agree['numbers compared'])} numbers compared" in box
    assert f"mean |ours - paper| {agree['mean |ours - paper|']:.3f}" in box
    assert "Table 2 ran on the stand-in fashion-mnist" in box
    assert all(f"Claim {n}, " in box for n in (1, 2, 3)) and "Claim 4" not in box


def test_the_guard_stops_the_page_when_the_papers_table_2_stops_supporting_it(monkeypatch, page):

    def fails(tol=1e-9):
        raise AssertionError("Table 2's DML column differs from its alpha = 1 rows")

    monkeypatch.setattr(statements, "paper_table2_dml_is_its_autoencoder", fails)
    with pytest.raises(AssertionError, match="Table 2"):
        pages.autoencoder.table2_dml_is_its_autoencoder(page)
