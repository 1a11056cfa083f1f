import os
import sys
import tempfile
from pathlib import Path

# the tests mirror the package in folders (tests/core/test_priors.py and tests/pages/test_priors.py), imported by
# path (pyproject.toml: --import-mode=importlib); their shared helpers (fakes.py) are importable from here
sys.path.insert(0, str(Path(__file__).resolve().parent))

import fakes  # noqa: E402
import pytest

# Tests run on the CPU with few threads: deterministic and not fighting over 2 cores (one thread each when
# pytest-xdist runs them in several workers, as `make test` does)
os.environ.setdefault("OMP_NUM_THREADS", "1" if os.environ.get("PYTEST_XDIST_WORKER") else "2")

# Hermetic: no test reads or writes the user's home-directory state (~/.ray, ~/.cache/dmlvae, ~/.config,
# ~/.jupyter, ...). HOME and every place derived from it point into a new empty folder of this test session, set
# before anything is imported, so the subprocesses the tests start (the CLI, papermill's kernels, `ray start`)
# inherit it; whatever a test needs there (a Ray token) it generates. pytest_sessionfinish fails the run when
# the real home's state changed all the same.
# (pytest-xdist's workers inherit the temporary HOME: the real one is handed to them by name)
REAL_HOME = Path(os.environ.setdefault("DMLVAE_TEST_REAL_HOME", os.path.expanduser("~")))
HOME = Path(tempfile.mkdtemp(prefix="dmlvae-test-home-"))
HERMETIC = {
    "HOME": HOME,
    "XDG_CACHE_HOME": HOME / ".cache",
    "XDG_CONFIG_HOME": HOME / ".config",
    "XDG_DATA_HOME": HOME / ".local" / "share",
    "DMLVAE_CACHE": HOME / ".cache" / "dmlvae",  # the VAEs model vae_graph caches (dmlvae.core.vae)
    "IPYTHONDIR": HOME / ".ipython",
    "MPLCONFIGDIR": HOME / ".config" / "matplotlib",
}
os.environ.update({k: str(v) for k, v in HERMETIC.items()})
# the user's own data folder and Ray settings are state too; Ray's token is then HOME/.ray/auth_token, which a
# test generates where it needs one (RAY_AUTH_TOKEN_PATH naming a file not there yet would make Ray fail)
for name in ("DMLVAE_DATA", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH", "RAY_AUTH_MODE", "RAY_ADDRESS", "RAY_TMPDIR"):
    os.environ.pop(name, None)
# the user state no test may touch (each is compared before and after the session)
WATCHED = [".ray", ".cache/dmlvae", ".config", ".jupyter", ".ipython", ".local/share/jupyter"]


def _state(home: Path) -> dict:
    """Every path under the watched folders of ``home`` with its size and modification time."""
    out = {}
    for rel in WATCHED:
        top = home / rel
        if top.exists():
            for p in [top, *top.rglob("*")]:
                try:
                    st = p.lstat()
                except OSError:
                    continue
                out[str(p)] = (st.st_size, st.st_mtime_ns)
    return out


def pytest_sessionstart(session):
    session.config._dmlvae_home_state = _state(REAL_HOME)


def pytest_sessionfinish(session, exitstatus):
    before, after = session.config._dmlvae_home_state, _state(REAL_HOME)
    changed = sorted(set(before.items()) ^ set(after.items()))
    if changed:
        paths = sorted({p for p, _ in changed})
        sys.stderr.write(
            f"\nerror: the tests changed the user's home-directory state: {', '.join(paths[:10])}"
            f"{' ...' if len(paths) > 10 else ''} (tests must use the temporary HOME the conftest sets)\n"
        )
        session.exitstatus = 1


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

    from dmlvae.experiments import store

    def run(cmd, results, rows=4, **popen):
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **popen)
        deadline = time.time() + 300
        while time.time() < deadline and (not results.exists() or len(results.read_text().splitlines()) < rows):
            time.sleep(0.05)
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
        return len(store.Store(results).rows())

    return run
