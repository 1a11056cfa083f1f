"""Page 09's back-end (dmlvae.pages.teaching): each executed page's time from papermill's metadata, the lessons."""

import nbformat
import pytest

from dmlvae import DmlvaeError, pages


def _executed(folder, name, seconds, params=None):
    nb = nbformat.v4.new_notebook()
    nb.metadata["papermill"] = {"duration": seconds}
    nb.metadata["dmlvae"] = {"parameters": params or {}}
    nbformat.write(nb, folder / f"{name}.ipynb")


def test_page_runs_read_each_pages_duration_and_parameters(tmp_path):
    _executed(tmp_path, "00_data", 61.4)
    _executed(tmp_path, "01_dml", 150.0, {"seed": 1})
    _executed(tmp_path, "01_dml.failed", 3.0)  # a failed execution is not a page
    runs = pages.teaching.page_runs(tmp_path)
    assert list(runs.index) == ["00_data", "01_dml"]
    assert runs.loc["01_dml", "last execution (s)"] == 150 and runs.loc["01_dml", "parameters"] == "seed=1"
    assert runs.loc["00_data", "runs"] == "trains nothing"
    html = pages.teaching.lessons(runs).data
    assert "<b>01_dml</b>" in html and "about 2 min" in html and "about 1 min" in html


def test_no_executed_page_and_a_page_without_a_lesson_are_named(tmp_path):
    with pytest.raises(DmlvaeError, match="holds no executed pages"):
        pages.teaching.page_runs(tmp_path)
    _executed(tmp_path, "99_new", 10.0)
    with pytest.raises(DmlvaeError, match=r"pages without a lesson: \['99_new'\]"):
        pages.teaching.lessons(pages.teaching.page_runs(tmp_path))
