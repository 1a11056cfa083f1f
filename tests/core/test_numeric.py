"""The numeric environment every row records, and ``rerun`` (a stored row trained again, compared metric by metric)."""

import math

import fakes
import pytest

from dmlvae.core import numeric


@pytest.fixture(scope="module")
def row():
    return fakes.tiny_row()


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
