"""The page blocks (dmlvae.pages.blocks): the answer box and the toggle, as the book's Markdown renderer gets them."""

import pytest
from markdown_it import MarkdownIt

from dmlvae.pages import blocks


def _render(text: str) -> str:
    return MarkdownIt("commonmark").render(text)  # the renderer myst-nb uses for a Markdown output


def test_the_answer_box_is_a_titled_tip_whose_sentences_are_rendered_as_markdown():
    box = blocks.answer_box(["**Yes.** Under `test-cv` it helps.", "", "  It meets 1 of 5 targets. "], "A & B")
    out = _render(box.data)
    assert out.startswith('<div class="admonition tip dmlvae-answer">')
    assert '<p class="admonition-title">A &amp; B</p>' in out  # the title escaped, not read as HTML
    assert "<strong>Yes.</strong> Under <code>test-cv</code> it helps. It meets 1 of 5 targets." in out
    assert out.rstrip().endswith("</div>")
    assert blocks.ANSWER_TITLE in blocks.answer_box(["x"]).data
    with pytest.raises(ValueError, match="at least one sentence"):
        blocks.answer_box(["", " "])


def test_the_toggle_folds_rendered_markdown_behind_its_summary():
    out = _render(blocks.toggle("28 <sentences>", "- **one**\n- two"))
    assert out.startswith('<details class="dmlvae-toggle">\n<summary>28 &lt;sentences&gt;</summary>')
    assert "<li><strong>one</strong></li>" in out and out.rstrip().endswith("</details>")


def test_a_claims_source_and_its_verdicts_in_words():
    import pandas as pd

    assert blocks._source("4 (Table 3; stand-in fashion-mnist)") == "Table 3 (stand-in fashion-mnist)"
    assert blocks._source("7 (Table 4, pixel-mean)") == "Table 4, pixel-mean"

    def two(a, b):
        return pd.DataFrame(
            {"asked": ["test-cv", "labelled-to-test"], "protocol": ["test-cv", "labelled-to-test"], "verdict": [a, b]}
        )

    assert (
        blocks._protocols_said(two("reproduced", "partly"))
        == "reproduced under `test-cv`, partly under `labelled-to-test`"
    )
    assert blocks._protocols_said(two("reproduced", "reproduced")) == "reproduced under both protocols"
    assert blocks._protocols_said(two("not reproduced", "not reproduced")) == "not reproduced under either protocol"
    free = pd.DataFrame(
        {"asked": ["test-cv", "labelled-to-test"], "protocol": ["any", "any"], "verdict": ["reproduced"] * 2}
    )
    assert blocks._protocols_said(free) == "reproduced"  # evidence that needs no protocol: one verdict
