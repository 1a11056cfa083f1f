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
# MNIST, but its numbers are the thesis's OrganAMNIST table) with a small *labelled* part of the training
# split: `pl_pct` = 0.01 %, 0.1 % and 10 % of it. That is 6, 60 and 6,000 labels of MNIST's 60,000 training
# images, but only 3, 35 and 3,458 of OrganAMNIST's 34,581. The rest of the training split is used
# without its labels. This page shows what those splits look like.
#
# Re-run it with other parameters, e.g.
# `papermill notebooks/00_data.ipynb out.ipynb -p dataset fashion-mnist -p seed 3`
# (make the `.ipynb` with `jupytext --to ipynb notebooks/00_data.py`).

# %% tags=["parameters"]
dataset = "mnist"  # one of dmlvae.data.DATASETS: mnist, fashion-mnist, organamnist, digits
pl_pcts = [0.01, 0.1, 10]  # labelled percentages of the training split (the paper's three)
seed = 0  # seed of the labelled subsets and of the sample images
policy = "uniform"  # how the labelled subset is drawn: uniform (the paper) or stratified
data_dir = None  # data directory; None: $DMLVAE_DATA or ~/.cache/dmlvae
per_class = 8  # sample images per class in the grid

# %%
import pandas as pd
from IPython.display import Markdown, display

from dmlvae import data, pages, plots

pages.check(dataset=dataset, pl_pcts=pl_pcts, seed=seed, policy=policy, data_dir=data_dir, per_class=per_class)
display(Markdown(pages.rerun_note("00_data", None, None, [])))
plots.setup()
ds = data.load(dataset, data_dir=data_dir)
pl_pcts = [data.validate_pl_pct(p) for p in pl_pcts]
print(f"{ds.name}: {ds.n_classes} classes, images {ds.image_shape}, source {ds.source}")

# %% [markdown]
# ## Splits
# Images are float32 in [0, 1] with shape (N, 1, H, W). For MNIST the packaged copy is the classic
# pickle, turned back into the exact bytes: 60,000 training and 10,000 test images.

# %%
sizes = pd.DataFrame({s: ds.label_counts(s) for s in ds.labels}).rename_axis("class")
sizes.index = [k if n == k else f"{k}: {n}" for k, n in zip(sizes.index, ds.class_names)]
sizes.loc["total"] = sizes.sum()
sizes

# %%
plots.sample_grid(ds, per_class=per_class, seed=seed).show()

# %% [markdown]
# ## The labelled subsets
# `pl_pct` percent of the training split, rounded half up and at least one image, drawn without
# replacement. With the paper's uniform draw, 6 labels cannot cover 10 classes: some classes have no
# labelled example at all, which any metric loss then never sees.

# %%
rows = []
for p in pl_pcts:
    idx = data.labelled_subset(ds.labels["train"], p, seed=seed, policy=policy)
    present = len(set(ds.labels["train"][idx].tolist()))
    rows.append(
        {
            "pl_pct": p,
            "labelled images": len(idx),
            "classes present": f"{present} / {ds.n_classes}",
            "seed": seed,
            "policy": policy,
        }
    )
pd.DataFrame(rows).set_index("pl_pct")

# %%
plots.labelled_histograms(ds, pl_pcts, seed=seed, policy=policy).show()
