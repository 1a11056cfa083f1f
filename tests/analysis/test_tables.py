"""Tables from stored rows (dmlvae.analysis.tables): ours beside the paper's, never averaging different
configurations."""

import json

import fakes
import pandas as pd
import pytest

from dmlvae import DmlvaeError
from dmlvae.analysis import tables
from dmlvae.experiments import paper, store, sweep


def test_table_cli_prints_layout(run_cli, tmp_path):
    f = tmp_path / "r.jsonl"
    sweep.sweep(4, "smoke", 1, f, dataset="digits", progress=False, run_fn=fakes.diverging_at_half)
    code, out, err = run_cli("table", "4", "--results", f, "--csv", tmp_path / "t.csv")
    assert code == 0, err
    assert "Table 4" in out and "gamma=10" in out and "linear_acc" in out
    assert len(pd.read_csv(tmp_path / "t.csv")) == 45


def test_mean_sd_format():
    assert paper.mean_sd([0.5, 0.7, None]) == "0.600 ± 0.141"
    assert paper.mean_sd([0.25]) == "0.250" and paper.mean_sd([]) == "-"


def test_metric_reads_stored_rows():
    row = {"metrics": {"knn_acc": 0.7}, "metrics_by_protocol": {"test-cv/sampled-z": {"knn_acc": 0.1}}}
    assert store.metric(row, "knn_acc") == 0.7
    assert store.metric(row, "knn_acc", "test-cv/sampled-z") == 0.1
    assert store.metric({"metrics": None, "status": "failed"}, "knn_acc", "test-cv") is None


def test_flatten_and_summary_build_the_pages_tables():
    rows = [
        {
            "config": {"model": "mvae", "lsdim": 2},
            "seed": s,
            "status": "ok",
            "reason": None,
            "metrics": {"knn_acc": 0.5 + s / 10},
            "metrics_by_protocol": {"test-cv/sampled-z": {"knn_acc": 0.1}},
            "history": [{"kl": 9.0}, {"kl": 1.0 + s}],
        }
        for s in (0, 1)
    ]
    f = tables.flatten(rows, ["model", "lsdim"], tables.MU_AND_Z, last={"kl": "kl"}, keep=["reason"])
    assert list(f.columns) == ["model", "lsdim", "seed", "status", "mu", "sampled z", "kl", "reason"]
    assert f.mu.tolist() == [0.5, 0.6] and f["sampled z"].tolist() == [0.1, 0.1] and f.kl.tolist() == [1.0, 2.0]
    s = tables.summary(f, ["model", "lsdim"], ["mu", "kl"])
    assert s.loc[("mvae", 2), "mu"] == "0.550 ± 0.071" and s.loc[("mvae", 2), "runs"] == 2
    cmp = pd.DataFrame({"dataset_used": ["digits", ""]})
    assert "profile `quick`, seeds [0, 1], dataset `digits`" in paper.caption(1, cmp, "quick", [0, 1])


_ok = fakes.fake_result


def test_table_never_averages_different_configurations(tmp_path, run_cli):
    f = tmp_path / "r.jsonl"
    sweep.sweep(1, "smoke", 1, f, dataset="digits", progress=False, run_fn=_ok)
    sweep.sweep(1, "smoke", 1, f, dataset="fashion-mnist", progress=False, run_fn=_ok)
    with pytest.raises(DmlvaeError, match=r"differ in dataset \(digits, fashion-mnist\)"):
        tables.table(1, f)
    code, _, err = run_cli("table", "1", "--results", f)
    assert code == 2 and "--dataset" in err and "Traceback" not in err
    cmp = tables.table(1, f, dataset="digits")
    assert (cmp.n_seeds == 1).all() and (cmp.dataset_used == "digits").all()
    code, out, err = run_cli("table", "1", "--results", f, "--dataset", "fashion-mnist")
    assert code == 0, err


def test_a_field_the_run_key_leaves_out_does_not_split_a_cell(tmp_path):
    """Table 4's DML rows stored before and after lp_k's default changed (lp_* do not apply to DML) are one
    configuration; rows that differ in the epochs are still refused."""
    f = tmp_path / "r.jsonl"
    sweep.sweep(1, "smoke", 2, f, dataset="digits", progress=False, run_fn=_ok)
    rows = store.Store(f).rows()
    f.write_text(
        "".join(json.dumps({**r, "config": {**r["config"], "lp_k": 10 if r["seed"] else 5}}) + "\n" for r in rows)
    )
    assert (tables.table(1, f).n_seeds == 2).all()
    f.write_text("".join(json.dumps({**r, "config": {**r["config"], "epochs": 1 + r["seed"]}}) + "\n" for r in rows))
    with pytest.raises(DmlvaeError, match=r"differ in epochs \(1, 2\)"):
        tables.table(1, f)
