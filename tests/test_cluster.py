"""A Ray cluster that a user starts (``ray start``), attached with ``sweep --address``: a head and a second node as
separate processes on this machine, each with its own CPU; the second node's raylet is SIGKILLed mid-sweep. Every
run must be stored exactly once, the runs lost with the node retried, and the rows equal a local sequential sweep's
(one thread per run, as the cluster's). Everything the test started is stopped by process id."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import fakes

from dmlvae import store

RAY = Path(sys.executable).with_name("ray")
pytestmark = pytest.mark.skipif(not RAY.exists(), reason="the ray command-line tool is not installed")


def pids_with(text: str) -> set[int]:
    """Processes whose command line mentions ``text``."""
    out = set()
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if text in (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"):
                    out.add(int(d.name))
            except OSError:
                pass
    return out


def raylets() -> set[int]:
    return pids_with("ray/raylet/raylet")


@pytest.fixture
def cluster(tmp_path):
    """A head and a second node, 1 CPU each, with token authentication as `ray start` sets it up."""
    temp = Path(f"/tmp/dmlvae-ray-{os.getpid()}")  # Ray's socket paths must stay short
    port = fakes.free_port()
    env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_USAGE_STATS_ENABLED": "0"}
    before = raylets()
    subprocess.run(
        fakes.ray_head(RAY, port, temp),
        check=True,
        env=env,
        capture_output=True,
        timeout=120,
    )
    head = raylets() - before
    subprocess.run(
        [str(RAY), "start", "--address", f"127.0.0.1:{port}", "--num-cpus", "1", "--disable-usage-stats"],
        check=True,
        env=env,
        capture_output=True,
        timeout=120,
    )
    second = raylets() - before - head
    assert len(head) == 1 and len(second) == 1
    try:
        yield {"address": f"127.0.0.1:{port}", "env": env, "second_raylet": second.pop()}
    finally:
        for pid in pids_with(str(temp)):  # every process of this cluster names its session folder
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        shutil.rmtree(temp, ignore_errors=True)


def test_a_user_started_cluster_survives_a_lost_node_and_stores_every_run_once(tmp_path, cluster, sweep_cmd):
    f = tmp_path / "cluster.jsonl"
    p = subprocess.Popen(
        sweep_cmd(f, "--address", cluster["address"], "--workers", 2, "--cpus-per-run", 1),
        env=cluster["env"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 240
    while time.time() < deadline and not (f.exists() and f.read_text().count("\n") >= 3):
        time.sleep(0.1)
    os.kill(cluster["second_raylet"], signal.SIGKILL)  # the second node is lost mid-sweep
    out, err = p.communicate(timeout=300)
    assert p.returncode == 0, err[-2000:]
    rows = store.Store(f).rows()
    ids = [store.Store.row_id(r) for r in rows]
    assert len(rows) == 30 and len(set(ids)) == 30 and all(r["status"] == "ok" for r in rows)
    assert len({r.get("node") for r in rows}) == 2  # both nodes ran runs before one was lost
    local = tmp_path / "local.jsonl"
    done = subprocess.run(sweep_cmd(local, "--threads", 1), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    mine = {r["key"]: r["metrics"] for r in store.Store(local).rows()}
    assert {r["key"]: r["metrics"] for r in rows} == mine


def test_attaching_without_the_token_is_one_line_naming_the_fix(tmp_path, cluster, sweep_cmd):
    env = {k: v for k, v in cluster["env"].items() if k != "RAY_AUTH_MODE"}
    done = subprocess.run(
        sweep_cmd(tmp_path / "r.jsonl", "--address", cluster["address"], "--workers", 1),
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr[-2000:]
    assert "RAY_AUTH_MODE=token" in done.stderr and "auth_token" in done.stderr


def test_an_address_where_nothing_answers_is_one_line_at_once(tmp_path, sweep_cmd):
    t0 = time.time()
    done = subprocess.run(
        sweep_cmd(tmp_path / "r.jsonl", "--address", f"127.0.0.1:{fakes.free_port()}", "--workers", 1),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr[-2000:]
    assert "nothing answers there" in done.stderr and "ray start --head" in done.stderr
    assert time.time() - t0 < 60  # probed, not retried for minutes
