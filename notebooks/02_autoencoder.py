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
# # Proposal 1: the DML autoencoder (Tables 1 and 2)
#
# The first proposal adds a decoder $g$ to the DML encoder and trains it to reconstruct the images:
# $L_U = \mathrm{MSE}(g(f(x)), x)$ on unlabelled images. The paper alternates by epoch (Algorithms 2
# and 3): on supervised epochs the loss is $(1-\alpha) L_S + \alpha L_U$, on unsupervised epochs
# $\alpha L_U$; $\alpha = 1$ never reads a label (a plain autoencoder). Tables 1 (MNIST) and 2
# (OrganAMNIST) compare it with plain DML (triplet loss on the labelled images only) at 0.01 %, 0.1 % and
# 10 % labels and `lsdim` 2 and 10.

# %% tags=["parameters"]
profile = "auto"  # auto: the shipped paper-scale results, training nothing; or smoke, quick, paper
seeds = None  # None: 3 under the paper profile, 2 otherwise; or N (seeds 0..N-1)
dataset = None  # None: the paper's datasets; or run both tables on this dataset
stand_in = "fashion-mnist"  # Table 2's dataset when OrganAMNIST cannot be loaded
device = None  # None: cuda when available, else cpu
results = None  # results file; None: results/<profile>.jsonl
workers = None  # None: train missing runs one by one; N: N at once on Ray workers

# %% tags=["hide-input"]
from dmlvae import pages

page = pages.Page("02_autoencoder", globals())
page.show(pages.autoencoder.answer_box(page))
page.note((1, {}), (2, {}))

# %% [markdown]
# Every cell below is ours as mean ± sd over the seeds named, beside the paper's number (we infer a single run:
# the paper gives no seeds or spread) and the
# difference. Runs are read from the results store when they exist, and only missing ones are trained.

# %% [markdown]
# ## Table 1: MNIST

# %% tags=["hide-input"]
page.show(page.paper_table(1))

# %% tags=["hide-input"]
pages.plots.metric_bars(
    page.comparison(1), "knn_acc", "Table 1: kNN accuracy, ours (bars, ± sd) and the paper (diamonds)"
).show()

# %% tags=["hide-input"]
pages.plots.paper_vs_ours(page.comparison(1), "Table 1: every reported number, ours against the paper").show()

# %% [markdown]
# ## Table 2: OrganAMNIST

# %% tags=["hide-input"]
pages.autoencoder.table2_dml_is_its_autoencoder(page)  # "Reading the tables" says so of the paper's Table 2
page.show(page.paper_table(2))

# %% tags=["hide-input"]
pages.plots.metric_bars(
    page.comparison(2),
    "knn_acc",
    f"Table 2 ({page.comparison(2).dataset_used.iloc[0]}): kNN accuracy, ours and the paper",
).show()

# %% [markdown]
# ## Reading the tables
#
# - The paper's Table 2 DML column equals its own $\alpha = 1$ rows, so its DML baseline is unreliable.
# - We infer that each paper cell is a single run (the paper does not give seeds, repeated runs or a spread of
#   any number (its text has no “seed”, “standard deviation”, “runs”)); the spread over our seeds shows how
#   much a single run can move.

# %% tags=["hide-input"]
page.scale()

# %% tags=["hide-input"]
pages.autoencoder.agreement(page)

# %% [markdown]
# ## Exercises
# Each exercise has a cell to fill in and a check that says whether the answer is right; the solutions are
# behind the toggles (and the test suite runs every one of them).

# %% [markdown]
# ```{exercise} Batch-hard mining
# :label: ex-batch-hard
#
# The triplet loss on this page averages over *all* valid triplets. Write `batch_hard(z, y, margin)`: for each
# anchor, its farthest positive and its nearest negative, `relu(d(a, p) - d(a, n) + margin)`, averaged over the
# anchors that have both (Euclidean distances, `torch.cdist`). The check compares it with
# `losses.triplet_loss(z, y, margin, mining="hard")` on random batches.
# ```

# %%
import torch


def batch_hard(z, y, margin):
    """Your answer: return the batch-hard triplet loss (a number or a 0-d tensor)."""
    return None


from dmlvae.pages import exercises

exercises.check_batch_hard(batch_hard)
# %% [markdown]
# ```{solution-start} ex-batch-hard
# :class: dropdown
# ```

# %% tags=["solution"]
import torch

from dmlvae.pages import exercises


def batch_hard(z, y, margin):
    d = torch.cdist(z, z)
    same = y[:, None] == y[None, :]
    pos = same & ~torch.eye(len(y), dtype=torch.bool)
    neg = ~same
    has = pos.any(1) & neg.any(1)
    hardest_pos = d.masked_fill(~pos, float("-inf")).amax(1)
    hardest_neg = d.masked_fill(~neg, float("inf")).amin(1)
    return torch.relu(hardest_pos - hardest_neg + margin)[has].mean()


exercises.check_batch_hard(batch_hard)
# %% [markdown]
# ```{solution-end}
# ```

# %% [markdown]
# ```{exercise} Predict, then measure: alpha = 1
# :label: ex-alpha-one
#
# At `alpha = 1` the DML autoencoder's loss is `(1 - alpha) L_S + alpha L_U`. Predict: if every training label
# is shuffled, are the learned latents the `"same"` or `"different"`? Set `prediction`, run the check, then
# measure it: train `RunConfig(dataset="digits", model="dml_autoencoder", alpha=1.0, epochs=2)` twice with
# `dmlvae.core.train.run`, shuffling `y` in between (the test suite does exactly this).
# ```

# %%
prediction = None  # your answer: "same" or "different"

from dmlvae.pages import exercises

exercises.check_alpha_one(prediction)
# %% [markdown]
# ```{solution-start} ex-alpha-one
# :class: dropdown
# ```

# %% tags=["solution"]
from dmlvae.pages import exercises

prediction = "same"  # (1 - alpha) = 0: the metric loss, the only reader of labels, has weight 0

exercises.check_alpha_one(prediction)

# %% [markdown]
# ```{solution-end}
# ```

# %% [markdown]
# ```{exercise} Predict, then run: labels through the metric term
# :label: ex-alpha-labels
#
# Train the DML autoencoder on digits with 10 % labels for 3 epochs, once at alpha = 0.5 and once at alpha = 1. Predict: which gives the higher labelled-to-test kNN accuracy: `"alpha 0.5"`, `"alpha 1"` or `"the same"`? And why (`reason`)? Set both and run the check; only then run the experiment
# cell below it (about 15 s on a laptop).
#
# - `"a"`: at alpha 0.5 the metric loss (weight 1 - alpha) pulls the labelled classes apart; at alpha 1 its weight is 0
# - `"b"`: alpha 0.5 trains for more epochs
# - `"c"`: alpha 1 reconstructs the images worse
# ```

# %%
prediction = None  # your answer: "alpha 0.5", "alpha 1" or "the same"
reason = None  # your answer: "a", "b" or "c"

from dmlvae.pages import exercises

exercises.check_prediction("alpha-labels", prediction, reason)

# %% tags=["remove-output"]
# the experiment (its output is left out of the book: run it yourself, after predicting)
from dmlvae.pages import exercises

print("the data say:", exercises.experiment("alpha-labels"))

# %% [markdown]
# ```{solution-start} ex-alpha-labels
# :class: dropdown
# ```

# %% tags=["solution"]
from dmlvae.pages import exercises

prediction, reason = "alpha 0.5", "a"

exercises.check_prediction("alpha-labels", prediction, reason)

# %% [markdown]
# ```{solution-end}
# ```
