"""Re-running a stored row (dmlvae.experiments.rerun): bit-identical here, drift measured, the recorded thread count."""

import json

import fakes
import pytest

from dmlvae.core import numeric
from dmlvae.errors import DmlvaeError
from dmlvae.experiments import rerun


@pytest.fixture(scope="module")
def row():
    return fakes.tiny_row()


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
