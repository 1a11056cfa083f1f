"""The paper's tables (dmlvae.experiments.paper): the grids they define, every cell compared."""

import fakes
import numpy as np
import pytest

from dmlvae.analysis import tables
from dmlvae.experiments import paper, sweep


def test_table_grids_match_the_paper():
    sizes = {t: len(paper.grid(t)) for t in paper.TABLES}
    assert sizes == {1: 30, 2: 30, 3: 42, 4: 15}
    models = [c["model"] for c in paper.grid(1)]
    assert models.count("dml") == 6 and models.count("dml_autoencoder") == 24
    t4 = paper.grid(4)
    assert {c["gamma"] for c in t4 if c["model"] == "mvae"} == {0.0, 2.0, 5.0, 10.0}
    assert {c["pl_pct"] for c in t4} == {100.0}


@pytest.mark.parametrize("table", paper.TABLES)
def test_every_paper_cell_is_in_the_comparison(table, tmp_path):
    f = tmp_path / "r.jsonl"
    sweep.sweep(table, "smoke", 2, f, dataset="digits", progress=False, run_fn=fakes.diverging_at_half)
    cmp = tables.table(table, f)
    published = paper.paper_table(table)
    assert len(cmp) == len(published)
    assert (cmp.paper.values == published.value.values).all()
    ok = cmp[~((cmp.model == "dml_autoencoder") & (cmp.alpha == 0.5))]
    acc = ok[ok.metric == "knn_acc"]
    assert (acc.n_seeds == 2).all() and np.allclose(acc.ours_mean, 0.55) and np.allclose(acc.ours_sd, np.sqrt(0.005))
    assert np.allclose(acc["diff"], acc.ours_mean - acc.paper)
    wide = paper.layout(cmp)
    assert wide.notna().sum().sum() == len(cmp)  # every cell placed once in the paper's layout
    assert 'class="dmlvae-compare"' in paper.styled_layout(cmp).to_html()
