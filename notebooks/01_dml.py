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
# # Deep metric learning, and how we measure it
#
# A DML model is an encoder $f$ from images to an embedding $z \in \mathbb{R}^d$ (`lsdim` = $d$), trained
# so that images of one class lie close together. The paper's supervised loss is the **triplet loss**
# (Schroff et al. 2015): for an anchor $a$, a positive $p$ (same class) and a negative $n$,
#
# $$\ell(a, p, n) = \max\bigl(0,\; \lVert z_a - z_p\rVert - \lVert z_a - z_n\rVert + m\bigr).$$
#
# Which triplets of a batch are used is the **mining**; the paper does not give its batch size or mining (its
# text has no “batch size”, “mining”, “margin”), so `dmlvae` offers
# `all` (the mean over every valid triplet: our default), `hard` (per anchor its farthest positive and
# nearest negative) and `semihard` (FaceNet's). A triplet whose loss is 0 teaches nothing: the
# *fraction of active triplets* is recorded every epoch, because a model that has collapsed, or that has
# separated its few labelled images perfectly, stops learning from them.
#
# This page trains a small DML model live, on the CPU, and measures it every way the book uses.

# %% tags=["parameters"]
dataset = "mnist"  # dataset of the live run
pl_pct = 1  # labelled percentage of the full training split: 1 % of MNIST is 600 labels, a tenth of
# the 6,000-image training subset below (semi-supervised: the rest train unlabelled)
lsdim = 10  # embedding dimension
epochs = 4  # passes over the training subset
train_subset = 6000  # training images used (the labelled subset is pl_pct of the full split)
test_subset = 2000  # test images scored
seed = 0  # seed of the labelled subset, initialisation and batches
device = "auto"  # auto, cpu, cuda

# %%
from dmlvae import pages

page = pages.Page("01_dml", globals())
page.note()

# %% [markdown]
# ## Mining, on one batch
# The three minings give different losses on the same embeddings: here a batch of 256 random embeddings
# with 10 balanced classes (seed as above). Each mining's loss is checked in the test suite against a
# brute-force loop and, for `all` and `hard`, against pytorch-metric-learning.

# %%
pages.dml.mining_table(lsdim, margin=page.config().margin, seed=seed)

# %% [markdown]
# ## A live training run
# Every step draws an unlabelled batch from the whole training split and a labelled batch from the
# labelled subset; the DML baseline only uses the labelled one, but gets the same number of steps per
# epoch as every other model.

# %%
r = page.train(model="dml")
page.md(pages.walkthrough.run_line(r))

# %%
pages.walkthrough.history_frame(r)

# %%
pages.plots.history_lines(
    [r], "active_triplets", "Fraction of active triplets per epoch", label=lambda _: f"DML, seed {seed}"
).show()

# %% [markdown]
# ## Probes and protocols
# The paper fits scikit-learn classifiers on the test latents (“Three classifiers (sklearn’s implementation of
# RandomForest, MLP, and kNN) each output predicted labels”, Evaluation) and reports accuracy and adjusted
# mutual information (AMI; its "MI" column goes negative, which only AMI does). Which latents fit the probe and
# which are scored is not stated, so three protocols are named:
#
# - `test-cv` (default): stratified 5-fold cross-validated predictions on the test latents;
# - `train-to-test`: fit on all training latents, score the test split;
# - `labelled-to-test`: fit on the labelled training latents only: what a semi-supervised user has.
#
# R@1 (the share of test points whose nearest other test point has the same label) needs no probe. With only part
# of the training images labelled, `train-to-test` reads labels a semi-supervised user does not have; the gap
# between it and `labelled-to-test` is what those labels are worth to the probe.

# %%
pages.walkthrough.probe_table({"DML": r}, probes=("knn", "rf", "mlp", "linear"), seed=seed).drop(
    columns="model"
).set_index("protocol")

# %% [markdown]
# ## The embedding
# The test latents, coloured by class (UMAP to two dimensions when `lsdim` > 2; seed as above).

# %%
pages.plots.latent_scatter(
    r["z_test"],
    r["y_test"],
    f"DML test latents (lsdim {lsdim}, seed {seed})",
    class_names=page.data().class_names,
    seed=seed,
).show()

# %% [markdown]
# ## Exercise

# %% [markdown]
# ```{exercise} Predict, then run: mining and active triplets
# :label: ex-mining-active
#
# The live run above mines `all` valid triplets. Predict: trained the same way with `mining="hard"` (each anchor's
# farthest positive and nearest negative), will the fraction of active triplets in its last epoch be `"higher"`
# or `"lower"`? And why (`reason`)? Set both and run the check; only then run the experiment cell below it (about
# 30 s on a laptop).
#
# - `"a"`: batch-hard mining takes each anchor's farthest positive and nearest negative, the triplets most likely to
#   violate the margin
# - `"b"`: batch-hard mining uses a larger margin
# - `"c"`: batch-hard mining trains for more steps
# ```

# %%
prediction = None  # your answer: "higher" or "lower"
reason = None  # your answer: "a", "b" or "c"

from dmlvae.pages import exercises

exercises.check_mining_active(prediction, reason)
# %% tags=["remove-output"]
# the experiment (its output is left out of the book: run it yourself, after predicting): the same small run under
# each mining (digits, 2 epochs), the last epoch's fraction of active triplets
from dmlvae.core.config import RunConfig
from dmlvae.core.train import run as train_run

for m in ("all", "hard"):
    h = train_run(RunConfig(dataset="digits", model="dml", pl_pct=10, epochs=2, mining=m, seed=seed))["history"]
    print(f"mining {m}: active triplets in the last epoch {h[-1]['active_triplets']:.3f}")

# %% [markdown]
# ```{solution-start} ex-mining-active
# :class: dropdown
# ```

# %% tags=["solution"]
from dmlvae.pages import exercises

prediction, reason = "higher", "a"  # the hardest pair of an anchor is the last to stop violating the margin

exercises.check_mining_active(prediction, reason)

# %% [markdown]
# ```{solution-end}
# ```
