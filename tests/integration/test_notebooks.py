"""The pages as a papermill user meets them: every jupytext source has an output-free .ipynb twin in sync
(`make notebooks` re-syncs them), and the papermill CLI runs a page with a parameter."""

import json
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted((ROOT / "notebooks").glob("*.py"))


def _cells(nb):
    return [(c.cell_type, c.source.strip(), sorted(c.metadata.get("tags", []))) for c in nb.cells]


@pytest.mark.parametrize("source", SOURCES, ids=[s.stem for s in SOURCES])
def test_every_page_has_an_output_free_ipynb_in_sync(source):
    twin = source.with_suffix(".ipynb")
    assert twin.exists(), f"{twin.name} is missing: run `make notebooks`"
    nb = nbformat.read(twin, as_version=4)
    assert _cells(nb) == _cells(jupytext.read(source)), f"{twin.name} is out of sync: run `make notebooks`"
    for c in nb.cells:
        if c.cell_type == "code":
            assert c.outputs == [] and c.execution_count is None, f"{twin.name} holds outputs"
    assert "ipynb,py:percent" in source.read_text().split("# ---", 2)[1]


def test_papermill_cli_runs_a_page_with_a_parameter(tmp_path):
    out = tmp_path / "out.ipynb"
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "papermill",
            str(ROOT / "notebooks" / "00_data.ipynb"),
            str(out),
            "-p",
            "dataset",
            "digits",
            "-p",
            "per_class",
            "2",
            "--cwd",
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert p.returncode == 0, p.stderr[-2000:]
    nb = nbformat.read(out, as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and 'dataset = "digits"' in injected[0].source
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "digits: 10 classes" in text


@pytest.mark.parametrize("page, typo", [("01_dml", "lsdimm"), ("00_data", "datset")])
def test_a_misspelt_papermill_parameter_stops_the_page_before_it_runs(tmp_path, page, typo):
    """Through pages.check (01) and through the Page object (00) alike."""
    import papermill

    with pytest.raises(papermill.PapermillExecutionError, match=f"unknown page parameter.*'{typo}'.*this page takes"):
        papermill.execute_notebook(
            str(ROOT / "notebooks" / f"{page}.ipynb"),
            str(tmp_path / "o.ipynb"),
            parameters={typo: 3},
            kernel_name="python3",
            progress_bar=False,
        )


def test_a_page_by_default_shows_the_shipped_paper_rows_and_trains_nothing(tmp_path):
    """The pages' default profile is auto: papermill with no parameter reads results/paper.jsonl; where a run is
    missing it stops, naming the two profiles that get it, rather than train for hours."""
    import nbformat
    import papermill

    out = tmp_path / "o.ipynb"
    papermill.execute_notebook(
        str(ROOT / "notebooks" / "06_assumptions.ipynb"),
        str(out),
        kernel_name="python3",
        progress_bar=False,
        cwd=str(ROOT),
    )
    text = json.dumps(nbformat.read(out, as_version=4).cells)
    assert "the `paper` profile" in text and "-p profile paper" in text
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with pytest.raises(
        papermill.PapermillExecutionError,
        match=r"MissingRuns.*trains nothing: re-run it with -p "
        r"profile quick .* or -p profile paper",
    ):
        papermill.execute_notebook(
            str(ROOT / "notebooks" / "06_assumptions.ipynb"),
            str(tmp_path / "o2.ipynb"),
            parameters={"results": str(empty)},
            kernel_name="python3",
            progress_bar=False,
            cwd=str(ROOT),
        )
