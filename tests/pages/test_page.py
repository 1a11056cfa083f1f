"""The page object (dmlvae.pages.page): a page's parameters checked, its profile and seeds, its note, its rows."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


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


def test_a_back_end_result_is_computed_once_per_page_and_kept_by_the_page(tmp_path):
    import gc
    import weakref

    import fakes

    from dmlvae.pages.page import cached

    calls = []

    @cached
    def rows(page, which):
        calls.append((id(page), which))
        return [which]

    a, b = fakes.shipped_page("07_scorecard"), fakes.shipped_page("07_scorecard")
    assert rows(a, 1) is rows(a, 1) and rows(a, 2) == [2] and rows(b, 1) == [1]
    assert calls == [(id(a), 1), (id(a), 2), (id(b), 1)]
    gone = weakref.ref(a)
    del a
    gc.collect()
    assert gone() is None  # no cache outside the page holds it (an lru_cache on pages would)
