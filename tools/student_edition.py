"""The student edition: each page's notebook without its solutions, for a class to download.

    python tools/student_edition.py [--out _build/html/student]

From every jupytext source in notebooks/, the cells tagged ``solution`` and the Markdown cells that open or close a
solution (``{solution-start}``, ``{solution-end}``) are left out; nothing else changes, and no outputs are kept.
A page without exercises is written as it is. Each notebook is written atomically (temporary file, then rename).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parents[1]
MARKERS = ("{solution-start}", "{solution-end}")


def is_solution(cell) -> bool:
    return "solution" in cell.metadata.get("tags", []) or (
        cell.cell_type == "markdown" and any(m in cell.source for m in MARKERS)
    )


def student(source: Path):
    nb = jupytext.read(source)
    nb.cells = [c for c in nb.cells if not is_solution(c)]
    for c in nb.cells:
        if c.cell_type == "code":
            c.outputs, c.execution_count = [], None
    nb.metadata.pop("jupytext", None)
    return nb


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(ROOT / "_build" / "html" / "student"))
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for source in sorted((ROOT / "notebooks").glob("*.py")):
        nb = student(source)
        tmp = out / f".{source.stem}.ipynb.tmp"
        nbformat.write(nb, tmp)
        tmp.replace(out / f"{source.stem}.ipynb")
    print(f"[student] {len(list(out.glob('*.ipynb')))} notebooks without solutions -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
