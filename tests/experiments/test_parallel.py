"""Sweeps over Ray workers on a local Ray instance with 2 CPUs: every run exactly once, a SIGKILLed worker's
run retried or recorded as failed, the driver killed and resumed, GPU packing arithmetic (GPUs declared)."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

ray = pytest.importorskip("ray")

import fakes  # noqa: E402

from dmlvae.experiments import parallel, profiles, store, sweep  # noqa: E402

TWO = parallel.backend(workers=2)  # two runs at once on a local Ray

ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the fake runs below travel by value
ray.cloudpickle.register_pickle_by_value(fakes)


@pytest.fixture(autouse=True)
def _no_ray_left():
    yield
    parallel.shutdown()


def fake_run(cfg):
    time.sleep(0.05)
    return fakes.fake_result(cfg)


def test_concurrency_arithmetic():
    assert parallel.concurrency(16, 1, 1, 0.125) == 8
    assert parallel.concurrency(16, 1, 1, 0.25) == 4
    assert parallel.concurrency(16, 2, 4, 0.25) == 4  # CPU-bound
    assert parallel.concurrency(2, 0, 1, 0.0) == 2
    assert parallel.concurrency(8, 0, 1, 0.5) == 0


def test_workers_run_every_run_exactly_once_in_several_processes(tmp_path):
    f = tmp_path / "r.jsonl"
    counts = sweep.sweep(
        1, "smoke", 2, f, dataset="digits", progress=False, run_fn=fake_run, backend=parallel.backend(workers=2)
    )
    assert counts == {"total": 60, "present": 0, "reused": 0, "ok": 60, "failed": 0, "elsewhere": 0}
    rows = store.Store(f).rows()
    assert len(rows) == 60 and len({store.Store.row_id(r) for r in rows}) == 60
    assert all(isinstance(r.get("node"), str) and len(r["node"]) > 8 for r in rows)  # the Ray node each ran on
    again = sweep.sweep(
        1, "smoke", 2, f, dataset="digits", progress=False, run_fn=fake_run, backend=parallel.backend(workers=2)
    )
    assert again["present"] == 60 and again["ok"] == 0


def _sleep_and_log(cfg):
    start = time.time()
    time.sleep(0.4)
    with open(os.environ["DMLVAE_TEST_LOG"], "a") as f:
        f.write(f"{start} {time.time()}\n")
    return fake_run(cfg)


def _max_overlap(log):
    spans = [tuple(map(float, line.split())) for line in log.read_text().splitlines()]
    events = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans])
    now = best = 0
    for _, d in events:
        now += d
        best = max(best, now)
    return best


def test_gpus_per_run_packs_runs_on_declared_gpus(tmp_path, monkeypatch):
    """One declared GPU, 4 CPUs, 0.5 GPU per run: two runs at a time, never more."""
    log = tmp_path / "spans"
    monkeypatch.setenv("DMLVAE_TEST_LOG", str(log))
    monkeypatch.setenv("DMLVAE_RAY_GPUS", "1")
    cfgs = profiles.configs(4, "smoke", [0], dataset="digits")[:6]
    counts = sweep.run_configs(
        "pack",
        "smoke",
        cfgs,
        tmp_path / "r.jsonl",
        progress=False,
        run_fn=_sleep_and_log,
        backend=parallel.backend(workers=4, gpus_per_run=0.5),
    )
    assert counts["ok"] == 6
    assert _max_overlap(log) == 2


def _die_once_or_always(cfg):
    """alpha 0.5 cells: the worker kills itself on the first try; alpha 0.25 cells: on every try."""
    marker = os.path.join(os.environ["DMLVAE_TEST_DIR"], f"tried-{cfg.key()}")
    if (
        cfg.model == "dml_autoencoder"
        and cfg.alpha == 0.25
        or (cfg.model == "dml_autoencoder" and cfg.alpha == 0.5 and not os.path.exists(marker))
    ):
        open(marker, "w").close()
        os.kill(os.getpid(), signal.SIGKILL)
    return fake_run(cfg)


def test_a_killed_worker_is_retried_then_recorded_as_failed(tmp_path, monkeypatch):
    monkeypatch.setenv("DMLVAE_TEST_DIR", str(tmp_path))
    f = tmp_path / "r.jsonl"
    cfgs = [c for c in profiles.configs(1, "smoke", [0], dataset="digits") if c.lsdim == 2 and c.pl_pct == 10]
    counts = sweep.run_configs(
        1, "smoke", cfgs, f, progress=False, run_fn=_die_once_or_always, backend=parallel.backend(workers=2)
    )
    rows = store.Store(f).rows()
    assert len(rows) == len(cfgs) == 5 and len({r["key"] for r in rows}) == 5  # none lost, none twice
    by_alpha = {r["config"]["alpha"]: r for r in rows if r["config"]["model"] == "dml_autoencoder"}
    assert by_alpha[0.5]["status"] == "ok"  # retried after its worker died
    assert by_alpha[0.25]["status"] == "failed" and "worker died" in by_alpha[0.25]["reason"]
    assert counts["ok"] == 4 and counts["failed"] == 1


def test_driver_killed_and_resumed_ends_with_every_run_exactly_once(tmp_path, sweep_cmd, kill_mid_sweep):
    f = tmp_path / "r.jsonl"
    cmd = sweep_cmd(f, "--workers", 2)
    killed_at = kill_mid_sweep(cmd, f, start_new_session=True)
    assert 4 <= killed_at < 30
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    counts = json.loads(out.stdout)
    assert counts["present"] >= killed_at and counts["present"] + counts["ok"] + counts["failed"] == 30
    rows = store.Store(f).rows()
    assert len(rows) == 30 and len({store.Store.row_id(r) for r in rows}) == 30
    assert all(r["status"] == "ok" for r in rows)


def test_bad_backend_values(tmp_path):
    from dmlvae import DmlvaeError

    for kw, word in (
        ({"workers": 0}, "workers"),
        ({"workers": 2, "cpus_per_run": 0}, "cpus_per_run"),
        ({"workers": 2, "gpus_per_run": -1}, "gpus_per_run"),
    ):
        with pytest.raises(DmlvaeError, match=word):
            parallel.backend(**kw)
    with pytest.raises(DmlvaeError, match="no run fits"):
        sweep.sweep(
            1,
            "smoke",
            1,
            tmp_path / "r.jsonl",
            dataset="digits",
            progress=False,
            run_fn=fake_run,
            backend=parallel.backend(workers=1, cpus_per_run=1, gpus_per_run=1),
        )
