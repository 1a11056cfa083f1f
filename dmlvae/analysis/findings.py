"""What the reproduction found, in a few generated sentences: the opening of the README and of the book's intro.

Everything here is computed from the scorecard of a results file (``scorecard.claims``), so the summary changes
when the rows do: ``python -m dmlvae findings`` prints it, ``tools/execute_notebooks.py`` writes it for the intro
(``book/generated/findings.md``), and a test checks that the README's copy (between the ``FINDINGS`` markers) is
what the shipped rows give.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from dmlvae.analysis import realistic, scorecard

VERDICTS = ("reproduced", "partly", "not reproduced")
LITERAL = "pixel-mean"  # the claims re-judged under the paper's literal objective carry it in their label
START, END = "<!-- FINDINGS:START (python -m dmlvae findings --readme) -->", "<!-- FINDINGS:END -->"


SCORECARD = "notebooks/07_scorecard.py"  # where a claim's number links to (the README's; the book passes its page)


def cards(results, profile: str = "paper") -> pd.DataFrame:
    """Every claim's verdict under both protocols: claim, the protocol asked (``asked``; a claim that needs no
    protocol is judged the same under both), verdict, what the paper says, the claim's ``effect`` (its size with
    the interval), and ``literal`` (judged under the paper's literal MetricVAE objective rather than ours)."""
    frames = [scorecard.claims(results, profile, p).assign(asked=p) for p in scorecard.PROTOCOLS]
    cols = ["claim", "asked", "protocol", "verdict", "objective", "the paper says", "effect"]
    out = pd.concat(frames, ignore_index=True)[cols]
    out["literal"] = out.claim.str.contains(LITERAL)
    return out


def _where(claim: str) -> str:
    """ "Table 2, on the stand-in fashion-mnist" from "1 (Table 2; stand-in fashion-mnist)"."""
    inner = claim.split("(", 1)[1].rstrip(")") if "(" in claim else claim
    source, _, stand_in = inner.partition(scorecard.STAND_IN)
    return source + (f", on the stand-in {stand_in}" if stand_in else "")


def sentence(claim: str, g: pd.DataFrame, link: str = SCORECARD) -> str:
    """One claim in words: what the paper says (as the scorecard states it), its number linked to the scorecard,
    its source, and its verdict with its effect under each protocol (once when the evidence needs none)."""
    number = re.match(r"\d+", claim).group()
    says = g["the paper says"].iloc[0] if "the paper says" in g else claim
    head = f"{says[0].upper()}{says[1:]} ([claim {number}]({link}), {_where(claim)})"
    rows = g.drop_duplicates("protocol") if (g.protocol == "any").all() else g
    parts = []
    for _, r in rows.drop_duplicates(["protocol", "verdict", "effect"] if "effect" in g else ["protocol"]).iterrows():
        under = "" if r.protocol == "any" else f" under `{r.protocol}`"
        effect = r.get("effect", "-")
        parts.append(f"{r.verdict}{under}" + (f" ({effect})" if isinstance(effect, str) and effect != "-" else ""))
    return f"{head}: " + "; ".join(parts) + "."


def _count(g: pd.DataFrame) -> str:
    n = {v: int((g.verdict == v).sum()) for v in VERDICTS}
    return f"{n['reproduced']} reproduced, {n['partly']} partly and {n['not reproduced']} not reproduced"


def _claims(names) -> str:
    """ "claims 2 (Table 1) and 4 (Table 3)", in claim order; "none"."""
    names = sorted(names, key=lambda c: (int(re.match(r"\d+", c).group()), c))
    if not names:
        return "none"
    return ("claim " if len(names) == 1 else "claims ") + (
        ", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + names[-1]
    )


def _listed(names, c: pd.DataFrame, link: str) -> str:
    """The claims ``names`` as sentences (:func:`sentence`), in claim order, one indented bullet each; "none"."""
    names = sorted(names, key=lambda k: (int(re.match(r"\d+", k).group()), k))
    if not names:
        return " none."
    return "".join(f"\n  - {sentence(k, c[c.claim == k], link)}" for k in names)


def summary(c: pd.DataFrame, profile: str = "paper", link: str = SCORECARD) -> str:
    """The findings in Markdown, from ``cards(...)``: each claim a sentence about the models with its effect and
    interval under each protocol, its number a link to the scorecard (``link``)."""
    ours = c[~c.literal]
    n_checks = ours.claim.nunique()
    n_claims = ours.claim.str.extract(r"^(\d+)")[0].nunique()
    counts = "; ".join(f"under `{p}` {_count(g)}" for p, g in ours.groupby("asked", sort=False))
    both_not = [k for k, g in ours.groupby("claim") if (g.verdict == "not reproduced").all()]
    both_yes = [k for k, g in ours.groupby("claim") if (g.verdict == "reproduced").all()]
    differs = [k for k, g in ours.groupby("claim") if g.verdict.nunique() > 1]
    lit = c[c.literal]
    lit_only = []
    for k, g in lit.groupby("claim"):
        base = k.replace(f", {LITERAL}", "")
        mine = ours[ours.claim == base]
        if (g.verdict == "reproduced").all() and not (mine.verdict == "reproduced").all():
            lit_only.append(base)
    lines = [
        f"**What the reproduction found** (the `{profile}` profile's rows, both evaluation protocols). The "
        f"scorecard checks the paper's {n_claims} claims on each table or figure they are made of: {n_checks} "
        f"checks. Under our reading of the paper's objective, {counts}. A difference claim's size is a seed-paired "
        "difference in kNN accuracy between two models, an at-chance claim's the accuracy minus chance; each a mean "
        "[95 % t-interval] over the seeds named.",
        f"- **Reproduced under both protocols:**{_listed(both_yes, ours, link)}",
        f"- **Not reproduced under either:**{_listed(both_not, ours, link)}",
        f"- **The verdict depends on the protocol** (probes cross-validated on the test latents, `test-cv`, against "
        f"a probe fitted on the labelled images only, `labelled-to-test`):{_listed(differs, ours, link)}",
    ]
    if lit_only:
        lines.append(
            f"- **Reproduced only under the paper's objective as written** (PyTorch's `MSELoss()`, the "
            f"squared error averaged over pixels, beside a summed KL): {_claims(lit_only)}; the "
            "MetricVAE page shows what that objective does to the posterior."
        )
    lines.append(
        "- **Where the paper is wrong or silent** the pages show it with runs: its Monte-Carlo KL "
        "(Algorithm 4 as printed) is not an estimator of the KL (the priors page); what it leaves out "
        "(architectures, epochs, mining, the evaluation protocol) is a named default on the assumptions "
        "page; and the scorecard page tests named causes of the gaps between its numbers and ours."
    )
    return "\n".join(lines)


def text(results, profile: str = "paper", link: str = SCORECARD) -> str:
    """The findings of a results file: :func:`summary` of its scorecard (claim numbers linked to ``link``) and,
    under the paper profile, the line on the realistic protocol (``realistic.headline``) when its graph-grid rows
    are stored, and the levers' line (``realistic.levers_headline_for``) when theirs are."""

    out = summary(cards(results, profile), profile, link)
    if profile != "paper":
        return out
    lines = [line for line in (realistic.headline_for(results), realistic.levers_headline_for(results)) if line]
    return "\n".join([out, *lines])


def readme_block(text: str) -> str:
    return f"{START}\n{text}\n{END}"


def in_readme(readme: str) -> str | None:
    """The findings block of a README's text (markers included), or None."""
    m = re.search(re.escape(START) + r".*?" + re.escape(END), readme, flags=re.S)
    return m.group(0) if m else None


def write_readme(path, text: str) -> bool:
    """Put ``text`` between the README's findings markers (atomically); True when the file changed."""

    path = Path(path)
    old = path.read_text()
    block = in_readme(old)
    if block is None:
        raise ValueError(f"{path} has no findings markers ({START} ... {END})")
    new = old.replace(block, readme_block(text))
    if new == old:
        return False
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(new)
    tmp.replace(path)
    return True
