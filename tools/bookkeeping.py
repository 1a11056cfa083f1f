"""How much of each page's code is bookkeeping rather than a table or a figure.

    python tools/bookkeeping.py [--max 0.2] [PAGE.py ...]

A page's counted code is every code cell's non-blank, non-comment lines, except the ``parameters`` cell (the page's
interface) and the exercise cells (everything after the page's "Exercise" heading, a student's code). A top-level
statement that is an expression (a call that shows a table or a figure, or a value Jupyter displays) is content;
everything else (imports, assignments, definitions, loops, conditions) is bookkeeping, all of its lines. Prints
one line per page with its share; with ``--max`` exits 1 when a page's share is above it.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXERCISES = re.compile(r"^#+\s*Exercises?\b", re.M)


def cells(path: Path):
    """(kind, tags, source) of each cell of a jupytext percent file."""
    import jupytext

    nb = jupytext.read(path)
    for c in nb.cells:
        yield c.cell_type, set(c.metadata.get("tags", [])), c.source


def _code_lines(source: str, start: int, end: int) -> int:
    lines = source.splitlines()[start - 1 : end]
    return sum(1 for ln in lines if ln.strip() and not ln.strip().startswith("#"))


def shares(path: Path) -> dict:
    """{'content': lines, 'bookkeeping': lines, 'share': bookkeeping / all} of one page."""
    content = bookkeeping = 0
    for kind, tags, source in cells(path):
        if kind == "markdown" and EXERCISES.search(source):
            break
        if kind != "code" or "parameters" in tags:
            continue
        tree = ast.parse(source)
        for node in tree.body:
            n = _code_lines(source, node.lineno, node.end_lineno)
            if isinstance(node, ast.Expr):
                content += n
            else:
                bookkeeping += n
    total = content + bookkeeping
    return {"content": content, "bookkeeping": bookkeeping, "share": bookkeeping / total if total else 0.0}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pages", nargs="*", type=Path)
    ap.add_argument("--max", type=float, default=None, help="fail when a page's bookkeeping share is above this")
    a = ap.parse_args(argv)
    pages = a.pages or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
    over = []
    for p in pages:
        s = shares(p)
        print(
            f"{p.stem}: {s['bookkeeping']} bookkeeping of {s['bookkeeping'] + s['content']} code lines "
            f"({s['share']:.0%})"
        )
        if a.max is not None and s["share"] > a.max:
            over.append(p.stem)
    if over:
        print(f"above {a.max:.0%}: {', '.join(over)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
