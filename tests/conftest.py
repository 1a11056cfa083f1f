import os
import sys

import pytest

# Tests run on the CPU with few threads: deterministic and not fighting over 2 cores.
os.environ.setdefault("OMP_NUM_THREADS", "2")


@pytest.fixture
def run_cli():
    """Run ``python -m dmlvae ARGS`` in a subprocess; return (exit code, stdout, stderr)."""
    import subprocess

    def run(*args, env=None):
        p = subprocess.run([sys.executable, "-m", "dmlvae", *map(str, args)], capture_output=True,
                           text=True, env={**os.environ, **(env or {})}, timeout=600)
        return p.returncode, p.stdout, p.stderr
    return run
