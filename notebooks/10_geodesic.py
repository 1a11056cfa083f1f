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

# %%

# %% [markdown]
# # Proposal 4: a triplet loss on geodesic distances
#
# The paper's future work names “investigating a fourth improvement proposal: the ability to define a
# Riemannian metric on the latent space”, never tried there: measure distances in the latent space with the Riemannian
# metric that the decoder pulls back from image space (Arvanitidis, Hauberg & Schölkopf 2020), so that the
# triplet loss compares **geodesic** rather than Euclidean distances.

# %% tags=["parameters"]
profile = "auto"  # auto: the shipped paper-scale results, training nothing; or smoke, quick, paper
seeds = 3  # seeds 0..seeds-1 per configuration
dataset = None  # None: MNIST; or any dataset
device = None  # None: cuda when available, else cpu
results = None  # results file; None: results/<profile>.jsonl
workers = None  # None: train missing runs one by one; N: N at once on Ray workers
lsdim = 10  # embedding dimension
alpha = 0.5  # weight of L_U in the alternating routine
segments = 8  # T: segments of the decoded straight path

# %% tags=["hide-input"]
from dmlvae import pages

page = pages.Page("10_geodesic", globals())
page.show(pages.geodesic.answer_box(page))
page.note(("geodesic", {"lsdim": lsdim, "alpha": alpha, "segments": segments}))

# %% [markdown]
# **The approximation.** The exact geodesic is the shortest curve under the pulled-back metric; finding it
# needs an optimisation per pair. `dmlvae` takes one curve instead: the straight line between the two latents,
# decoded at T + 1 evenly spaced points, and measures its length in image space,
# $L(a, b) = \sum_{t=0}^{T-1} \lVert g(z_{t+1}) - g(z_t) \rVert$, $z_t = a + \tfrac{t}{T}(b - a)$
# (`distance="geodesic"`, `geodesic_segments` = T, default 8). Properties, each tested in `tests/core/test_losses.py`:
#
# - for a linear decoder $g(z) = Wz + c$ it is exactly $\lVert W(b - a) \rVert$: the Euclidean distance,
#   scaled by the decoder (equal to it times s when W has orthogonal columns of norm s);
# - it is never below $\lVert g(b) - g(a) \rVert$, the straight-line distance of the decoded endpoints, and
#   refining the segments never shortens it;
# - it bounds the true geodesic length from above (a straight line is one of the curves).
#
# Decoding every pair of a batch would cost B² paths, so triplets are **mined first**, batch-hard on Euclidean
# latent distances (each anchor's farthest positive and nearest negative), and only those 2B pairs are decoded.
# The decoder's weights are detached inside the loss: the triplet loss moves the latents through the metric
# that reconstruction learns, rather than reshaping that metric. The margin is in image-space units.
#
# The comparison below trains the DML autoencoder (the paper's alternating-epoch routine) at 60 and 600 MNIST
# labels with the default Euclidean triplet loss (all triplets), the Euclidean loss mined batch-hard (the fair
# comparison: the same triplets are chosen), and the geodesic loss.

# %% tags=["hide-input"]
page.show(pages.geodesic.geodesic_table(page))

# %% [markdown]
# ## Geodesic minus Euclidean, paired by seed
# Mean difference over seeds with its 95% t-interval, against each Euclidean variant.

# %% tags=["hide-input"]
pages.geodesic.geodesic_differences(page).round(3)

# %% tags=["hide-input"]
pages.geodesic.geodesic_answer(page)

# %% [markdown]
# ## Exercise

# %% [markdown]
# ```{exercise} Predict, then run: decoded paths and straight lines
# :label: ex-path-length
#
# Decode the straight latent path between 1,000 random pairs through a small random ReLU decoder (8 segments). Predict: is the decoded path ever shorter than the straight distance ||g(b) - g(a)|| between its decoded ends: `"never"` or `"sometimes"`? And why (`reason`)? Set both and run the check; only then run the experiment
# cell below it (a second on a laptop).
#
# - `"a"`: the decoded segments chain from g(a) to g(b), and by the triangle inequality a chain is never shorter than the straight line between its ends
# - `"b"`: the decoder is linear
# - `"c"`: the latent path is straight
# ```

# %%
prediction = None  # your answer: "never" or "sometimes"
reason = None  # your answer: "a", "b" or "c"

from dmlvae.pages import exercises

exercises.check_prediction("path-length", prediction, reason)

# %% tags=["remove-output"]
# the experiment (its output is left out of the book: run it yourself, after predicting)
from dmlvae.pages import exercises

print("the data say:", exercises.experiment("path-length"))

# %% [markdown]
# ```{solution-start} ex-path-length
# :class: dropdown
# ```

# %% tags=["solution"]
from dmlvae.pages import exercises

prediction, reason = "never", "a"

exercises.check_prediction("path-length", prediction, reason)

# %% [markdown]
# ```{solution-end}
# ```
