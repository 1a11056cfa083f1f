"""Every exercise on the proposals' pages: its solution passes its check, and the empty answer does not."""
import contextlib
import io
from pathlib import Path

import jupytext
import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = ("02_autoencoder", "03_priors", "04_mvae")


def cells(page, tag=None):
    nb = jupytext.read(ROOT / "notebooks" / f"{page}.py")
    code = [c for c in nb.cells if c.cell_type == "code"]
    return [c.source for c in code if (tag in c.metadata.get("tags", [])) == (tag is not None)]


def run(source):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(source, "<cell>", "exec"), {})
    return out.getvalue()


SOLUTIONS = [(p, i) for p in PAGES for i in range(len(cells(p, "solution")))]


@pytest.mark.parametrize("page", PAGES)
def test_each_proposal_page_has_two_exercises_with_solutions(page):
    assert len(cells(page, "solution")) >= 2
    text = (ROOT / "notebooks" / f"{page}.py").read_text()
    assert text.count("{exercise}") == len(cells(page, "solution")) == text.count("{solution-start}")


@pytest.mark.parametrize("page,i", SOLUTIONS)
def test_solution_passes_its_check(page, i):
    printed = run(cells(page, "solution")[i])
    assert printed.startswith("Right: "), printed


@pytest.mark.parametrize("page", PAGES)
def test_the_empty_answers_are_not_right(page):
    stubs = [s for s in cells(page) if "Your answer" in s or "your answer" in s]
    assert len(stubs) >= 2
    for s in stubs:
        assert run(s).startswith("Not yet: ")
