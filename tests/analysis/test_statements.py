"""The book's sentence guards (dmlvae.analysis.statements) and generated sentences: each holds on the shipped data, and
fails (or changes) when fed data that contradicts it."""

import pandas as pd
import pytest

from dmlvae.analysis import objectives, paper_kl, scorecard, statements
from dmlvae.experiments import paper, profiles, store


def test_the_guards_hold_on_the_papers_tables():
    statements.paper_table3_at_chance()
    statements.paper_table2_dml_is_its_autoencoder()


def _patched(monkeypatch, table, change):
    real = paper.paper_table

    def fake(t=None):
        df = real(t)
        return change(df.copy()) if t == table else df

    monkeypatch.setattr(paper, "paper_table", fake)


def test_table3_guard_fails_when_a_prior_cell_leaves_chance(monkeypatch):
    def lift(df):
        i = df[(df.model == "dml_unit_prior") & (df.metric == "knn_acc")].index[0]
        df.loc[i, "value"] = 0.6
        return df

    _patched(monkeypatch, 3, lift)
    with pytest.raises(
        statements.StatementError,
        match=r"puts both prior models at chance level everywhere.*"
        r"dml_unit_prior .*0\.600",
    ):
        statements.paper_table3_at_chance()


def test_table2_guard_fails_when_dml_differs_from_alpha_one(monkeypatch):
    def shift(df):
        i = df[df.model == "dml"].index[0]
        df.loc[i, "value"] += 0.01
        return df

    _patched(monkeypatch, 2, shift)
    with pytest.raises(statements.StatementError, match="DML column equals its own alpha = 1 rows.*1 of 12"):
        statements.paper_table2_dml_is_its_autoencoder()


def test_the_gap_sentence_follows_the_comparison():
    cmp = pd.DataFrame(
        [
            dict(
                table=1,
                model="dml",
                pl_pct=0.1,
                lsdim=2,
                alpha=float("nan"),
                gamma=float("nan"),
                metric="knn_acc",
                paper=0.5,
                ours_mean=0.7,
                n_seeds=3,
                ours="0.700 ± 0.010",
            ),
            dict(
                table=1,
                model="dml_autoencoder",
                pl_pct=10.0,
                lsdim=2,
                alpha=0.25,
                gamma=float("nan"),
                metric="knn_acc",
                paper=0.103,
                ours_mean=0.05,
                n_seeds=3,
                ours="0.050 ± 0.010",
            ),
        ]
    )
    s = scorecard.gap_sentence(cmp)
    assert s.startswith("Our Table 1 kNN accuracies lie above the paper's in 1 of its 2 cells.")
    assert "The paper's lowest is 0.103 (dml_autoencoder, 10 %, lsdim 2, alpha=0.25), within 0.003 of chance" in s


def test_sentences_of_the_shipped_rows_read_as_the_pages_say():
    """What the pages now generate from the shipped rows (a regression check of the wording's inputs)."""
    rows5 = store.rows_for(profiles.SHIPPED, "figure5", "paper")
    assert "The latents settle at the centre" in paper_kl.paper_kl_outcome(rows5)
    calib = objectives.run_frame(store.rows_for(profiles.SHIPPED, "vae-calibration", "paper"), ["recon", "beta"])
    pm = calib[(calib.recon == "pixel-mean") & (calib.beta == 1.0)]
    im = calib[(calib.recon == "image-sum") & (calib.beta == 1.0)]
    assert "collapses in every run" in objectives.collapse_sentence(pm, "pm", ["beta"])
    assert "collapses in no run" in objectives.collapse_sentence(im, "im", ["beta"])
