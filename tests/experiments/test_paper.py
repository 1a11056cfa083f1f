"""The paper's tables (dmlvae.experiments.paper): the grids they define, every cell compared."""

from pathlib import Path

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


# --- every number of the paper's tables against the published PDF's extracted text (tests/data/paper.txt) ---


def _pdf_table_numbers(t: int) -> set[float]:
    """The numbers of Table ``t`` in the PDF's text: from its column header line to its caption (Table 4 in %)."""
    import re

    lines = (Path(__file__).resolve().parents[1] / "data" / "paper.txt").read_text().splitlines()
    cap = next(i for i, line in enumerate(lines) if re.match(rf"Fig\. \d+: Table {t}:", line))
    head = max(i for i, line in enumerate(lines[:cap]) if re.match(r"\s*(pl%|p%|Architecture)", line))
    return {round(float(x), 4) for line in lines[head + 1 : cap] for x in re.findall(r"-?\d+\.\d+", line)}


def _disagreements(t: int):
    """(numbers of paper_tables.csv absent from the PDF's table, 4-decimal numbers of the PDF's table that no cell
    of paper_tables.csv has)."""
    ref = paper.paper_table(t)
    ours = [round(v * (100 if t == 4 else 1), 4) for v in ref.value]
    pdf = _pdf_table_numbers(t)
    csv_only = {v for v in ours if v not in pdf and v != 0}  # the text writes 0 as "0" (no decimals)
    pdf_only = {x for x in pdf if x not in set(ours) and (t == 4 or len(f"{x:.4f}".rstrip("0").split(".")[1]) >= 3)}
    return csv_only, pdf_only


@pytest.mark.parametrize("t", paper.TABLES)
def test_every_table_number_agrees_with_the_pdf_text_or_is_listed_as_a_reading(t):
    csv_only, pdf_only = _disagreements(t)
    readings = [r for r in paper.PDF_READINGS if r.table == t]
    absent = {v for k, v in paper.NOT_IN_PDF_TEXT if k == t}
    # a reading's thesis number is what paper_tables.csv holds at that cell
    ref = paper.paper_table(t)
    for r in readings:
        at = ref[(ref.model == r.model) & (ref.pl_pct == r.pl_pct) & (ref.lsdim == r.lsdim) & (ref.metric == r.metric)]
        at = at[at.alpha.isna()] if r.alpha is None else at[at.alpha == r.alpha]
        assert len(at) == 1 and at.value.iloc[0] == pytest.approx(r.thesis), r
        assert round(r.pdf, 4) in _pdf_table_numbers(t), r  # and the PDF's text has the other number
    # every disagreement is listed, and nothing listed agrees
    assert csv_only == {round(r.thesis, 4) for r in readings if round(r.thesis, 4) in csv_only} | absent
    assert csv_only >= absent
    assert pdf_only <= {round(r.pdf, 4) for r in readings}


def test_the_table_check_finds_the_table3_cell_read_one_digit_apart():
    """Table 3's DML cell at 0.1 %, lsdim 4: the thesis's 0.2723 against the PDF text's 0.3723."""
    csv_only, pdf_only = _disagreements(3)
    assert 0.2723 in csv_only and 0.3723 in pdf_only
    assert 0.1519 not in csv_only  # its AMI agrees in both


def test_the_errata_table_lists_both_readings_and_the_one_used():
    t = paper.readings_table()
    row = t.loc[("Table 3", "dml, 0.1 %, lsdim 4, knn_acc")]
    assert row["thesis (the book uses it)"] == 0.2723 and row["PDF text"] == 0.3723
    assert len(t) == len(paper.PDF_READINGS)
