"""Every exercise on the proposals' pages: its solution passes its check, and the empty answer does not."""

import contextlib
import io
from pathlib import Path

import jupytext
import pytest

from dmlvae.pages import exercises

ROOT = Path(__file__).resolve().parents[2]
PAGES = ("02_autoencoder", "03_priors", "04_mvae")
PREDICT_PAGES = ("01_dml", "05_beyond", "08_walkthrough", "10_geodesic")  # only predict-then-run exercises


def cells(page, tag=None):
    nb = jupytext.read(ROOT / "notebooks" / f"{page}.py")
    code = [c for c in nb.cells if c.cell_type == "code"]
    return [c.source for c in code if (tag in c.metadata.get("tags", [])) == (tag is not None)]


def run(source):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(source, "<cell>", "exec"), {})
    return out.getvalue()


SOLUTIONS = [(p, i) for p in PAGES + PREDICT_PAGES for i in range(len(cells(p, "solution")))]


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


def test_a_predict_then_run_exercise_checks_prediction_and_reason_before_explaining():
    from dmlvae.pages import exercises

    ok, msg = exercises.check_mining_active("lower", "a")
    assert not ok and "margin" not in msg and "hardest" not in msg  # a wrong prediction gets no explanation
    ok, msg = exercises.check_mining_active("higher", "b")
    assert not ok and "reason is not" in msg
    assert exercises.check_mining_active("higher", "a")[0]
    assert not exercises.check_mining_active(None, None)[0]
    text = (ROOT / "notebooks" / "01_dml.py").read_text()
    stub = text[text.index("{exercise} Predict, then run") : text.index("{solution-start} ex-mining-active")]
    assert '"higher", "a"' not in stub  # no answer printed near the exercise


def test_the_mining_experiment_shows_what_the_right_answer_says():
    from dmlvae.core.config import RunConfig
    from dmlvae.core.train import run as train_run

    last = {
        m: train_run(RunConfig(dataset="digits", model="dml", pl_pct=10, epochs=2, mining=m))["history"][-1][
            "active_triplets"
        ]
        for m in ("all", "hard")
    }
    assert last["hard"] > last["all"]


def test_a_check_prints_its_verdict_once_in_a_notebook(capsys):
    """The verdict is printed, and the returned (ok, message) is not displayed again as the cell's value."""
    from IPython.core.formatters import DisplayFormatter

    from dmlvae.pages import exercises

    v = exercises.check_alpha_one(None)
    assert v == (False, "set prediction to 'same' or 'different'")
    assert capsys.readouterr().out == "Not yet: set prediction to 'same' or 'different'\n"
    assert DisplayFormatter().format(v) == ({}, {})  # IPython shows nothing for it


PREDICT_THEN_RUN = ("01_dml", "02_autoencoder", "03_priors", "04_mvae", "05_beyond", "08_walkthrough", "10_geodesic")


@pytest.mark.parametrize("page", PREDICT_THEN_RUN)
def test_every_page_the_issue_names_has_a_predict_then_run_exercise_with_no_answer_near_it(page):
    from dmlvae.pages import exercises

    text = (ROOT / "notebooks" / f"{page}.py").read_text()
    assert "{exercise} Predict, then run" in text
    for name, q in exercises.PREDICTIONS.items():
        if f'check_prediction("{name}"' not in text:
            continue
        stub = text[text.index(f":label: ex-{name}") : text.index(f"{{solution-start}} ex-{name}")]
        assert f'"{q["answer"]}", "{q["reason"]}"' not in stub and q["why"] not in stub
        # the page's question offers exactly the registry's choices and reasons, word for word: the two copies
        # cannot drift apart (check_prediction reads the registry's)
        flat = " ".join(line.lstrip("# ").strip() for line in stub.splitlines())
        assert all(f'`"{k}"`: {v}' in flat for k, v in q["reasons"].items()), name
        assert all(f'`"{c}"`' in flat for c in q["choices"]), name


@pytest.mark.parametrize("name", exercises.PREDICTIONS)
def test_a_prediction_is_checked_before_its_reason_and_explained_only_when_both_are_right(name):
    from dmlvae.pages import exercises

    q = exercises.PREDICTIONS[name]
    wrong = next(c for c in q["choices"] if c != q["answer"])
    other = next(k for k in q["reasons"] if k != q["reason"])
    for prediction, reason in ((wrong, q["reason"]), (wrong, other)):
        ok, msg = exercises.check_prediction(name, prediction, reason)
        assert not ok and "prediction is not it" in msg and q["why"] not in msg
    ok, msg = exercises.check_prediction(name, q["answer"], other)
    assert not ok and "reason is not" in msg and q["why"] not in msg
    assert not exercises.check_prediction(name, None, None)[0]
    ok, msg = exercises.check_prediction(name, q["answer"], q["reason"])
    assert ok and q["why"] in msg


@pytest.mark.parametrize("name", exercises.PREDICTIONS)
def test_each_experiment_shows_what_its_right_answer_says(name, capsys):
    from dmlvae.pages import exercises

    assert exercises.experiment(name) == exercises.PREDICTIONS[name]["answer"]
    assert capsys.readouterr().out.strip()  # it says what it measured
