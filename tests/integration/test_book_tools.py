"""The book's executor: bad parameters are refused up front, a failing page names notebook and cell."""

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
EXECUTE = [sys.executable, str(ROOT / "tools" / "execute_notebooks.py")]


def test_unknown_parameter_and_notebook_are_refused(tmp_path):
    p = subprocess.run(EXECUTE + ["-p", "sedes", "3", "--out", str(tmp_path)], capture_output=True, text=True)
    assert p.returncode == 2 and "sedes" in p.stderr and "seeds" in p.stderr
    p = subprocess.run(EXECUTE + ["--only", "99_none", "--out", str(tmp_path)], capture_output=True, text=True)
    assert p.returncode == 2 and "99_none" in p.stderr and "00_data" in p.stderr
    p = subprocess.run(EXECUTE + ["--profile", "huge", "--out", str(tmp_path)], capture_output=True, text=True)
    assert p.returncode == 2 and "huge" in p.stderr and "smoke, quick, paper" in p.stderr
    p = subprocess.run(EXECUTE + ["--jobs", "0", "--out", str(tmp_path)], capture_output=True, text=True)
    assert p.returncode == 2 and "--jobs 0" in p.stderr and "1 or more" in p.stderr
    assert not list(tmp_path.iterdir())


def test_bad_page_parameter_fails_naming_notebook_and_cell_then_good_one_is_cached(tmp_path):
    """A value that passes the up-front checks but fails inside the page (a dataset missing from an empty data
    directory) names the notebook and the cell."""
    empty = tmp_path / "empty"
    empty.mkdir()
    out = tmp_path / "out"
    p = subprocess.run(
        EXECUTE
        + ["--only", "00_data", "-p", "dataset", "organamnist", "-p", "data_dir", str(empty), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert p.returncode == 1
    assert "notebooks/00_data.py, cell" in p.stderr and "DmlvaeError: dataset 'organamnist' not found" in p.stderr
    assert (out / "00_data.failed.ipynb").exists() and not (out / "00_data.ipynb").exists()
    times = tmp_path / "times.tsv"
    args = EXECUTE + ["--only", "00_data", "-p", "dataset", "digits", "--out", str(out), "--times", str(times)]
    p = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    label, seconds = times.read_text().splitlines()[0].split("\t")  # the page's time, as `make book` records it
    assert label == "page 00_data" and 0 < float(seconds) < 600
    nb = nbformat.read(out / "00_data.ipynb", as_version=4)
    assert nb.metadata["dmlvae"]["parameters"] == {"dataset": "digits"}
    folded = [c for c in nb.cells if "hide-cell" in c.metadata.get("tags", [])]  # the parameter cells, folded
    assert {t for c in folded for t in c.metadata["tags"]} >= {"parameters", "injected-parameters"}
    assert not (out / "00_data.failed.ipynb").exists()
    again = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert "unchanged, not re-executed" in again.stdout


def _executor():
    import importlib.util

    spec = importlib.util.spec_from_file_location("execute_notebooks", ROOT / "tools" / "execute_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("jobs", [1, 2])
def test_profile_auto_takes_the_shipped_results_page_by_page(tmp_path, monkeypatch, capsys, jobs):
    """Each profile-taking page is pre-run under paper without training: those that succeed are the book's,
    one that lacks runs (MissingRuns) is left to quick, and any other error fails the build; the same with the
    pages executed two at a time (``--jobs 2``, make book's default on 2 cores)."""
    import os

    from papermill.exceptions import PapermillExecutionError

    ex = _executor()
    monkeypatch.setattr(ex, "JOBS", jobs)
    monkeypatch.setattr(ex, "OUT", tmp_path / "generated")
    sources = sorted(ex.SOURCES.glob("*.py"))
    seen = []

    def fake(fail_on, ename="MissingRuns"):
        def execute(source, params, force, fingerprint, out, raise_errors=False):
            seen.append((source.stem, params["profile"], os.environ.get("DMLVAE_NO_TRAIN"), raise_errors))
            if source.stem == fail_on:
                raise PapermillExecutionError(3, 3, "", ename, "2 of 320 runs of beyond (paper) are missing", [])
            nbformat.write(nbformat.v4.new_notebook(), Path(out) / f"{source.stem}.ipynb")
            return True

        return execute

    monkeypatch.setattr(ex, "execute", fake("05_beyond"))
    shipped = ex.shipped_pages(sources, {}, "fp")
    taking = {s.stem for s in sources if ex.takes_profile(s)}
    assert {s.stem for s in shipped} == taking - {"05_beyond"} and "10_geodesic" in taking
    assert {p.stem for p in (tmp_path / "generated").iterdir()} == taking - {"05_beyond"}
    assert "DMLVAE_NO_TRAIN" not in os.environ
    assert all(p == "paper" and flag == "1" and raising for _, p, flag, raising in seen)
    assert {s for s, *_ in seen} == taking and "00_data" not in taking  # a page without a profile is not pre-run
    out = capsys.readouterr().out
    assert "05_beyond.py takes the quick profile: 2 of 320 runs of beyond (paper) are missing" in out
    assert "from the quick profile: 05_beyond" in out
    monkeypatch.setattr(ex, "execute", fake("07_scorecard", ename="KeyError"))
    with pytest.raises(SystemExit, match="07_scorecard.py, cell 3: KeyError"):
        ex.shipped_pages(sources, {}, "fp")
    assert "DMLVAE_NO_TRAIN" not in os.environ


def test_a_page_lacking_runs_fails_with_missing_runs_under_no_train(tmp_path):
    """The pre-run's signal is real: the geodesic page under paper with an empty results file raises
    MissingRuns (not some other error), through papermill."""
    import os

    ex = _executor()
    from papermill.exceptions import PapermillExecutionError

    source = ex.SOURCES / "10_geodesic.py"
    os.environ["DMLVAE_NO_TRAIN"] = "1"
    try:
        ex.execute(
            source,
            {"profile": "paper", "results": str(tmp_path / "none.jsonl")},
            True,
            "fp",
            tmp_path,
            raise_errors=True,
        )
    except PapermillExecutionError as e:
        assert e.ename == "MissingRuns" and "DMLVAE_NO_TRAIN" in e.evalue
    else:
        raise AssertionError("the page trained nothing and did not fail")
    finally:
        del os.environ["DMLVAE_NO_TRAIN"]
    assert not list(tmp_path.glob("*.ipynb"))


def test_ship_quick_rows_tool_names_what_its_source_lacks(tmp_path):
    src = tmp_path / "quick.jsonl"
    src.write_text("")
    p = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tools" / "ship_quick_rows.py"),
            "--src",
            str(src),
            "--dst",
            str(tmp_path / "out.jsonl"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 1 and "Table 1: 60 of 60" in p.stderr and "Figure 6: 8 of 8" in p.stderr
    assert not (tmp_path / "out.jsonl").exists()


def test_the_student_edition_has_every_page_and_no_solution(tmp_path):
    import jupytext

    out = tmp_path / "student"
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "student_edition.py"), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    sources = sorted((ROOT / "notebooks").glob("*.py"))
    assert sorted(p.stem for p in out.glob("*.ipynb")) == [p.stem for p in sources]
    for source in sources:
        full = jupytext.read(source)
        nb = nbformat.read(out / f"{source.stem}.ipynb", as_version=4)
        assert not any("solution" in c.metadata.get("tags", []) or "{solution-start}" in c.source for c in nb.cells)
        exercises = sum("{exercise}" in c.source for c in full.cells)
        assert sum("{exercise}" in c.source for c in nb.cells) == exercises  # the exercises stay
        kept = [
            c.source
            for c in full.cells
            if "solution" not in c.metadata.get("tags", [])
            and "{solution-start}" not in c.source
            and "{solution-end}" not in c.source
        ]
        assert [c.source for c in nb.cells] == kept, source.stem


def test_bookkeeping_counts_expressions_as_content_and_everything_else_as_bookkeeping(tmp_path):
    """tools/bookkeeping.py on a small page: the parameters cell and the exercises are not counted, an expression
    statement is content, an import, an assignment, a loop and a definition are bookkeeping (all their lines)."""
    sys.path.insert(0, str(ROOT / "tools"))
    import bookkeeping

    page = tmp_path / "99_x.py"
    page.write_text(
        '# %% tags=["parameters"]\nseed = 0\n\n'
        "# %%\nfrom dmlvae import pages\n\npage = pages.Page('99_x', globals())\npage.note()\n\n"
        "# %%\nfor i in range(2):\n    print(i)\n\n# a comment\nplots.figure(\n    page\n).show()\n\n"
        "# %% [markdown]\n# ## Exercises\n\n# %%\nanswer = None\ncheck(answer)\n"
    )
    s = bookkeeping.shares(page)
    assert (s["bookkeeping"], s["content"]) == (4, 4)  # import, page =, the loop (2); note, the figure call (3)


def test_every_page_is_narrative_plus_one_call_per_table_or_figure():
    """The pages' own bookkeeping is their import line and their page object, plus a live page's runs (01, 08): at
    most 4 lines each, and at most 20 % on every page that shows more than 8 tables, figures or paragraphs."""
    sys.path.insert(0, str(ROOT / "tools"))
    import bookkeeping

    for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py")):
        s = bookkeeping.shares(p)
        assert s["bookkeeping"] <= 4, (p.stem, s)
        if s["content"] > 8:
            assert s["share"] <= 0.2, (p.stem, s)


def test_a_page_is_executed_again_when_the_rows_it_reads_change(tmp_path):
    """The executor's cache key of a page that reads stored runs covers the results stores and saved latents: a row a
    sweep stored makes those pages run again (a cached page would show the old numbers). A page that reads none (00,
    whose cache the test above checks while sweeps may be storing rows) does not depend on them."""
    sys.path.insert(0, str(ROOT / "tools"))
    import execute_notebooks

    results = tmp_path / "results"
    (results / "latents").mkdir(parents=True)
    (results / "paper.jsonl").write_text('{"a": 1}\n')
    before = execute_notebooks.results_fingerprint(results)
    assert execute_notebooks.results_fingerprint(results) == before  # nothing changed: the cache holds
    (results / "paper.jsonl").write_text('{"a": 1}\n{"a": 2}\n')
    after_row = execute_notebooks.results_fingerprint(results)
    (results / "latents" / "x.npz").write_bytes(b"z")
    after_latents = execute_notebooks.results_fingerprint(results)
    assert len({before, after_row, after_latents}) == 3


def test_timed_records_each_step_keeps_its_exit_status_and_reports_pages_under_their_step(tmp_path, monkeypatch):
    import importlib.util

    spec = importlib.util.spec_from_file_location("timed", ROOT / "tools" / "timed.py")
    timed = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(timed)
    monkeypatch.setattr(timed, "RECORD", tmp_path / "times.tsv")
    code = "import time, sys; time.sleep(0.3); sys.exit(3)"
    assert timed.main(["slow step", "--", sys.executable, "-c", code]) == 3  # a failing step still fails the build
    timed.record("page 00_data", 1.5)
    timed.record("page 07_scorecard (paper profile)", 2.25)
    assert timed.main(["pages executed", "--", sys.executable, "-c", "pass"]) == 0
    rows = timed.read()
    assert [label for label, _ in rows] == [
        "slow step",
        "page 00_data",
        "page 07_scorecard (paper profile)",
        "pages executed",
    ]
    assert rows[0][1] >= 0.3
    text = timed.report(rows).splitlines()
    assert text[1].split()[1:3] == ["slow", "step"]
    pages_at = next(i for i, line in enumerate(text) if "pages executed" in line)
    assert "page 00_data" in text[pages_at + 1] and text[pages_at + 1].endswith("1.5")
    assert "(paper profile)" in text[pages_at + 2] and text[pages_at + 2].endswith("2.2")
    total = float(text[-1].split()[-1])  # the steps' total, each page counted once (inside its step)
    assert abs(total - (rows[0][1] + rows[3][1])) < 0.1
    assert timed.main(["--reset"]) == 0 and timed.read() == []


@pytest.mark.parametrize("jobs", [1, 2])
def test_other_work_runs_in_the_pre_run_pool_first_and_its_failure_fails_the_build(tmp_path, monkeypatch, jobs):
    ex = _executor()
    monkeypatch.setattr(ex, "JOBS", jobs)
    monkeypatch.setattr(ex, "OUT", tmp_path / "generated")
    order = []

    def execute(source, params, force, fingerprint, out, raise_errors=False):
        order.append(source.stem)
        nbformat.write(nbformat.v4.new_notebook(), Path(out) / f"{source.stem}.ipynb")
        return True

    monkeypatch.setattr(ex, "execute", execute)
    sources = sorted(ex.SOURCES.glob("*.py"))
    shipped = ex.shipped_pages(sources, {}, "fp", also=[lambda: order.append("other") or True])
    assert "other" in order[:jobs] and len(order) == 1 + len(shipped)  # started first (of two at once: among them)
    with pytest.raises(SystemExit, match="a page or the findings executed beside the pre-run pages"):
        ex.shipped_pages(sources, {}, "fp", also=[lambda: False])


def test_the_pages_run_beside_the_pre_run_ones_train_nothing_and_take_no_profile():
    from dmlvae.pages import teaching

    ex = _executor()
    quiet = {s.stem for s in ex.SOURCES.glob("*.py") if s.stem in ex.QUIET_PAGES}
    assert quiet == ex.QUIET_PAGES == {p for p, runs in teaching.LIVE.items() if runs == "trains nothing"}
    assert not any(ex.takes_profile(ex.SOURCES / f"{p}.py") for p in quiet)
