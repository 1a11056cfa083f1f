import os
import sys
import tempfile

import pytest

import fakes

# Tests run on the CPU with few threads: deterministic and not fighting over 2 cores.
os.environ.setdefault("OMP_NUM_THREADS", "2")
# the VAEs model vae_graph caches (dmlvae.vae) go to a folder of this test session, not the user's cache
os.environ.setdefault("DMLVAE_CACHE", tempfile.mkdtemp(prefix="dmlvae-test-cache-"))


@pytest.fixture
def run_cli():
    """Run ``python -m dmlvae ARGS`` in a subprocess; return (exit code, stdout, stderr)."""
    import subprocess

    def run(*args, env=None):
        p = subprocess.run(
            [sys.executable, "-m", "dmlvae", *map(str, args)],
            capture_output=True,
            text=True,
            env={**os.environ, **(env or {})},
            timeout=600,
        )
        return p.returncode, p.stdout, p.stderr

    return run


@pytest.fixture
def sweep_cmd():
    """The command line of a real smoke sweep of Table 1 on digits (one seed, 30 runs) into ``results``."""

    def cmd(results, *extra):
        return [sys.executable, "-m", "dmlvae", *fakes.smoke_sweep(results, *extra)]

    return cmd


@pytest.fixture
def kill_mid_sweep():
    """Start ``cmd``, SIGKILL it once ``results`` holds ``rows`` rows; return the rows it holds then."""
    import signal
    import subprocess
    import time

    from dmlvae import store

    def run(cmd, results, rows=4, **popen):
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **popen)
        deadline = time.time() + 300
        while time.time() < deadline and (not results.exists() or len(results.read_text().splitlines()) < rows):
            time.sleep(0.05)
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
        return len(store.Store(results).rows())

    return run
