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
# **Set-up for a course.** Everything runs on a CPU. On a Debian or Ubuntu machine (root for the system
# packages, or run the `apt-get` line that `make` prints):
#
# ```bash
# git clone REPOSITORY && cd dmlvae
# make test        # installs the Debian packages it needs, creates .venv from the pinned lists, runs the tests
# make book        # executes every page and builds this book into _build/html
# ```
#
# The environment is pinned (`requirements.txt`, `constraints.txt`; `environment.yml` for conda). PyTorch
# is the CPU build; nothing needs a GPU. Students open a page's notebook with Jupyter
# (`notebooks/NAME.ipynb`, kept in sync with its `.py` source by `make notebooks`), with the download button
# at the top of each page, or run it with papermill and a parameter:
# `papermill notebooks/08_walkthrough.ipynb out.ipynb -p alpha 1.0`.
#
# **Which pages run live.** The walkthrough and the DML page train their models every time they run. The
# other pages read finished runs from the results store (`results/PROFILE.jsonl`) and train only what is
# missing, so a class can re-render them in seconds once the runs exist. The times below are those of the
# pages as this book was last built, on the machine that built it.

# %% tags=["parameters"]
generated = "book/generated"   # where the executed pages are (their papermill metadata holds the times)

# %% tags=["hide-input"]
from pathlib import Path

import nbformat
import pandas as pd
from IPython.display import Markdown, display

from dmlvae import DmlvaeError, parameters

parameters.check(generated=generated)
display(Markdown(parameters.rerun_note("09_teaching")))
LIVE = {"00_data": "trains nothing", "01_dml": "trains one DML model",
        "08_walkthrough": "trains DML and the DML autoencoder"}
if not any(Path(generated).glob("[0-9]*.ipynb")):
    raise DmlvaeError(f"generated {generated!r} holds no executed pages; build the book first (make book)")
rows = []
for nb_path in sorted(Path(generated).glob("[0-9]*.ipynb")):
    if nb_path.stem.endswith("failed") or nb_path.stem == "09_teaching":
        continue
    nb = nbformat.read(nb_path, as_version=4)
    meta = nb.metadata.get("papermill", {})
    params = nb.metadata.get("dmlvae", {}).get("parameters", {})
    rows.append({"page": nb_path.stem, "runs": LIVE.get(nb_path.stem, "reads stored runs, trains missing ones"),
                 "parameters": ", ".join(f"{k}={v}" for k, v in params.items()) or "defaults",
                 "last execution (s)": round(meta["duration"]) if meta.get("duration") else None})
pd.DataFrame(rows).set_index("page")

# %% [markdown]
# A page that had to train its missing runs took longer than one that only read them: the first build of
# the whole book with the `quick` profile trains every run (the README gives the time it took on 2 cores);
# after that each page re-renders without training.
#
# ## A sequence of lessons
#
# 1. **Deep metric learning and its measurement** (`01_dml`): the triplet loss and its minings, a live run,
#    probes and the three protocols. Exercise: change `pl_pct` and watch `labelled-to-test` move.
# 2. **Semi-supervised data** (`00_data`): what 0.01 %, 0.1 % and 10 % labels are, and why 6 labels cannot
#    cover 10 classes.
# 3. **The walkthrough** (`08_walkthrough`, 5 minutes): DML against the DML autoencoder with 60 labels, in
#    class. Ask for a prediction first, then run it with `alpha=1.0`.
# 4. **Proposal 1, the DML autoencoder** (`02_autoencoder`): Tables 1 and 2 against the paper; single runs
#    against seeds.
# 5. **Proposal 2, priors** (`03_priors`): why Table 3 is at chance; the paper's Monte-Carlo KL read
#    literally; the GMM prior's single mode.
# 6. **Proposal 3, the MetricVAE** (`04_mvae`): balancing a reconstruction against a KL; posterior collapse.
# 7. **What reproduced** (`07_scorecard`) and **what the paper left open** (`05_beyond`, `06_assumptions`):
#    reading a reproduction critically; paired differences and intervals.
#
# For a longer course, run the `paper` profile ahead of time (`make book PROFILE=paper`, hours on a
# CPU; `sweep --workers N` or a GPU shortens it) and teach from its results.
