"""Time one step of the book's build, and report where the build's time went.

    python tools/timed.py LABEL -- COMMAND [ARG ...]   # run COMMAND; its wall time is added to the record
    python tools/timed.py --report                     # every recorded step, slowest first, and the total
    python tools/timed.py --reset                      # start a new record (what `make book` does first)

The record is ``_build/step_times.tsv`` (label, seconds), also written to by tools/execute_notebooks.py, which
records each page's execution as ``page NAME``. COMMAND's exit status is returned, so a failing step still fails
the build, after its time is recorded.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RECORD = ROOT / "_build" / "step_times.tsv"


def record(label: str, seconds: float, path: Path | None = None) -> None:
    path = RECORD if path is None else path
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as f:
        f.write(f"{label}\t{seconds:.2f}\n")


def read(path: Path | None = None) -> list[tuple[str, float]]:
    path = RECORD if path is None else path
    if not path.exists():
        return []
    rows = []
    for line in path.read_text().splitlines():
        label, _, seconds = line.rpartition("\t")
        rows.append((label, float(seconds)))
    return rows


def report(rows: list[tuple[str, float]]) -> str:
    """The steps (``page ...`` lines indented under the step that ran them), then the total of the steps."""
    pages = [(label, s) for label, s in rows if label.startswith("page ")]
    steps = [(label, s) for label, s in rows if not label.startswith("page ")]
    width = max((len(label) for label, _ in rows), default=10)
    lines = ["[time] where the build's time went (wall seconds):"]
    for label, s in steps:
        lines.append(f"[time]   {label:<{width}} {s:7.1f}")
        if label == "pages executed":
            lines += [f"[time]     {p:<{width - 2}} {t:7.1f}" for p, t in pages]
    lines.append(f"[time]   {'total':<{width}} {sum(s for _, s in steps):7.1f}")
    return "\n".join(lines)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["--report"]:
        print(report(read()), flush=True)
        return 0
    if argv == ["--reset"]:
        RECORD.unlink(missing_ok=True)
        return 0
    if len(argv) < 3 or argv[1] != "--":
        print("usage: timed.py LABEL -- COMMAND [ARG ...] | --report | --reset", file=sys.stderr)
        return 2
    label, command = argv[0], argv[2:]
    start = time.perf_counter()
    rc = subprocess.call(command)
    seconds = time.perf_counter() - start
    record(label, seconds)
    print(f"[time] {label}: {seconds:.1f} s", flush=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
