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
from dmlvae import pages

page = pages.Page("09_teaching", globals())
page.note()

# %% tags=["hide-input"]
runs = pages.teaching.page_runs(generated)
runs

# %% tags=["hide-input"]
pages.teaching.lessons(runs)

# %% [markdown]
# For a longer course, run the `paper` profile ahead of time (`make book PROFILE=paper`, hours on a
# CPU; `sweep --workers N` or a GPU shortens it) and teach from its results.
