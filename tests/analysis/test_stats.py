"""The book's statistics (dmlvae.analysis.stats) against scipy and hand computations."""

import math

import pandas as pd
import pytest
from scipy import stats as sps

from dmlvae.analysis import stats


def test_interval_is_the_t_interval_by_hand():
    ev = stats.interval([0.1, 0.3])
    half = 12.706204736 * math.sqrt(0.02) / math.sqrt(2)  # t(0.975, 1 df) * sd / sqrt(n)
    assert ev["mean"] == pytest.approx(0.2) and ev["n"] == 2
    assert ev["low"] == pytest.approx(0.2 - half, rel=1e-6) and ev["high"] == pytest.approx(0.2 + half, rel=1e-6)
    assert stats.interval([0.5])["n"] == 1 and math.isnan(stats.interval([0.5])["low"])
    assert stats.interval([])["n"] == 0


def test_p_value_and_holm_against_scipy_and_by_hand():
    v = [0.10, 0.12, 0.09, 0.15]
    assert stats.interval(v)["p"] == pytest.approx(sps.ttest_1samp(v, 0).pvalue, rel=1e-9)
    assert stats.interval([0.2, 0.2])["p"] == 0.0 and stats.interval([0.0, 0.0])["p"] == 1.0
    assert math.isnan(stats.interval([0.3])["p"])
    # sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1, made monotone: 0.02, 0.03, 0.06, 0.06
    assert stats.holm([0.01, 0.04, 0.03, 0.005, float("nan")])[:4] == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert math.isnan(stats.holm([0.01, float("nan")])[1]) and stats.holm([0.01, float("nan")])[0] == 0.01
    assert stats.holm([0.9, 0.8]) == [1.0, 1.0] and stats.holm([0.2, 0.01]) == [0.2, 0.02]


def test_paired_takes_differences_of_shared_seeds_only_by_hand():
    """Target cells (two per seed) minus one reference per (pl_pct, seed): a hand loop over the pairs."""
    target = pd.DataFrame(
        {"pl_pct": [1, 1, 1, 1, 10], "seed": [0, 1, 2, 0, 0], "cell": list("aaabb"), "acc": [0.9, 0.8, 0.7, 0.6, None]}
    )
    reference = pd.DataFrame({"pl_pct": [1, 1, 10, 1], "seed": [0, 1, 0, 5], "acc": [0.5, 0.3, 0.2, 0.0]})
    d = stats.paired(target, reference, ["pl_pct", "seed"], "acc")
    want = []
    for i, t in target.iterrows():  # the hand loop
        for _, r in reference.iterrows():
            if (t.pl_pct, t.seed) == (r.pl_pct, r.seed):
                want.append((i, t.cell, (t.acc if t.acc is not None else math.nan) - r.acc))
    assert list(d.index) == [i for i, _, _ in want]  # seed 2 has no reference: left out, never paired elsewhere
    assert list(d.cell) == [c for _, c, _ in want]
    assert d["diff"].tolist()[:3] == pytest.approx([w for _, _, w in want][:3]) == [0.4, 0.5, 0.1]
    assert math.isnan(d["diff"].iloc[3])  # a missing value stays missing, and interval() leaves it out
    assert stats.interval(d["diff"])["n"] == 3


def test_paired_refuses_what_would_pair_the_wrong_runs():
    ref = pd.DataFrame({"seed": [0, 0], "acc": [0.1, 0.2]})
    with pytest.raises(Exception, match="many-to-one|many_to_one"):  # two references for one seed
        stats.paired(pd.DataFrame({"seed": [0], "acc": [0.5]}), ref, ["seed"], "acc")
    with pytest.raises(ValueError, match="by seed"):
        stats.paired(ref, ref, ["acc"], "acc")


def test_no_value_and_one_value_give_every_field_with_nan_where_nothing_is_known():
    keys = {"mean", "low", "high", "n", "p"}
    none, one = stats.interval([]), stats.interval([0.3, None, float("nan")])
    assert set(none) == keys and none["n"] == 0 and all(math.isnan(none[k]) for k in keys - {"n"})
    assert set(one) == keys and one["n"] == 1 and one["mean"] == 0.3
    assert all(math.isnan(one[k]) for k in ("low", "high", "p"))


def test_the_readme_names_every_module_that_corrects_with_holm_and_no_other():
    """The README says where Holm's correction is used; a module that starts (or stops) calling it must change it."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    users = {
        p.stem for p in (root / "dmlvae").rglob("*.py") if p.stem != "stats" and re.search(r"\bholm\(", p.read_text())
    }
    assert users == {"scorecard", "beyond", "balance"}
    readme = " ".join((root / "README.md").read_text().split())
    assert (
        "**Where Holm's correction is used:** the scorecard's claims (within each claim's family), the beyond "
        "page's answer (over the reconstruction-component models at each labelled percentage) and the balance axis"
    ) in readme
