"""Throughput of a sweep of Table 1's grid at the paper's scale (full MNIST, MLP 512-256) in three ways, in one
session on this machine: one process (1 torch thread), `--workers 2` on a local Ray, and a 2-node cluster started
with `ray start` (1 CPU each) attached with `--address`. Each way trains the same first N runs of Table 1 (seed 0)
for E epochs into its own results file; printed: wall seconds, runs an hour, and CPU seconds a run (the rows'
cpu_time), as a markdown table; written to bench/out/cluster_throughput.json.

    .venv/bin/python bench/cluster_throughput.py [--runs 8] [--epochs 1]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dmlvae.experiments import parallel, paper, profiles, store, sweep

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import fakes  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RAY = Path(sys.executable).with_name("ray")


def run_ways(n: int, epochs: int) -> list[dict]:
    cells = paper.grid(1)[:n]
    cfgs = profiles.profile_configs(cells, "paper", 1, grid=1, epochs=epochs)
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)

        def measure(name, **backend):
            f = tmp / f"{name}.jsonl"
            t0 = time.perf_counter()
            sweep.run_configs(1, "paper", cfgs, f, progress=False, backend=parallel.backend(**backend))
            wall = time.perf_counter() - t0
            rows = store.Store(f).rows()
            cpu = statistics.median(r["cpu_time"] for r in rows)
            out.append(
                {
                    "way": name,
                    "runs": len(rows),
                    "wall_s": round(wall, 1),
                    "runs_per_hour": round(len(rows) * 3600 / wall),
                    "cpu_s_per_run": round(cpu, 1),
                    "nodes": len({r.get("node") or r.get("host") for r in rows}),
                }
            )
            print(out[-1], flush=True)

        import torch

        torch.set_num_threads(1)
        measure("one process (1 thread)")
        measure("--workers 2, local Ray (1 thread each)", workers=2, cpus_per_run=1)
        import ray

        ray.shutdown()
        temp = Path(f"/tmp/dmlvae-bench-ray-{os.getpid()}")
        port = fakes.free_port()
        os.environ["RAY_AUTH_MODE"] = "token"
        env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
        try:
            subprocess.run(
                fakes.ray_head(RAY, port, temp),
                check=True,
                env=env,
                capture_output=True,
            )
            subprocess.run(
                [str(RAY), "start", "--address", f"127.0.0.1:{port}", "--num-cpus", "1"],
                check=True,
                env=env,
                capture_output=True,
            )
            measure("2-node cluster (ray start, 1 CPU each), --address", address=f"127.0.0.1:{port}", cpus_per_run=1)
        finally:
            ray.shutdown()
            for d in Path("/proc").iterdir():
                if d.name.isdigit():
                    try:
                        if str(temp) in (d / "cmdline").read_bytes().decode(errors="replace"):
                            os.kill(int(d.name), signal.SIGKILL)
                    except OSError:
                        pass
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=8)
    ap.add_argument("--epochs", type=int, default=1)
    args = ap.parse_args(argv)
    rows = run_ways(args.runs, args.epochs)
    print("\n| way | runs | wall | runs an hour | CPU s a run (median) |\n|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['way']} | {r['runs']} | {r['wall_s']} s | {r['runs_per_hour']} | {r['cpu_s_per_run']} |")
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "cluster_throughput.json").write_text(
        json.dumps({"runs": args.runs, "epochs": args.epochs, "ways": rows}, indent=2)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
