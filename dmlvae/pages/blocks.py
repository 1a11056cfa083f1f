"""Blocks a page's Markdown is built from: the answer box that opens a result page, and a toggle that folds what a
reader opens on demand (a list of generated sentences, a long table). Both are HTML that the book's Markdown
renderer (CommonMark) passes through, with Markdown inside: each HTML line is its own block, separated from the
Markdown by blank lines."""

from __future__ import annotations

import html

from IPython.display import Markdown

ANSWER_TITLE = "What this page finds"


def answer_box(sentences, title: str = ANSWER_TITLE) -> Markdown:
    """The short box a result page opens with: ``sentences`` (two or three generated from the rows; empty ones
    dropped) under ``title``, as the book's theme draws a tip."""
    body = " ".join(s.strip() for s in sentences if s and s.strip())
    if not body:
        raise ValueError("an answer box needs at least one sentence")
    return Markdown(
        f'<div class="admonition tip dmlvae-answer">\n<p class="admonition-title">{html.escape(title)}</p>\n\n'
        f"{body}\n\n</div>"
    )


def toggle(summary: str, markdown: str) -> str:
    """``markdown`` (or an HTML table) folded behind a toggle whose closed line reads ``summary``."""
    return f'<details class="dmlvae-toggle">\n<summary>{html.escape(summary)}</summary>\n\n{markdown}\n\n</details>'
