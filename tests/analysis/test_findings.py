"""The generated findings (dmlvae.analysis.findings): counts and lists from the verdicts, and the README's copy."""

from pathlib import Path

import pandas as pd

from dmlvae.analysis import findings

ROOT = Path(__file__).resolve().parents[2]


def cards(rows):
    return pd.DataFrame(rows, columns=["claim", "asked", "protocol", "verdict", "objective"]).assign(
        literal=lambda d: d.claim.str.contains("pixel-mean"),
        **{"the paper says": lambda d: "model A beats model B", "effect": lambda d: "3 seeds: A - B +0.100"},
    )


def test_summary_counts_each_protocol_and_sorts_claims_into_their_lists():
    c = cards(
        [
            ("1 (Table 1)", "test-cv", "test-cv", "reproduced", "-"),
            ("1 (Table 1)", "labelled-to-test", "labelled-to-test", "not reproduced", "-"),
            ("2 (Table 1)", "test-cv", "test-cv", "not reproduced", "-"),
            ("2 (Table 1)", "labelled-to-test", "labelled-to-test", "not reproduced", "-"),
            ("5 (Figure 5)", "test-cv", "any", "reproduced", "-"),
            ("5 (Figure 5)", "labelled-to-test", "any", "reproduced", "-"),
            ("6 (alternating MVAE)", "test-cv", "test-cv, sampled z", "not reproduced", "image-sum (ours)"),
            ("6 (alternating MVAE)", "labelled-to-test", "test-cv, sampled z", "not reproduced", "image-sum (ours)"),
            ("6 (alternating MVAE, pixel-mean)", "test-cv", "test-cv, sampled z", "reproduced", "pixel-mean"),
            ("6 (alternating MVAE, pixel-mean)", "labelled-to-test", "test-cv, sampled z", "reproduced", "pixel-mean"),
        ]
    )
    text = findings.summary(c)
    assert "the paper's 4 claims" in text and "4 checks" in text
    assert "under `test-cv` 2 reproduced, 0 partly and 2 not reproduced" in text
    assert "under `labelled-to-test` 1 reproduced, 0 partly and 3 not reproduced" in text
    both = (
        "\n  - Model A beats model B ([claim 5](notebooks/07_scorecard.py), Figure 5): reproduced (3 seeds: A - B "
        "+0.100)."
    )
    assert f"both protocols:**{both}\n- **Not" in text  # once: Figure 5's evidence needs no protocol
    either = text.split("either:**")[1].split("\n- ")[0]
    assert either.count("\n  - ") == 2 and "[claim 2]" in either and "[claim 6]" in either  # in claim order
    assert either.index("[claim 2]") < either.index("[claim 6]")
    assert (
        "([claim 1](notebooks/07_scorecard.py), Table 1): reproduced under `test-cv` (3 seeds: A - B +0.100); not "
        "reproduced under `labelled-to-test` (3 seeds: A - B +0.100)." in text.split("depends on the protocol")[1]
    )
    assert "[claim 1](elsewhere.md)" in findings.summary(c, link="elsewhere.md")
    assert "objective as written** (" in text and "): claim 6 (alternating MVAE);" in text


def test_no_literal_line_when_the_literal_objective_reproduces_nothing_more():
    c = cards([("1 (Table 1)", p, p, "reproduced", "-") for p in ("test-cv", "labelled-to-test")])
    assert "objective as written" not in findings.summary(c)


def test_the_readme_opens_with_the_findings_of_the_shipped_rows():
    """Fails when the shipped rows change what the README says: `python -m dmlvae findings --readme README.md`."""
    readme = (ROOT / "README.md").read_text()
    block = findings.in_readme(readme)
    assert block is not None and readme.index(block) < readme.index("```bash")
    want = findings.text(ROOT / "results" / "paper.jsonl", "paper")
    assert block == findings.readme_block(want)


def test_write_readme_replaces_only_the_block(tmp_path):
    f = tmp_path / "README.md"
    f.write_text(f"# x\n\n{findings.readme_block('old')}\n\nrest\n")
    assert findings.write_readme(f, "new") and f.read_text() == f"# x\n\n{findings.readme_block('new')}\n\nrest\n"
    assert not findings.write_readme(f, "new")
