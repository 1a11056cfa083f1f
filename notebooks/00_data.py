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
# # Data and semi-supervised splits
#
# The paper trains on MNIST (Tables 1 and 4) and OrganAMNIST (Tables 2 and 3; Table 3's caption says
# “GMM prior (right) models for the MNIST dataset”, but its numbers are the thesis's OrganAMNIST table) with a
# small *labelled* part of the training split: `pl_pct` = 0.01 %, 0.1 % and 10 % of it. The paper says “the
# partial labels percentages of 0.01 and 0.1 correspond to 6 and 60 labelled samples respectively” and “the
# partial labels percentage of 10 correspond to 6000 labelled samples respectively” (Improvement Proposal 1
# Results): MNIST's counts. For OrganAMNIST it gives only the “number of samples (60,000 and 58,850,
# respectively)” (Datasets), not its training split; we assume MedMNIST v2's split (34,581 training images,
# whose total with its 6,491 validation and 17,778 test images is that 58,850), where the same percentages
# would be 3, 35 and 3,458 labels. The rest of the training split is used without its labels. This page shows
# what those splits look like.
#
# Re-run it with other parameters, e.g.
# `papermill notebooks/00_data.ipynb out.ipynb -p dataset fashion-mnist -p seed 3`
# (make the `.ipynb` with `jupytext --to ipynb notebooks/00_data.py`).

# %% tags=["parameters"]
dataset = "mnist"  # one of dmlvae.core.data.DATASETS: mnist, fashion-mnist, organamnist, digits
pl_pcts = [0.01, 0.1, 10]  # labelled percentages of the training split (the paper's three)
seed = 0  # seed of the labelled subsets and of the sample images
policy = "uniform"  # how the labelled subset is drawn: uniform (the paper) or stratified
data_dir = None  # data directory; None: $DMLVAE_DATA or ~/.cache/dmlvae
per_class = 8  # sample images per class in the grid

# %%
from dmlvae import pages

page = pages.Page("00_data", globals())
page.note()

# %%
print(page.data().describe())

# %% [markdown]
# ## Splits
# Images are float32 in [0, 1] with shape (N, 1, H, W). For MNIST the packaged copy is the classic
# pickle, turned back into the exact bytes: 60,000 training and 10,000 test images.

# %%
page.data().split_sizes()

# %%
pages.plots.sample_grid(page.data(), per_class=per_class, seed=seed).show()

# %% [markdown]
# ## The labelled subsets
# `pl_pct` percent of the training split, rounded half up and at least one image, drawn without
# replacement. With a uniform draw (we assume the paper's: the paper does not give how its labelled subset is
# drawn (its text has no “stratif”, “uniformly”, “at random”)), 6 labels cannot cover 10 classes: some classes
# have no labelled example at all, which any metric loss then never sees.

# %%
page.data().labelled_subsets(pl_pcts, seed=seed, policy=policy)

# %%
pages.plots.labelled_histograms(page.data(), pl_pcts, seed=seed, policy=policy).show()
