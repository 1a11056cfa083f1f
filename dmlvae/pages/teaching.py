"""The teaching page: how long each page runs (from the executed pages' papermill metadata) and the lesson plan."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pandas as pd
from IPython.display import HTML

from dmlvae.errors import DmlvaeError

LIVE = {
    "00_data": "trains nothing",
    "01_dml": "trains one DML model",
    "08_walkthrough": "trains DML and the DML autoencoder",
}


def page_runs(generated) -> pd.DataFrame:
    """Per executed page in ``generated`` (``make book``'s output): what it trains, the parameters it ran with and
    how long its last execution took (papermill's metadata)."""

    if not any(Path(generated).glob("[0-9]*.ipynb")):
        raise DmlvaeError(f"generated {str(generated)!r} holds no executed pages; build the book first (make book)")
    rows = []
    for nb_path in sorted(Path(generated).glob("[0-9]*.ipynb")):
        if nb_path.stem.endswith("failed") or nb_path.stem == "09_teaching":
            continue
        nb = nbformat.read(nb_path, as_version=4)
        meta = nb.metadata.get("papermill", {})
        params = nb.metadata.get("dmlvae", {}).get("parameters", {})
        rows.append(
            {
                "page": nb_path.stem,
                "runs": LIVE.get(nb_path.stem, "reads stored runs, trains missing ones"),
                "parameters": ", ".join(f"{k}={v}" for k, v in params.items()) or "defaults",
                "last execution (s)": round(meta["duration"]) if meta.get("duration") else None,
            }
        )
    return pd.DataFrame(rows).set_index("page")


LESSONS = [
    (
        "01_dml",
        "Deep metric learning and its measurement: the triplet loss, its minings, a live run, probes and the "
        "three protocols",
    ),
    (
        "00_data",
        "Semi-supervised data: what 0.01 %, 0.1 % and 10 % labels are, and why 6 labels cannot cover 10 classes",
    ),
    (
        "08_walkthrough",
        "The walkthrough: DML against the DML autoencoder with 60 labels, in class; ask for a prediction first",
    ),
    (
        "02_autoencoder",
        "Proposal 1, the DML autoencoder: Tables 1 and 2 against the paper; its numbers against our seeds",
    ),
    (
        "03_priors",
        "Proposal 2, priors: why Table 3 is at chance; the paper's Monte-Carlo KL read literally; the GMM "
        "prior's single mode",
    ),
    ("04_mvae", "Proposal 3, the MetricVAE: balancing a reconstruction against a KL; posterior collapse"),
    ("10_geodesic", "Proposal 4, a triplet loss on geodesic distances through the decoder"),
    ("07_scorecard", "What reproduced: reading a reproduction critically; paired differences and intervals"),
    (
        "05_beyond",
        "What the paper left open: the open question, and semi-supervised models held to a realistic protocol",
    ),
    ("06_assumptions", "Everything the paper does not say, and the defaults chosen for it"),
]


def lessons(runs: pd.DataFrame):
    """The lesson plan (HTML) from :func:`page_runs`'s table: every page in teaching order, what it teaches, how
    long it runs and its student notebook; a page without a lesson is an error."""

    times = runs["last execution (s)"].to_dict()
    missing = sorted(set(times) - {p for p, _ in LESSONS})
    if missing:
        raise DmlvaeError(f"pages without a lesson: {missing}; add them to LESSONS")
    minutes = {page: f"about {max(1, round(t / 60))} min" if t else "an unmeasured time" for page, t in times.items()}
    items = "".join(
        f"<li><b>{page}</b>: {what}. Runs in {minutes.get(page, 'an unmeasured time')} "
        f'(<a href="../student/{page}.ipynb">student notebook</a>).</li>'
        for page, what in LESSONS
    )
    return HTML(f"<ol>{items}</ol>")
