"""A Ray cluster that a user starts (``ray start``), attached with ``sweep --address``: a head and a second node as
separate processes on this machine, each with its own CPU; the second node's raylet is SIGKILLed mid-sweep. Every
run must be stored exactly once, the runs lost with the node retried, and the rows equal a local sequential sweep's
(one thread per run, as the cluster's). Everything the test started is stopped by process id."""

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import fakes
import pytest

from dmlvae.experiments import store

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


def end_cluster(temp: Path) -> None:
    """SIGKILL every process of the Ray whose session files are under ``temp`` (each names that folder), then
    remove the folder."""
    for pid in pids_with(str(temp)):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    shutil.rmtree(temp, ignore_errors=True)


def raylets(temp: Path) -> set[int]:
    """The raylets of the cluster whose session files are under ``temp`` (other tests may run Ray meanwhile)."""
    return pids_with("ray/raylet/raylet") & pids_with(str(temp))


README = Path(__file__).resolve().parents[2] / "README.md"


def readme_block(name: str) -> str:
    """The bash block that follows ``<!-- CLUSTER:NAME -->`` in the README."""
    m = re.search(rf"<!-- CLUSTER:{name} -->\s*```bash\n(.*?)```", README.read_text(), re.S)
    assert m, f"README.md has no cluster block {name}"
    return m.group(1)


def run_block(name: str, home: Path, port: int, head_home: Path, temp: Path) -> subprocess.CompletedProcess:
    """Run a README cluster block as written, from its own ``home``, in the repository, substituting only the
    host (127.0.0.1) and the port; ``scp HEAD_HOST:FILE`` becomes a copy of the head's ``FILE`` (one machine)."""
    text = readme_block(name).replace("HEAD_HOST:6379", f"127.0.0.1:{port}").replace("--port 6379", f"--port {port}")
    text = text.replace("scp HEAD_HOST:", f"cp {head_home}/")
    assert "HEAD_HOST" not in text and "6379" not in text, text
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_AUTH")}
    # each block sees only its own empty HOME; Ray's session files go to a short folder of this test
    env.update(HOME=str(home), RAY_TMPDIR=str(temp), RAY_USAGE_STATS_ENABLED="0")
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", text + "\nenv | grep ^RAY_AUTH_MODE= || true"],
        cwd=README.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.fixture
def cluster(tmp_path):
    """A head and a second node, 1 CPU each, started by the README's blocks, each node from an empty HOME."""
    temp = Path(f"/tmp/dmlvae-ray-{os.getpid()}")  # Ray's socket paths must stay short
    port = fakes.free_port()
    homes = {role: tmp_path / f"home-{role}" for role in ("head", "node", "driver")}
    before = raylets(temp)
    try:
        done = run_block("HEAD", homes["head"], port, homes["head"], temp)
        assert done.returncode == 0, done.stderr[-2000:]
        head = raylets(temp) - before
        done = run_block("NODE", homes["node"], port, homes["head"], temp)
        assert done.returncode == 0, done.stderr[-2000:]
        second = raylets(temp) - before - head
        assert len(head) == 1 and len(second) == 1
        done = run_block("DRIVER", homes["driver"], port, homes["head"], temp)
        assert done.returncode == 0, done.stderr[-2000:]
        token = (homes["head"] / ".ray" / "auth_token").read_text()
        assert token and (homes["driver"] / ".ray" / "auth_token").read_text() == token
        env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_AUTH")}
        env.update(HOME=str(homes["driver"]), RAY_AUTH_MODE="token", RAY_USAGE_STATS_ENABLED="0")
        yield {"address": f"127.0.0.1:{port}", "env": env, "second_raylet": second.pop(), "homes": homes}
    finally:
        end_cluster(temp)


def test_the_readme_cluster_has_token_authentication_on(cluster):
    """A client that holds no token cannot join the README's cluster (`sweep --address` asks exactly this)."""
    from dmlvae.experiments import parallel

    env = {k: v for k, v in cluster["env"].items() if not k.startswith("RAY_AUTH")}
    code = f"from dmlvae.experiments import parallel; print(parallel.open_cluster({cluster['address']!r}))"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "False", done.stderr[-2000:]
    assert parallel.OPEN_PROBE_S < 60


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
    env["HOME"] = str(tmp_path / "no-token-home")
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


def listening(pids: set[int]) -> set[str]:
    """The TCP addresses the processes ``pids`` listen on."""
    import psutil

    return {c.laddr.ip for c in psutil.net_connections("tcp") if c.status == "LISTEN" and c.pid in pids}


def test_a_local_ray_is_locked_and_ignores_a_dead_cluster(tmp_path, monkeypatch):
    """`--workers` without `--address` starts its own Ray even when /tmp/ray names a dead cluster, with token
    authentication on (a client without the token cannot join) and the token readable by its owner alone. Its
    servers listen on every interface (Ray binds them so): the lock is the token, and the test says so."""
    from dmlvae.experiments import parallel

    temp = Path(f"/tmp/dmlvae-ray-local-{os.getpid()}")
    (temp / "ray").mkdir(parents=True, exist_ok=True)
    dead = f"127.0.0.1:{fakes.free_port()}"
    for folder in (temp, temp / "ray"):  # what a killed head leaves (Ray reads the one under its temp folder)
        (folder / "ray_current_cluster").write_text(dead)
    monkeypatch.setenv("RAY_TMPDIR", str(temp))
    monkeypatch.delenv("RAY_AUTH_MODE", raising=False)
    import ray

    try:
        got, slots = parallel.start(2, None, 1, 0.0)
        assert slots == 2
        address = ray.get_runtime_context().gcs_address
        assert os.environ["RAY_AUTH_MODE"] == "token"
        token = parallel.token_path()
        assert token.exists() and token.stat().st_mode & 0o077 == 0
        assert not parallel.open_cluster(address)
        ips = listening(pids_with(str(temp)))
        assert ips and ips <= {"::", "0.0.0.0", "127.0.0.1", "::1"}, ips
    finally:
        ray.shutdown()
        end_cluster(temp)


def test_an_open_cluster_is_refused_in_one_line_unless_allowed(tmp_path, sweep_cmd):
    """A head started as `ray start --head` leaves it on a machine with no token: open. `sweep --address` refuses
    it in one line naming the risk and both ways out; `--allow-open-cluster` attaches with a warning."""
    temp = Path(f"/tmp/dmlvae-ray-open-{os.getpid()}")
    port = fakes.free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_AUTH")}
    env.update(HOME=str(tmp_path / "home"), RAY_USAGE_STATS_ENABLED="0")
    try:
        subprocess.run(fakes.ray_head(RAY, port, temp), check=True, env=env, capture_output=True, timeout=120)
        address = f"127.0.0.1:{port}"
        done = subprocess.run(
            sweep_cmd(tmp_path / "r.jsonl", "--address", address), env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr[-2000:]
        for words in ("token authentication is off", "anyone", "RAY_AUTH_MODE=token", "--allow-open-cluster"):
            assert words in done.stderr
        assert not (tmp_path / "r.jsonl").exists()
        done = subprocess.run(
            sweep_cmd(tmp_path / "r.jsonl", "--address", address, "--allow-open-cluster"),
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert "warning: the Ray cluster" in done.stderr and "token authentication off" in done.stderr
        assert len(store.Store(tmp_path / "r.jsonl").rows()) == 30
    finally:
        end_cluster(temp)
