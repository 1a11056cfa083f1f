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
# # Proposal 3: the MetricVAE (Table 4, Figure 6)
#
# The third proposal is a full VAE whose latent space also carries the metric loss: a Gaussian encoder, a
# decoder, a VampPrior (a mixture of the encoder's posteriors at $K$ learnable pseudo-inputs; Tomczak &
# Welling 2018), and $L_U = \mathrm{MSE} + \beta\,\mathrm{KL}$. The paper first trained it with the
# alternating routine and reports chance-level results; Table 4 then trains it *jointly*,
# $L_U + \gamma L_S$ at every batch, on fully labelled MNIST ($\gamma = 0$ is a plain VAE), against DML.
# Figure 6 shows that the reconstruction loss did not converge.

# %% tags=["parameters"]
profile = "quick"     # smoke, quick or paper
seeds = None          # None: 3 under the paper profile, 2 otherwise; or N (seeds 0..N-1)
dataset = None        # None: MNIST as in the paper; or run everything on this dataset
device = None         # None: cuda when available, else cpu
results = None        # results file; None: results/<profile>.jsonl
workers = None               # None: train missing runs one by one; N: N at once on Ray workers
figure6_epochs = 10   # epochs of the Figure 6 runs (the reconstruction loss per epoch)

# %% tags=["hide-input"]
import pandas as pd
from IPython.display import Markdown, display

from dmlvae import experiments, grids, paper, parameters, plots

parameters.check(profile=profile, seeds=seeds, dataset=dataset, device=device, results=results, workers=workers,
                 figure6_epochs=figure6_epochs)
seeds = experiments.page_seeds(profile, seeds)
plots.setup()
results = experiments.results_path(profile, results)
seed_list = experiments.seeds_arg(seeds)
the_dataset = dataset or "mnist"
display(Markdown(parameters.rerun_note("04_mvae", profile, seeds, [
    f"python -m dmlvae sweep --grid mvae-alternating --dataset {the_dataset} --profile {profile} --seeds {seeds}",
    f"python -m dmlvae sweep --table 4 --profile {profile} --seeds {seeds}",
    f"python -m dmlvae sweep --grid figure6 --dataset {the_dataset} --grid-param "
    f"epochs={figure6_epochs} --profile {profile} --seeds {seeds}",
])))
display(Markdown(experiments.profile_scale(profile)))



# %% [markdown]
# ## The alternating MetricVAE, with each metric loss
# The paper's first attempt: the MVAE with the alternating-epoch routine, and DML beside it, each with the
# three metric losses the paper names (triplet, supervised contrastive, center), at the three labelled
# percentages; $\alpha = 0.5$, `lsdim` 10. The paper reports all of them at chance. kNN accuracy,
# `test-cv`, mean ± sd over the seeds.

# %% tags=["hide-input"]
alt = experiments.profile_configs(grids.cells("mvae-alternating", dataset=the_dataset), profile, seeds,
                                  grid="mvae-alternating", device=device)
experiments.run_configs("mvae-alternating", profile, alt, results, progress=False, workers=workers)
rows = experiments.rows_for(results, "mvae-alternating", profile, alt)
alt_frame = experiments.flatten(rows, ["loss", "model", "pl_pct"],
                                {"acc": ("knn_acc", None), "acc, sampled z": ("knn_acc", "test-cv/sampled-z")})
display(Markdown(f"Dataset `{the_dataset}`, profile `{profile}`, seeds {seed_list}; kNN accuracy (`test-cv`) on "
                 "the mean mu of each encoder, and on a sampled z for the MetricVAE."))
table_alt = alt_frame.pivot_table(index=["loss", "pl_pct"], columns="model", values="acc", aggfunc=paper.mean_sd)
table_alt["mvae, sampled z"] = alt_frame[alt_frame.model == "mvae"].pivot_table(
    index=["loss", "pl_pct"], values="acc, sampled z", aggfunc=paper.mean_sd)["acc, sampled z"]
table_alt

# %% [markdown]
# ## Table 4: the joint routine on fully labelled MNIST

# %% tags=["hide-input"]
experiments.sweep(4, profile, seeds, results, dataset=dataset, device=device, progress=False, workers=workers)
cmp4 = experiments.table(4, results, profile, cfgs=experiments.configs(4, profile, seeds, dataset=dataset))
display(Markdown(paper.caption(4, cmp4, profile, seed_list, note="; probes fitted and scored by the `test-cv` "
                               "protocol (the paper's 'linear' column was likely scored on one 64-image batch)")))
paper.styled_layout(cmp4)

# %% tags=["hide-input"]
plots.paper_vs_ours(cmp4, "Table 4: every reported accuracy, ours against the paper").show()

# %% [markdown]
# ## Figure 6: the reconstruction loss per epoch
# Joint MVAE runs at `lsdim` 5 for each $\gamma$ of Table 4, trained for `figure6_epochs` epochs; the
# squared reconstruction error summed over each image (the MetricVAE's `recon="image-sum"`, see the
# assumptions page), on the unlabelled batches, averaged over each epoch.

# %% tags=["hide-input"]
fig6 = experiments.profile_configs(grids.cells("figure6", dataset=the_dataset, epochs=figure6_epochs), profile,
                                   seeds, grid="figure6", device=device)
experiments.run_configs("figure6", profile, fig6, results, progress=False, workers=workers)
rows6 = [r for r in experiments.rows_for(results, "figure6", profile, fig6) if r["status"] == "ok"]
if experiments.reuse_note(rows6):
    display(Markdown(experiments.reuse_note(rows6)))
plots.history_lines(rows6, "recon", f"Figure 6: reconstruction loss per epoch (MVAE, joint, lsdim 5, {profile})",
                    label=lambda r: f"gamma={r['config']['gamma']:g}, seed {r['seed']}",
                    yaxis="squared error per image").show()

# %% tags=["hide-input"]
plots.history_lines(rows6, "kl", "KL to the VampPrior per epoch (same runs)",
                    label=lambda r: f"gamma={r['config']['gamma']:g}, seed {r['seed']}").show()

# %% [markdown]
# ## Exercises
# Each exercise has a cell to fill in and a check that says whether the answer is right; the solutions are
# behind the toggles (and the test suite runs every one of them).

# %% [markdown]
# ```{exercise} Per pixel or per image?
# :label: ex-image-sum
#
# Write `image_sum(x_hat, x)`: the squared reconstruction error summed over each image's pixels, averaged over
# the batch. By what factor does it differ from PyTorch's `MSELoss()` on 28x28 images, and why does that
# decide whether the gamma = 0 MetricVAE is a VAE at all (see the assumptions page)?
# ```

# %%
def image_sum(x_hat, x):
    """Your answer: a number or a 0-d tensor."""
    return None


from dmlvae import exercises

exercises.check_image_sum(image_sum);

# %% [markdown]
# ```{solution-start} ex-image-sum
# :class: dropdown
# ```

# %% tags=["solution"]
from dmlvae import exercises


def image_sum(x_hat, x):
    return ((x_hat - x) ** 2).flatten(1).sum(1).mean()

exercises.check_image_sum(image_sum);

# %% [markdown]
# ```{solution-end}
# ```

# %% [markdown]
# ```{exercise} What a collapsed posterior costs
# :label: ex-unit-kl
#
# Write `unit_kl(mu, logvar)`: the closed-form KL of `N(mu, exp(logvar))` from `N(0, I)`, summed over
# dimensions and averaged over the batch. What is it when the encoder ignores its input (`mu = 0`,
# `logvar = 0`)? Why can a strong KL weight make that the cheapest solution?
# ```

# %%
def unit_kl(mu, logvar):
    """Your answer: a number or a 0-d tensor."""
    return None


from dmlvae import exercises

exercises.check_unit_kl(unit_kl);

# %% [markdown]
# ```{solution-start} ex-unit-kl
# :class: dropdown
# ```

# %% tags=["solution"]
from dmlvae import exercises


def unit_kl(mu, logvar):
    return (0.5 * (mu ** 2 + logvar.exp() - 1 - logvar)).sum(-1).mean()

exercises.check_unit_kl(unit_kl);

# %% [markdown]
# ```{solution-end}
# ```
