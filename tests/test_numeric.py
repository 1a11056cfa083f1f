"""The numeric environment every row records, and ``rerun`` (a stored row trained again, compared metric by metric)."""

import json
import math

import pytest

from dmlvae.core import numeric
from dmlvae.core.config import RunConfig
from dmlvae.core.train import run
from dmlvae.errors import DmlvaeError
from dmlvae.experiments import rerun
from dmlvae.experiments.sweep import make_row

TINY = RunConfig(dataset="digits", model="dml", pl_pct=10, epochs=1, lsdim=4, hidden=(32,), batch_size=128, seed=2)


@pytest.fixture(scope="module")
def row():
    r = run(TINY)
    return make_row(1, "smoke", TINY, r, None, r["wall_time"], "mnist")


def test_a_new_row_records_its_numeric_environment(row, monkeypatch):
    import numpy
    import sklearn
    import torch

    env = row["numeric_env"]
    assert set(env) == set(numeric.FIELDS)
    assert env["torch"] == torch.__version__ and env["numpy"] == numpy.__version__
    assert env["scikit-learn"] == sklearn.__version__ and env["threads"] == torch.get_num_threads()
    assert env["cpu_capability"] == torch.backends.cpu.get_cpu_capability()
    assert env["mkl"] not in ("", numeric.UNKNOWN)
    monkeypatch.setenv("MKL_CBWR", "COMPATIBLE")
    assert numeric.environment()["forced"]["MKL_CBWR"] == "COMPATIBLE"


def test_an_old_row_shows_what_it_did_not_record_as_unknown():
    old = {"torch": "2.13.0+cpu", "threads": 1}
    env = numeric.recorded(old)
    assert env["torch"] == "2.13.0+cpu" and env["threads"] == 1
    assert all(env[k] == numeric.UNKNOWN for k in numeric.FIELDS if k not in ("torch", "threads"))
    here = {**numeric.environment(), "threads": 1}
    assert set(numeric.differences(old, here)) == set(numeric.FIELDS) - {"threads"} - (
        {"torch"} if here["torch"] == "2.13.0+cpu" else set()
    )


def test_drift_is_relative_per_metric_over_both_protocols():
    stored = {"metrics": {"knn_acc": 0.5, "ami": 0.2}, "metrics_by_protocol": {"test-cv": {"knn_acc": 0.4}}}
    again = {"metrics": {"knn_acc": 0.55, "ami": 0.2}, "metrics_by_protocol": {"test-cv": {"knn_acc": 0.3}}}
    d = numeric.drift(stored, again)
    assert d["knn_acc"] == pytest.approx(0.1) and d["ami"] == 0.0
    assert d["by_protocol.test-cv.knn_acc"] == pytest.approx(0.25)
    assert math.isnan(numeric.drift({"metrics": {"a": 1.0}}, {"metrics": {}})["a"])


def test_a_rerun_on_the_same_machine_is_bit_identical_and_a_moved_metric_is_measured(row):
    out = rerun.rerun(row)
    assert out["identical"] and out["differences"] == {} and out["drift"]
    assert "bit-identical" in rerun.report(out)
    moved = json.loads(json.dumps(row))
    moved["metrics"]["knn_acc"] *= 1.5
    moved["numeric_env"]["numpy"] = "0.0"
    out = rerun.rerun(moved)
    assert not out["identical"]
    assert out["drift"]["knn_acc"] == pytest.approx(1 / 3)
    assert out["differences"] == {"numpy": ("0.0", numeric.environment()["numpy"])}
    text = rerun.report(out)
    assert "knn_acc: 3.33e-01" in text and "numpy: 0.0 ->" in text


def test_rerun_uses_the_recorded_thread_count(row):
    import torch

    seen = []
    other = json.loads(json.dumps(row))
    other["numeric_env"]["threads"] = 1 if torch.get_num_threads() != 1 else 2
    rerun.rerun(other, run_fn=lambda cfg: seen.append(torch.get_num_threads()) or {"metrics": row["metrics"]})
    assert seen == [other["numeric_env"]["threads"]]


def test_find_row_takes_a_prefix_and_refuses_an_unknown_or_ambiguous_key(row):
    rows = [row, {**row, "reused_from": "x"}, {**row, "key": "abc1", "status": "ok"}, {**row, "key": "abc2"}]
    assert rerun.find_row(rows, row["key"][:10]) is row
    with pytest.raises(DmlvaeError, match="no finished run with key 'zzz'"):
        rerun.find_row(rows, "zzz")
    with pytest.raises(DmlvaeError, match="names 2 runs"):
        rerun.find_row(rows, "abc")


def test_the_cli_reruns_a_stored_row(row, tmp_path, run_cli):
    f = tmp_path / "r.jsonl"
    f.write_text(json.dumps(row) + "\n")
    code, out, err = run_cli("rerun", row["key"][:12], "--results", f)
    assert code == 0, err
    assert "bit-identical" in out and "recorded environment: the same here" in out
    code, out, err = run_cli("rerun", "nosuchkey", "--results", f)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "nosuchkey" in err
