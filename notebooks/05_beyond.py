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
# # Beyond the paper: the open question, and models for 60 labels
#
# The paper ends on an open question: **does a VAE component help DML when few labels exist, under a sensible
# training routine?** This page answers it with statistics.

# %% tags=["parameters"]
profile = "auto"  # auto: the shipped paper-scale results, training nothing; or smoke, quick, paper
seeds = None  # None: 5 under the paper profile (the open question's), 2 otherwise; or a number
dataset = None  # None: MNIST; or any dataset
stand_in = "auto"  # the second dataset; auto: fashion-mnist (OrganAMNIST's stand-in here) under the paper
# profile, none under the others (a shorter quick book); None: none
device = None  # None: cuda when available, else cpu
results = None  # results file; None: results/<profile>.jsonl
workers = None  # None: train missing runs one by one; N: N at once on Ray workers
lsdim = 10  # embedding dimension of every model here
alpha = 0.5  # weight of L_U in the alternating routines
gamma = 1.0  # weight of L_S in the joint routines
graph_train = False  # part 3 shows the stored paper-scale runs of the graph grid; True: train the missing ones
# first (several CPU hours: 250 runs, a 100-epoch VAE per dataset and seed)
graph_seeds = None  # part 3's seeds; None: 0-9 (the protocol's 10); or K (0..K-1), a range "A-B", a list "a,b,c"

# %% tags=["hide-input"]
from dmlvae import pages

page = pages.Page("05_beyond", globals(), paper_seeds=pages.beyond.PAPER_SEEDS)
page.show(pages.beyond.answer_box(page))
page.note(
    *[
        ("beyond", {"lsdim": lsdim, "alpha": alpha, "gamma": gamma, "dataset": d})
        for d in pages.beyond.page_datasets(page)
    ],
    ("labelprop-validation", {}),
    *[("labelprop", {"dataset": d}) for d in pages.beyond.page_datasets(page)],
    ("graph", {}),
)

# %% [markdown]
# Every contender is compared with plain DML at 6,
# 60, 600 and 6,000 MNIST labels (0.01, 0.1, 1 and 10 %), and on the stand-in dataset, over the same seeds (a
# seed fixes the labelled subset, so differences are paired by seed):
#
# - the autoencoder alone (`dml_autoencoder` with alpha = 1: no labels at all);
# - the DML autoencoder under the paper's `alternating-epoch` routine, `alternating-batch` (the same
#   alternation per step) and `joint` ($L_U + \gamma L_S$ at every step);
# - the MetricVAE under `joint` and `dml-then-gmm` (DML first, then a Gaussian mixture fitted to its
#   embeddings becomes the prior);
# - **DML on propagated labels** (`dml_labelprop`, new here; part 2 below).
#
# Part 3 holds the semi-supervised models for 60 labels to a realistic protocol (Oliver et al. 2018): no label
# beyond the budget for any choice, uniform and stratified draws, 10 seeds, a VAE with Poisson-MBO graph
# inference (Calder et al. 2020) among the contenders, and published anchors beside.
#
# Two protocols: `test-cv` (the paper's reading: probes cross-validated on the test latents) and
# `labelled-to-test` (the probe is fitted on the labelled training images only, which is all a semi-supervised
# user has).

# %% [markdown]
# ## The answer

# %% tags=["hide-input"]
page.show(pages.beyond.answers(page))

# %% tags=["hide-input"]
pages.beyond.accuracy_figure(page).show()

# %% [markdown]
# ## The numbers behind it
# Every contender's kNN accuracy, then each contender minus DML paired by seed: the mean difference over seeds
# with its 95% t-interval `[low, high]`; a contender is *better* (or *worse*) than DML where the whole interval is
# above (below) zero. Open a table to read it.

# %% tags=["hide-input"]
page.show(pages.beyond.accuracy_tables(page))

# %% tags=["hide-input"]
page.show(pages.beyond.show_differences(page))

# %% [markdown]
# ## DML on propagated labels, tuned beyond the labelled budget
#
# `dml_labelprop` is DML trained on **propagated labels** (Iscen, Tolias, Avrithis & Chum 2019, "Label
# propagation for deep semi-supervised learning"; label spreading of Zhou et al. 2004): every `lp_every`
# epochs a kNN graph of all training images is built, the labelled images' labels are spread over it, and
# each step's batch is drawn from all training images with probability proportional to the propagated
# label's certainty (1 - entropy / log C) over its class's size; the metric loss (the paper's triplet loss)
# sees those pseudo-labels. The first graph is of the images' PCA (50 dimensions), later ones of the
# model's own latent space. Only the labelled images' labels are read. Its settings were chosen on a
# **validation split**: 5,000 training images held out (stratified, the same for every seed), 60 labels drawn
# from the other 55,000, scored with kNN under `labelled-to-test` on the held-out images; the test split was
# not read for any choice. That is 5,000 labels to choose settings for a model that trains with 60, more than a
# user with 60 labels has (Oliver et al. 2018), and the range of `lp_k` tried (5 to 20) had been narrowed before
# by label-spreading accuracy measured with every training label. The numbers of this part are therefore an
# optimistic bound, not what 60 labels give: part 3 holds it, and a model built for the task, to a realistic protocol.

# %% tags=["hide-input"]
# the choice was made at the paper's scale: shown from the shipped rows when they are there, else trained here
page.show(pages.beyond.validation(page))

# %% tags=["hide-input"]
# the target is a paper-scale result: the shipped rows (5 seeds, MNIST and the stand-in) when complete, else trained
page.show(pages.beyond.labelprop_target(page))

# %% [markdown]
# **The uniform draw.** The beyond grid above draws its 60 labels uniformly (we assume the paper's draw), and a
# uniform draw can give a class one or two labels. With k = 5 such a class loses every kNN vote to its
# neighbours even if the latents were perfect: the ceiling below places every image exactly on its own
# class's point and scores labelled-to-test kNN.

# %% tags=["hide-input"]
page.show(pages.beyond.uniform_draw(page))

# %% [markdown]
# ## Part 3: 60 labels under a realistic protocol
#
# Oliver et al. (2018, "Realistic evaluation of deep semi-supervised learning algorithms") ask of a
# semi-supervised result that **no setting is chosen with labels beyond the labelled budget**, that the draws a
# user would get are reported, and that fresh seeds confirm a claim once every choice is frozen. Here:
#
# - **No tuning.** Every setting is fixed in advance from the literature, not chosen on any labels: the VAE, the
#   graph and the solver are Calder et al.'s (2020, "Poisson learning"), the DML step takes the paper's defaults.
#   `dml_labelprop` keeps the settings chosen above (with 5,000 validation labels): it is shown as it is.
# - **Both draws**: the default uniform draw of 60 labels (a class may get one or none) and the stratified
#   (class-balanced) draw; and 10 stratified MNIST labels, one per class.
# - **10 seeds**: seeds 0-4 are the development seeds (while the model was put together, the draws of seeds 0-2
#   were looked at on seed 0's VAE, scored with every training label; no setting was changed by them); **seeds
#   5-9 were first run after every choice was frozen**, and are summarised apart below.
# - **Score**: kNN fitted on the labelled training latents only, scored on the test split (`labelled-to-test`,
#   k at most the labels per class). The VAE + graph models also have **their own classifier**, reported beside:
#   kNN (k = 10) fitted on every training latent with its inferred label, on the final latents and on the VAE's
#   latents before the DML step (what DML adds); "inferred labels right" is the share of training images whose
#   inferred label is their true one (read only to score).
# - **Inductive**: the VAE, the graph and DML see the training split only; the test images are only embedded.
#
# **The model** (`vae_graph`, routine `vae-graph`), from the paper's parts plus a maintained graph-learning
# library: (1) a plain VAE, MLP 784-400-20, Bernoulli likelihood, 100 epochs, no labels; (2) a 10-nearest-neighbour
# graph of its latents and labels inferred over it from the labelled images by **Poisson-MBO** from
# [`graphlearning`](https://github.com/jwcalder/GraphLearning), with **uniform class priors (an assumption: the
# priors are not measured; MNIST's classes are 9-11 % each, Fashion-MNIST's 10 %)**; (3) DML (the paper's MLP and
# triplet loss, 10 epochs) on every training image with its inferred label. Plain Poisson learning (no priors) is
# the fifth contender. The VAE reads no label, so one VAE per dataset and seed serves every draw (cached on disk:
# the run that trains it pays for it, the runs that reuse it do not, and the time line below tells them apart).

# %% tags=["hide-input"]
page.show(pages.beyond.graph_section(page))

# %% [markdown]
# ### Levers on the method, each alone
#
# Four changes to the method, each fixed before its runs and run under the same protocol, settings and seeds
# (the `graph-levers` grid): **labelled priors** (Poisson-MBO's class priors from the labelled draw, each class's
# count + 1, instead of uniform); **UMAP** of the VAE's latents before the graph (the N2D step of McConville et
# al. 2019, with N2D's settings: 20 neighbours, 10 components, min_dist 0; fitted on the training images only, the
# graph's pieces joined by their nearest pairs); **self-training** (2 rounds: the graph rebuilt on the DML latents,
# the labels inferred again, DML trained on them again); a **convolutional VAE** (50 epochs, not 100: an epoch
# took 9.2 s on 2 cores against the MLP VAE's 3.3 s). Each is compared with the method seed by seed. A fifth changes the protocol, not the method,
# and is **not a contender** (never judged against a target): **transductive**, the VAE, the graph and DML over the
# training and the test images (the test ones unlabelled), as the anchors ran it, scored our way and theirs (the
# inferred labels of every unlabelled node, test images included).

# %% tags=["hide-input"]
page.show(pages.beyond.levers_section(page))

# %% [markdown]
# **Published anchors.** Their protocols differ from ours, as each row says: Calder et al. build the VAE and the
# graph over all 70,000 images, test images included, and score the unlabelled images (transductive), with k
# labels per class and 100 draws; Kingma et al. score the test split with labels spread evenly over the classes.
# None of them draws its labels uniformly.

# %% tags=["hide-input"]
pages.beyond.anchors_table()

# %% tags=["hide-input"]
pages.beyond.anchor_notes(page)

# %% [markdown]
# ## Exercise

# %% [markdown]
# ```{exercise} Predict, then run: uniform or stratified draws
# :label: ex-draw-coverage
#
# Draw 10 labels from the digits training split 20 times (seeds 0 to 19), once uniformly and once stratified. Predict: which draw covers all 10 classes more often: `"stratified"`, `"uniform"` or `"the same"`? And why (`reason`)? Set both and run the check; only then run the experiment
# cell below it (a second on a laptop).
#
# - `"a"`: a stratified draw takes one label per class by construction; a uniform draw can take a class twice and miss another
# - `"b"`: a stratified draw takes more labels
# - `"c"`: a uniform draw takes its labels from the test split
# ```

# %%
prediction = None  # your answer: "stratified", "uniform" or "the same"
reason = None  # your answer: "a", "b" or "c"

from dmlvae.pages import exercises

exercises.check_prediction("draw-coverage", prediction, reason)

# %% tags=["remove-output"]
# the experiment (its output is left out of the book: run it yourself, after predicting)
from dmlvae.pages import exercises

print("the data say:", exercises.experiment("draw-coverage"))

# %% [markdown]
# ```{solution-start} ex-draw-coverage
# :class: dropdown
# ```

# %% tags=["solution"]
from dmlvae.pages import exercises

prediction, reason = "stratified", "a"

exercises.check_prediction("draw-coverage", prediction, reason)

# %% [markdown]
# ```{solution-end}
# ```
