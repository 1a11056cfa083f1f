"""How far the golden runs' numbers move across the CPU kernel paths this machine can be forced onto.

    python bench/kernel_paths.py [--threads 2] [--out bench/out/kernel_paths.json]

Each path is a fresh process (the variables are read when torch and MKL load) that trains the five tiny runs of
``tests/core/test_golden.py`` and writes every golden quantity. The table gives, per run and quantity, the largest
relative difference from the first path (this machine's own choice); the last column says whether a path's numbers
are bit-identical to it. ``tests/core/test_golden.py`` takes its tolerances from these figures (its docstring states the
rule and the figures of the last run).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# name -> the variables set for that process (on top of the caller's environment, without these four)
PATHS = {
    "native": {},
    "ATEN_CPU_CAPABILITY=default": {"ATEN_CPU_CAPABILITY": "default"},
    "ATEN_CPU_CAPABILITY=avx2": {"ATEN_CPU_CAPABILITY": "avx2"},
    "MKL_ENABLE_INSTRUCTIONS=SSE4_2": {"MKL_ENABLE_INSTRUCTIONS": "SSE4_2"},
    "MKL_ENABLE_INSTRUCTIONS=AVX2": {"MKL_ENABLE_INSTRUCTIONS": "AVX2"},
    "MKL_CBWR=COMPATIBLE": {"MKL_CBWR": "COMPATIBLE"},
    "ATEN=default + MKL=SSE4_2": {"ATEN_CPU_CAPABILITY": "default", "MKL_ENABLE_INSTRUCTIONS": "SSE4_2"},
    "ATEN=avx2 + MKL=AVX2": {"ATEN_CPU_CAPABILITY": "avx2", "MKL_ENABLE_INSTRUCTIONS": "AVX2"},
    # does MKL's conditional reproducibility make the paths agree with each other?
    "MKL_CBWR=COMPATIBLE + ATEN=default": {"MKL_CBWR": "COMPATIBLE", "ATEN_CPU_CAPABILITY": "default"},
    "MKL_CBWR=COMPATIBLE + ATEN=avx2": {"MKL_CBWR": "COMPATIBLE", "ATEN_CPU_CAPABILITY": "avx2"},
    "MKL_CBWR=COMPATIBLE + MKL=SSE4_2": {"MKL_CBWR": "COMPATIBLE", "MKL_ENABLE_INSTRUCTIONS": "SSE4_2"},
}
FORCED = ("ATEN_CPU_CAPABILITY", "MKL_ENABLE_INSTRUCTIONS", "MKL_CBWR", "MKL_DEBUG_CPU_TYPE")

CHILD = """
import json, sys, torch
sys.path.insert(0, 'tests')
torch.set_num_threads(int(sys.argv[1]))
import test_golden
print(json.dumps({"capability": torch.backends.cpu.get_cpu_capability(),
                  "runs": {n: test_golden.numbers(n) for n in test_golden.RUNS}}))
"""


def measure(env_extra: dict, threads: int) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in FORCED}
    env.update(env_extra)
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(threads)], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def quantities(runs: dict) -> dict:
    """(run, quantity) -> list of values (each epoch's, then knn_acc)."""
    out = {}
    for name, r in runs.items():
        for epoch in r["history"]:
            for k, v in epoch.items():
                out.setdefault((name, k), []).append(v)
        out[(name, "knn_acc")] = [r["knn_acc"]]
    return out


def drift(a: list, b: list) -> float:
    return max(abs(x - y) / max(abs(x), 1e-12) for x, y in zip(a, b))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "kernel_paths.json")
    args = ap.parse_args(argv)
    got = {name: measure(env, args.threads) for name, env in PATHS.items()}
    base = quantities(got["native"]["runs"])
    rows = []
    for name, g in got.items():
        q = quantities(g["runs"])
        rows.append(
            {
                "path": name,
                "capability": g["capability"],
                "drift": {f"{r}/{k}": drift(base[r, k], q[r, k]) for r, k in base},
                "identical": q == base,
            }
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"threads": args.threads, "rows": rows, "raw": got}, indent=1) + "\n")
    cols = sorted({k.split("/")[1] for k in rows[0]["drift"]})
    print(f"largest relative drift from the native path, {args.threads} threads, over the 5 golden runs\n")
    print("| path | torch capability | " + " | ".join(cols) + " | bit-identical |")
    print("|---" * (len(cols) + 3) + "|")
    for r in rows:
        per = [max(v for k, v in r["drift"].items() if k.endswith("/" + c)) for c in cols]
        print(f"| {r['path']} | {r['capability']} | " + " | ".join(f"{v:.1e}" for v in per) + f" | {r['identical']} |")
    worst = {}
    for r in rows:
        for k, v in r["drift"].items():
            worst[k] = max(worst.get(k, 0.0), v)
    cbwr = [n for n in got if n.startswith("MKL_CBWR")]
    ref = quantities(got[cbwr[0]]["runs"])
    same = [n for n in cbwr if quantities(got[n]["runs"]) == ref]
    print(f"\nMKL_CBWR=COMPATIBLE paths bit-identical to each other: {len(same)} of {len(cbwr)} ({', '.join(same)})")
    for name, g in got.items():
        runs = sum(g["runs"][n] == got["native"]["runs"][n] for n in g["runs"])
        print(f"  {name}: {runs} of {len(g['runs'])} runs bit-identical to the native path")
    print("\nper run and quantity, the largest drift over every path:")
    for k, v in sorted(worst.items(), key=lambda kv: -kv[1]):
        print(f"  {k}: {v:.2e}")


if __name__ == "__main__":
    main()
