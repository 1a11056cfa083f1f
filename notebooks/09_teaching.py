# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Teaching with this book
#
# **Set-up for a course.** Everything runs on a CPU. Copy the repository to each machine (`git clone URL dmlvae`
# with the URL your course hosts it at, or unpack a copy), then, from its folder:
#
# ```bash
# cd dmlvae
# make test        # installs the Debian packages it can (or says what it skips), creates .venv, runs the tests
# make book        # executes every page and builds this book into _build/html (no root needed)
# ```
#
# The environment is pinned (`requirements.txt`, `constraints.txt`; `environment.yml` for conda). PyTorch
# is the CPU build; nothing needs a GPU. Students open a page's notebook with Jupyter
# (`notebooks/NAME.ipynb`, kept in sync with its `.py` source by `make notebooks`), with the download button
# at the top of each page, or run it with papermill and a parameter:
# `papermill notebooks/08_walkthrough.ipynb out.ipynb -p alpha 1.0`.
#
# **The student edition.** `make student` (run by `make book`) writes every page's notebook without its
# solutions into `_build/html/student/`; the links below open those. Hand them out instead of `notebooks/`,
# which holds the solutions.
#
# **Which pages run live.** The walkthrough and the DML page train their models every time they run. The
# other pages read finished runs from the results store (`results/PROFILE.jsonl`) and train only what is
# missing, so a class can re-render them in seconds once the runs exist. The times below are those of the
# pages as this book was last built, on the machine that built it.

# %% tags=["parameters"]
generated = "book/generated"  # where the executed pages are (their papermill metadata holds the times)

# %% tags=["hide-input"]
from pathlib import Path

import nbformat
import pandas as pd
from IPython.display import Markdown, display

from dmlvae import DmlvaeError, pages

pages.check(generated=generated)
display(Markdown(pages.rerun_note("09_teaching")))
LIVE = {
    "00_data": "trains nothing",
    "01_dml": "trains one DML model",
    "08_walkthrough": "trains DML and the DML autoencoder",
}
if not any(Path(generated).glob("[0-9]*.ipynb")):
    raise DmlvaeError(f"generated {generated!r} holds no executed pages; build the book first (make book)")
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
pd.DataFrame(rows).set_index("page")

# %% [markdown]
# A page that had to train its missing runs took longer than one that only read them: the first build of
# the whole book with the `quick` profile trains every run (the README gives the time it took on 2 cores);
# after that each page re-renders without training.
#
# ## A sequence of lessons
# Every page of the book, in teaching order. The minutes to run a page are its last execution when this book was
# built (the table above); reading and discussing it takes longer.

# %% tags=["hide-input"]
from IPython.display import HTML

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
    ("02_autoencoder", "Proposal 1, the DML autoencoder: Tables 1 and 2 against the paper; single runs against seeds"),
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
times = {r["page"]: r["last execution (s)"] for r in rows}
missing = sorted(set(times) - {p for p, _ in LESSONS})
if missing:
    raise DmlvaeError(f"pages without a lesson: {missing}; add them to LESSONS")
minutes = {page: f"about {max(1, round(t / 60))} min" if t else "an unmeasured time" for page, t in times.items()}
items = "".join(
    f"<li><b>{page}</b>: {what}. Runs in {minutes.get(page, 'an unmeasured time')} "
    f'(<a href="../student/{page}.ipynb">student notebook</a>).</li>'
    for page, what in LESSONS
)
HTML(f"<ol>{items}</ol>")

# %% [markdown]
# For a longer course, run the `paper` profile ahead of time (`make book PROFILE=paper`, hours on a
# CPU; `sweep --workers N` or a GPU shortens it) and teach from its results.
