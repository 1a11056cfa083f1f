"""The pages as a papermill user meets them: every jupytext source has an output-free .ipynb twin in sync
(`make notebooks` re-syncs them), and the papermill CLI runs a page with a parameter."""

import json
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
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


def test_every_page_checks_every_parameter_it_declares():
    """pages.check flags an injected name the page did not pass it, so each page must pass all of its own: through
    its Page (which reads pages.PARAMETERS[page], the same names in the same order as the parameters cell) or by
    calling pages.check with each."""
    import ast

    import jupytext

    from dmlvae import pages

    for p in sorted((ROOT / "notebooks").glob("*.py")):
        nb = jupytext.read(p)
        params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
        declared = tuple(t.id for n in ast.parse(params.source).body if isinstance(n, ast.Assign) for t in n.targets)
        assert pages.PARAMETERS[p.stem] == declared, p.stem
        checked, opened = set(), False
        for c in nb.cells:
            if c.cell_type != "code":
                continue
            for n in ast.walk(ast.parse(c.source)):
                if isinstance(n, ast.Call) and getattr(n.func, "value", None) is not None:
                    if getattr(n.func, "attr", None) == "check" and getattr(n.func.value, "id", None) == "pages":
                        checked |= {k.arg for k in n.keywords}
                    if getattr(n.func, "attr", None) == "Page" and getattr(n.func.value, "id", None) == "pages":
                        opened = (
                            ast.literal_eval(n.args[0]) == p.stem and getattr(n.args[1].func, "id", "") == "globals"
                        )
        assert opened or set(declared) == checked, (p.stem, set(declared) ^ checked)


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


def test_the_page_object_reads_checks_and_resolves_a_pages_parameters(tmp_path, monkeypatch):
    """Page(name, namespace): the page's own parameters read from its namespace; an injected name it does not declare
    stops it naming the name; auto is the paper profile from the shipped rows, training nothing; the re-run note
    names the CLI command of each sweep; a run missing under auto is named, not trained."""
    from dmlvae import errors, pages

    monkeypatch.setattr(pages.page, "_first_names", None)
    ns = {
        "profile": "auto",
        "seeds": None,
        "dataset": None,
        "device": None,
        "results": str(tmp_path / "r.jsonl"),
        "workers": None,
        "lsdim": 10,
        "alpha": 0.5,
        "segments": 8,
    }
    page = pages.Page("10_geodesic", ns)
    assert (page.profile, page.seeds, page.seed_list, page.p.lsdim) == ("paper", 3, [0, 1, 2], 10)
    assert str(page.results) == str(tmp_path / "r.jsonl")
    note = page.note(("geodesic", {"lsdim": 10})).data
    assert "python -m dmlvae sweep --grid geodesic --grid-param lsdim=10 --profile paper --seeds 3" in note
    with pytest.raises(errors.MissingRuns, match="auto"):
        page.rows("geodesic", [{"dataset": "digits", "model": "dml"}])
    assert not (tmp_path / "r.jsonl").exists()  # nothing trained
    monkeypatch.setattr(pages.page, "_first_names", None)
    with pytest.raises(errors.DmlvaeError, match="unknown page parameter.*'lsdimm'"):
        pages.Page("10_geodesic", {**ns, "lsdimm": 3})
    monkeypatch.setattr(pages.page, "_first_names", None)
    with pytest.raises(errors.DmlvaeError, match="alpha"):
        pages.Page("10_geodesic", {**ns, "alpha": 0})
    with pytest.raises(errors.DmlvaeError, match="unknown page '11_x'"):
        pages.Page("11_x", ns)


def test_a_pages_note_runs_each_paper_table_on_the_dataset_the_page_shows(monkeypatch, tmp_path):
    """Table 1 on MNIST (no --dataset); Table 2 on the stand-in where OrganAMNIST cannot be loaded, and on the
    page's dataset when one is given."""
    from dmlvae import pages

    monkeypatch.setattr(pages.page, "_first_names", None)
    ns = {
        "profile": "smoke",
        "seeds": 1,
        "dataset": None,
        "stand_in": "digits",
        "device": None,
        "results": None,
        "workers": None,
    }
    monkeypatch.setenv("DMLVAE_DATA", str(tmp_path))  # an empty data directory: no OrganAMNIST
    note = pages.Page("02_autoencoder", ns).note((1, {}), (2, {})).data
    assert "sweep --table 1 --profile smoke --seeds 1`" in note
    assert "sweep --table 2 --dataset digits --profile smoke --seeds 1`" in note
    monkeypatch.setattr(pages.page, "_first_names", None)
    note = pages.Page("02_autoencoder", {**ns, "dataset": "fashion-mnist"}).note((1, {}), (2, {})).data
    assert "--table 1 --dataset fashion-mnist" in note and "--table 2 --dataset fashion-mnist" in note
