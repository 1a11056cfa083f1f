"""The book's executor: bad parameters are refused up front, a failing page names notebook and cell."""
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
EXECUTE = [sys.executable, str(ROOT / "tools" / "execute_notebooks.py")]


def test_unknown_parameter_and_notebook_are_refused(tmp_path):
    p = subprocess.run(EXECUTE + ["-p", "sedes", "3", "--out", str(tmp_path)], capture_output=True, text=True)
    assert p.returncode == 2 and "sedes" in p.stderr and "seeds" in p.stderr
    p = subprocess.run(EXECUTE + ["--only", "99_none", "--out", str(tmp_path)], capture_output=True, text=True)
    assert p.returncode == 2 and "99_none" in p.stderr and "00_data" in p.stderr
    p = subprocess.run(EXECUTE + ["--profile", "huge", "--out", str(tmp_path)], capture_output=True, text=True)
    assert p.returncode == 2 and "huge" in p.stderr and "smoke, quick, paper" in p.stderr
    assert not list(tmp_path.iterdir())


def test_bad_page_parameter_fails_naming_notebook_and_cell_then_good_one_is_cached(tmp_path):
    """A value that passes the up-front checks but fails inside the page (a dataset missing from an empty data
    directory) names the notebook and the cell."""
    empty = tmp_path / "empty"
    empty.mkdir()
    out = tmp_path / "out"
    p = subprocess.run(EXECUTE + ["--only", "00_data", "-p", "dataset", "organamnist", "-p", "data_dir", str(empty),
                                  "--out", str(out)], capture_output=True, text=True, timeout=600)
    assert p.returncode == 1
    assert "notebooks/00_data.py, cell" in p.stderr and "DmlvaeError: dataset 'organamnist' not found" in p.stderr
    assert (out / "00_data.failed.ipynb").exists() and not (out / "00_data.ipynb").exists()
    args = EXECUTE + ["--only", "00_data", "-p", "dataset", "digits", "--out", str(out)]
    p = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    nb = nbformat.read(out / "00_data.ipynb", as_version=4)
    assert nb.metadata["dmlvae"]["parameters"] == {"dataset": "digits"}
    assert not (out / "00_data.failed.ipynb").exists()
    again = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert "unchanged, not re-executed" in again.stdout


def _executor():
    import importlib.util
    spec = importlib.util.spec_from_file_location("execute_notebooks", ROOT / "tools" / "execute_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_profile_auto_uses_the_shipped_pages_only_when_every_one_runs_without_training(tmp_path, monkeypatch):
    import os
    ex = _executor()
    monkeypatch.setattr(ex, "OUT", tmp_path / "generated")
    sources = sorted(ex.SOURCES.glob("*.py"))
    seen = []

    def fake(fail_on):
        def execute(source, params, force, fingerprint, out, quiet=False):
            seen.append((source.stem, params["profile"], os.environ.get("DMLVAE_NO_TRAIN")))
            if source.stem == fail_on:
                return False
            nbformat.write(nbformat.v4.new_notebook(), Path(out) / f"{source.stem}.ipynb")
            return True
        return execute
    monkeypatch.setattr(ex, "execute", fake("05_beyond"))
    assert not ex.shipped_is_complete(sources, {}, "fp")
    assert not (tmp_path / "generated").exists() and "DMLVAE_NO_TRAIN" not in os.environ
    assert all(p == "paper" and flag == "1" for _, p, flag in seen)
    assert "00_data" not in {s for s, _, _ in seen}  # a page without a profile is not part of the check
    monkeypatch.setattr(ex, "execute", fake(None))
    assert ex.shipped_is_complete(sources, {}, "fp")
    assert (tmp_path / "generated" / "07_scorecard.ipynb").exists()
