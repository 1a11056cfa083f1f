"""Page 03's back-end (dmlvae.pages.priors), called as the page calls it on the shipped rows, without a notebook."""

import json

import fakes
import pytest
import pandas as pd
from IPython.display import Markdown

from dmlvae import pages


@pytest.fixture(scope="module")
def page():
    """The page on the shipped rows, once for this file's tests (its back-end's caches are kept by it)."""
    return fakes.shipped_page("03_priors")


def test_every_call_the_page_makes_returns_what_it_shows_and_trains_nothing(page):
    before = page.results.stat().st_size
    out = fakes.run_page_calls(page, "priors")
    assert len(out) == 9
    assert "Claim 4, " in out["pages.priors.answer_box(page)"].data
    assert isinstance(out["pages.priors.mu_and_z(page)"], pd.DataFrame)
    assert isinstance(out["pages.priors.kl_outcome(page)"], Markdown)
    assert page.results.stat().st_size == before


def test_mu_and_z_counts_and_averages_the_stored_table3_runs(page):
    """Each (model, lsdim) cell: its runs counted, and its mean accuracy on mu, straight from the results file."""
    table = pages.priors.mu_and_z(page)
    used = pages.priors.page_dataset(page)
    rows = [json.loads(line) for line in page.results.read_text().splitlines() if line.strip()]
    rows = [
        r
        for r in rows
        if r.get("table") == 3
        and r.get("profile") == "paper"
        and r["status"] == "ok"
        and r["config"]["dataset"] == used
        and r["config"]["model"] != "dml"
        and r["config"]["seed"] in page.seed_list
    ]
    for (model, lsdim), cell in table.iterrows():
        mine = [r for r in rows if r["config"]["model"] == model and r["config"]["lsdim"] == lsdim]
        assert cell["runs"] == len(mine)
        mean = sum(r["metrics"]["knn_acc"] for r in mine) / len(mine)
        assert cell["mu"].startswith(f"{mean:.3f}")


def test_the_kl_outcome_names_the_centre_when_the_paper_kl_runs_sit_there(page):
    rows = [r for r in pages.priors.figure5_rows(page) if r["config"].get("kl") == "paper"]
    text = pages.priors.kl_outcome(page).data
    assert f'The {len(rows)} `kl="paper"` runs' in text
