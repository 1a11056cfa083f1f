"""The paper quoted, not paraphrased (dmlvae.experiments.quotes): every quote is in the paper's text word for word,
every silence's words are absent from it, and every sentence of the pages about what the paper says carries a
quote, or says that it is our assumption or inference."""

import glob
import re
from pathlib import Path

import jupytext
import pytest

from dmlvae import errors
from dmlvae.experiments import quotes

ROOT = Path(__file__).resolve().parents[2]
HEADER = 6  # tests/data/paper.txt's own lines before the paper's text


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="module")
def paper_text():
    lines = (ROOT / "tests" / "data" / "paper.txt").read_text().splitlines()
    assert all(line.startswith("# ") for line in lines[:HEADER]) and not lines[HEADER].startswith("# ")
    return _norm("\n".join(lines[HEADER:]))


def test_every_quote_is_in_the_paper_word_for_word(paper_text):
    missing = [q.key for q in quotes.QUOTES.values() if _norm(q.text) not in paper_text]
    assert not missing, f"not verbatim in the paper's text: {missing}"
    # the check is not vacuous: a paraphrase of a true quote is not in the text
    assert _norm("The learning rate is set to 0.001 in each experiment.") not in paper_text


def test_every_silence_is_absent_from_the_paper(paper_text):
    said = {s.key: [w for w in s.absent if w.lower() in paper_text.lower()] for s in quotes.SILENCES.values()}
    assert not any(said.values()), said
    assert "mnist" in paper_text.lower()  # the search itself finds words that are there


def test_an_unknown_quote_is_one_error_naming_the_allowed_ones():
    with pytest.raises(errors.DmlvaeError, match=r"unknown quote 'nope'; allowed: .*\blr\b"):
        quotes.quote("nope")
    with pytest.raises(errors.DmlvaeError, match=r"unknown silence 'nope'; allowed: .*optimiser"):
        quotes.silence("nope")
    assert quotes.says("lr") == (
        "The paper says “The learning rate is thus set to 0.001 in each experiment.” (Learning Rate (lr))."
    )


# A sentence is about what the paper says when it names the paper (or its text, tables, algorithms) and a verb of
# saying or leaving out. Each must carry a quoted fragment of a quote object (three words at least), a silence
# (its ``md()``), or say that it is our assumption or inference.
ABOUT = re.compile(
    r"\b(the paper|its text)\b[^.;]*?\b(says?|states?|reports?|writes?|gives?|leaves|does not|never|names?|"
    r"prints?|puts?|calls?|implies)\b",
    re.I,
)
OURS = re.compile(r"\b(we assume|we infer|our reading|our assumption|our inference)\b", re.I)
QUOTED = re.compile(r"[“\"]([^”\"]{8,}?)[”\"]")


def _sentences(text: str):
    """The sentences of a page's Markdown: each table row is one, headings are left out."""
    for block in re.split(r"\n\s*\n", text):
        lines = [line for line in block.splitlines() if not line.lstrip().startswith("#")]
        yield from (line for line in lines if line.lstrip().startswith("|"))
        prose = " ".join(line for line in lines if not line.lstrip().startswith("|"))
        yield from re.split(r"(?<=[.!?])\s+(?=[A-Z*`(])", _norm(prose))


def _page_texts():
    for src in sorted(glob.glob(str(ROOT / "notebooks" / "*.py"))):
        nb = jupytext.read(src)
        yield Path(src).name, "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for src in sorted(glob.glob(str(ROOT / "book" / "*.md"))):
        yield Path(src).name, Path(src).read_text()


def unquoted(text: str) -> list[str]:
    """The sentences of ``text`` about what the paper says that carry no quote object, silence or "we assume"."""
    texts = [_norm(q.text) for q in quotes.QUOTES.values()]
    bad = []
    for s in _sentences(text):
        if not ABOUT.search(s) or OURS.search(s) or any(x.md() in s for x in quotes.SILENCES.values()):
            continue
        frags = [f for f in QUOTED.findall(s) if len(f.split()) >= 3]
        if not any(any(_norm(f) in t for t in texts) for f in frags):
            bad.append(s)
    return bad


def test_the_check_catches_a_paraphrase_and_passes_a_quote():
    assert unquoted("The paper says the rate is 0.001 in every run.")
    assert unquoted('The paper says "the rate is 0.001 in every run".')  # quoted, but not the paper's words
    assert not unquoted("The paper says “The learning rate is thus set to 0.001 in each experiment.”")
    assert not unquoted("The paper does not say which; we assume the mean.")
    assert not unquoted(f"On that point {quotes.silence('optimiser').md()}.")
    assert unquoted("On that point the paper does not give its optimiser (its text has no “Adam”).")  # not all


def test_every_page_sentence_about_the_paper_carries_a_quote():
    bad = {name: unquoted(text) for name, text in _page_texts()}
    bad = {k: v for k, v in bad.items() if v}
    assert not bad, bad


def test_the_generated_label_counts_quote_the_paper_or_say_we_assume():
    from dmlvae.experiments import paper

    notes = {t: paper.label_count_note(t) for t in paper.TABLES}
    assert not [n for n in notes.values() if unquoted(n)]
    assert quotes.quote("labels-few").text in notes[1] and "we assume" not in notes[1]
    # OrganAMNIST's counts are ours: the paper states only its total number of samples
    assert "we assume MedMNIST v2's 34,581 training images" in notes[2] and "3, 35, 3,458 labels" in notes[2]
    assert quotes.quote("samples").text in notes[3]


def test_single_runs_are_said_to_be_our_inference():
    texts = dict(_page_texts())
    said = [s for text in texts.values() for s in _sentences(text) if "single run" in s and not OURS.search(s)]
    assert not said, said


def test_every_claim_of_the_scorecard_stands_on_quotes():
    from dmlvae.analysis import scorecard

    assert set(quotes.CLAIM_QUOTES) == {c.number for c in scorecard.CLAIMS}
    assert all(quotes.quote(k) for keys in quotes.CLAIM_QUOTES.values() for k in keys)
