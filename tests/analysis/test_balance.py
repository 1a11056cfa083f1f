"""The balance axis's frame, paired differences, figure and answer in words, on synthetic stores whose answer is
known (nothing is trained), and its grid."""

import fakes
import pytest

from dmlvae.analysis import balance


def test_frame_and_paired_differences(tmp_path):
    f = fakes.balance_frame(tmp_path, fakes.helpful_at_half)
    assert len(f) == 24 * 3 and set(f.line) >= {"DML", balance.VAE}
    half = f[(f.line == "share 0.5") & (f.pl_pct == 10.0)]
    assert half.gamma.eq(7.0).all() and half["first epoch share"].eq(0.5).all()
    assert half["last epoch share"].round(6).eq(round(0.45 / 0.95, 6)).all()
    ev = balance.paired(f, "share 0.5", balance.VAE, 0.1, "test-cv")
    assert ev["n"] == 3 and ev["mean"] == pytest.approx(0.1) and ev["low"] == pytest.approx(0.1)
    d = balance.differences(f).set_index(["protocol", "pl_pct", "line"])
    assert d.loc[("test-cv", 0.1, "share 0.9"), "helps"] and d.loc[("test-cv", 0.1, "share 0.9"), "beats DML"]
    assert not d.loc[("test-cv", 0.01, "share 0.9"), "helps"]
    assert not d.loc[("test-cv", 10.0, "share 0.9"), "beats DML"]  # 0.9 against DML's 0.95


def test_the_answer_follows_the_rows(tmp_path):
    a = balance.answer(fakes.balance_frame(tmp_path, fakes.helpful_at_half), "test-cv")
    assert "help the MetricVAE (it beats the VAE alone: seed-paired t-tests, Holm-corrected" in a
    assert "at 0.1 % with shares 0.5, 0.9" in a and "at 10 % with shares 0.5, 0.9" in a
    assert "at 0.01 % no share does" in a
    assert "beats DML at 0.1 % (share 0.5: +0.400 [+0.400, +0.400]); 0.1 % (share 0.9" in a
    # rows that contradict it: no share ever beats the VAE alone
    never = balance.answer(
        fakes.balance_frame(tmp_path / "b", lambda c: 0.5 if c.model == "dml" else 0.8), "labelled-to-test"
    )
    assert never.startswith("Under `labelled-to-test` the labels help the MetricVAE at no share")
    # the VAE (0.8) beats DML (0.5) at every share: said, and not credited to the labels
    assert "With few labels (0.01 %, 0.1 %) no share beats the VAE alone; against DML, at 0.01 % shares" in never
    assert "beat it (Holm-corrected over the shares), a gain the VAE alone brings there" in never
    nothing = balance.answer(fakes.balance_frame(tmp_path / "c", lambda c: 0.8), "labelled-to-test")
    assert "no share beats the VAE alone; against DML, no share beats DML either." in nothing


def test_the_answer_says_when_the_labels_help_but_dml_stays_ahead(tmp_path):
    a = balance.answer(
        fakes.balance_frame(tmp_path, lambda c: 0.99 if c.model == "dml" else fakes.helpful_at_half(c)), "test-cv"
    )
    assert "does not beat DML there" in a


def test_which_share_helps_is_holm_corrected(tmp_path):
    """At 0.1 % shares 0.5 and 0.9 beat the VAE alone by 0.1 with seed noise that puts each t-test at p = 0.04: each
    interval clears zero on its own, but after Holm's correction over the four shares neither helps."""
    x = 0.1 * 3**0.5 / 4.849  # the sd of (0.1 - x, 0.1, 0.1 + x) that gives t(2 df) = 4.849, p = 0.04

    def acc(cfg):
        if cfg.model == "dml":
            return 0.5
        lift = 0.1 + (-x, 0.0, x)[cfg.seed] if (cfg.metric_share or 0) >= 0.5 and cfg.pl_pct == 0.1 else 0.0
        return 0.8 + lift - 0.002 * cfg.seed  # _fake adds 0.002 per seed back

    f = fakes.balance_frame(tmp_path, acc)
    ev = balance.paired(f, "share 0.5", balance.VAE, 0.1, "test-cv")
    assert ev["low"] > 0 and ev["p"] == pytest.approx(0.04, abs=0.001)
    d = balance.differences(f).set_index(["protocol", "pl_pct", "line"])
    assert not d.loc[("test-cv", 0.1, "share 0.5"), "helps"] and not d.loc[("test-cv", 0.1, "share 0.9"), "helps"]
    assert "labels help the MetricVAE at no share" in balance.answer(f, "test-cv")


def test_course_sentence_follows_the_first_and_last_epoch_shares(tmp_path):
    """The fake's metric term shrinks by a tenth an epoch (share s, then 0.9 s over 0.9 s + 1 - s): at share 0.9 it
    is 90 % in the first epoch and 89 % in the last, at every percentage; a store where it vanishes says so."""
    f = fakes.balance_frame(tmp_path, fakes.helpful_at_half)
    s = balance.course_sentence(f)
    assert s.startswith(
        "Asked for 90 % at the start, the metric term's share of the loss is (means over the seeds) "
        "0.01 %: 90 % in the first epoch, 89 % in the last;"
    )
    assert s.endswith("At no labelled percentage is it under 0.1 % of the loss by the last epoch.")
    f.loc[f.pl_pct < 1, "last epoch share"] = 0.0
    assert balance.course_sentence(f).endswith(
        "At 0.01 %, 0.1 % labelled it is under 0.1 % of the loss by the last "
        "epoch, even from the largest share asked for."
    )
