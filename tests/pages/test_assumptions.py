"""Page 06's back-end (dmlvae.pages.assumptions): the tagged defaults, the profiles, the routines' text."""

import dataclasses

import fakes
import pytest

from dmlvae import pages
from dmlvae.core import config, routines


@pytest.fixture(scope="module")
def page():
    """The page on the shipped rows, once for this file's tests (its back-end's caches are kept by it)."""
    return fakes.shipped_page("06_assumptions")


def test_every_call_the_page_makes_runs_and_each_defaults_table_keeps_its_origin(page):
    assert len(fakes.run_page_calls(page, "assumptions")) == 6
    fields = dataclasses.fields(config.RunConfig)
    for origin in ("assumption", "paper"):
        shown = pages.assumptions.defaults_table(page, origin).data
        tagged = [f.name for f in fields if f.metadata["origin"] == origin]
        assert list(shown.index) == tagged and tagged
    assert pages.assumptions.routines_text(page) == routines.__doc__


def test_the_errata_page_shows_both_readings_of_each_disputed_cell(page):
    from dmlvae.experiments import paper

    t = pages.assumptions.readings_table(page)
    assert list(t.columns) == ["thesis (the book uses it)", "PDF text"] and len(t) == len(paper.PDF_READINGS)
