"""What several tests (and the bench scripts) share: a smoke sweep's command line, a fake run's result, the
arguments that start a Ray head node. Importable as ``fakes`` (pytest puts ``tests/`` on the path; the bench
scripts add it)."""

from __future__ import annotations

import os
import socket


def smoke_sweep(results, *extra) -> list[str]:
    """The arguments of ``python -m dmlvae`` for a real smoke sweep of Table 1 on digits (one seed, 30 runs) into
    ``results``."""
    args = ["sweep", "--table", "1", "--profile", "smoke", "--seeds", "1", "--dataset", "digits"]
    return [*args, "--results", str(results), "--no-progress", *map(str, extra)]


def fake_result(cfg) -> dict:
    """What a run returns, without training: knn_acc 0.5 + seed / 10 tells the seeds apart."""
    return {
        "metrics": {"knn_acc": 0.5 + cfg.seed / 10, "knn_ami": 0.2},
        "metrics_by_protocol": {},
        "history": [],
        "n_train": 1,
        "n_labelled": 1,
        "labelled_classes": 1,
        "n_test": 1,
        "source": "x",
        "device": "cpu",
        "pid": os.getpid(),
    }


def ray_head(ray, port: int, temp) -> list[str]:
    """``ray start --head`` on ``port`` with 1 CPU, its files under ``temp`` (Ray's socket paths must stay short)."""
    return [str(ray), "start", "--head", "--port", str(port), "--num-cpus", "1", "--temp-dir", str(temp)] + [
        "--include-dashboard",
        "false",
        "--disable-usage-stats",
    ]


def free_port() -> int:
    """A TCP port free on this machine now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
