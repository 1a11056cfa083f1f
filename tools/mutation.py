"""Mutation testing of the modules the issue names (mutmut): each module mutated alone, against its own test file.

    python tools/mutation.py [MODULE ...]     # e.g. dmlvae/core/losses.py; default: all of TARGETS

Each module runs in a copy of the working tree (mutmut writes its ``mutants/`` folder there), with
``[tool.mutmut]`` naming that module and its mirrored test file, and ``mutmut run`` then ``export-cicd-stats``
gives the counts. Prints one line per module (killed, survived, the score) and, with ``--survivors``, each
surviving mutant's diff. mutmut is not a dependency of the book: ``pip install mutmut==3.8.1`` first.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {
    "dmlvae/core/losses.py": "tests/core/test_losses.py",
    "dmlvae/core/priors.py": "tests/core/test_priors.py",
    "dmlvae/core/evaluate.py": "tests/core/test_evaluate.py",
    "dmlvae/analysis/stats.py": "tests/analysis/test_stats.py",
    "dmlvae/experiments/store.py": "tests/experiments/test_store.py",
    "dmlvae/analysis/scorecard.py": "tests/analysis/test_scorecard.py",
}
COPY = ("dmlvae", "tests", "tools", "results", "notebooks", "README.md", "pyproject.toml")


def _tree(module: str, tests: str, into: Path) -> None:
    for name in COPY:
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, into / name)
    with open(into / "pyproject.toml", "a") as f:
        f.write(
            "\n[tool.mutmut]\n"
            'source_paths = ["dmlvae"]\n'
            # what the tests read beside the package and their own files (the shipped rows, the pages, the README)
            'also_copy = ["results", "notebooks", "tools", "README.md"]\n'
            f'only_mutate = ["{module}"]\n'
            f'pytest_add_cli_args_test_selection = ["{tests}"]\n'
            'pytest_add_cli_args = ["-p", "no:cacheprovider", "-x", "-q"]\n'
        )


def run(module: str, tests: str, survivors: bool, only=(), limit: float | None = None) -> dict:
    mutmut = Path(sys.executable).with_name("mutmut")
    with tempfile.TemporaryDirectory(prefix="dmlvae-mutation-") as tmp:
        work = Path(tmp)
        _tree(module, tests, work)
        # One thread each: a forked child of a process whose OpenMP pool has run can hang (libgomp is not
        # fork-safe), which mutmut would count as a timeout.
        env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        try:  # the mutants named by `only` (fnmatch patterns of mutmut's names), or all; stopped after `limit` s
            subprocess.run(
                [str(mutmut), "run", *only],
                cwd=work,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=limit,
            )
        except subprocess.TimeoutExpired:
            print(f"{module}: stopped after {limit:.0f} s; the counts are of the mutants run by then", flush=True)
        subprocess.run([str(mutmut), "export-cicd-stats"], cwd=work, capture_output=True)
        stats = json.loads((work / "mutants" / "mutmut-cicd-stats.json").read_text())
        if survivors:
            listed = subprocess.run([str(mutmut), "results"], cwd=work, capture_output=True, text=True).stdout
            for line in listed.splitlines():
                name = line.split(":")[0].strip()
                if name and "survived" in line:
                    diff = subprocess.run([str(mutmut), "show", name], cwd=work, capture_output=True, text=True)
                    print(diff.stdout)
    return stats


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("modules", nargs="*", default=list(TARGETS))
    ap.add_argument("--survivors", action="store_true", help="print each surviving mutant's diff")
    ap.add_argument("--only", action="append", default=[], help="mutmut's mutant names or patterns to run (repeatable)")
    ap.add_argument("--limit", type=float, default=None, help="stop each module's run after this many seconds")
    args = ap.parse_args(argv)
    for module in args.modules:
        s = run(module, TARGETS[module], args.survivors, args.only, args.limit)
        tried = s["killed"] + s["survived"]
        score = s["killed"] / tried if tried else float("nan")
        print(f"{module}: {s['killed']} killed, {s['survived']} survived, score {score:.0%}; all counts: {s}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
