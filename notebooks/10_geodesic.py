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
# The paper's fourth proposal, never tried there: measure distances in the latent space with the Riemannian
# metric that the decoder pulls back from image space (Arvanitidis, Hauberg & Schölkopf 2020), so that the
# triplet loss compares **geodesic** rather than Euclidean distances.
#
# **The approximation.** The exact geodesic is the shortest curve under the pulled-back metric; finding it
# needs an optimisation per pair. `dmlvae` takes one curve instead: the straight line between the two latents,
# decoded at T + 1 evenly spaced points, and measures its length in image space,
# $L(a, b) = \sum_{t=0}^{T-1} \lVert g(z_{t+1}) - g(z_t) \rVert$, $z_t = a + \tfrac{t}{T}(b - a)$
# (`distance="geodesic"`, `geodesic_segments` = T, default 8). Properties, each tested in `tests/test_beyond.py`:
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
from IPython.display import Markdown, display

from dmlvae import beyond, grids, pages, plots, profiles, tables

pages.check(
    profile=profile,
    seeds=seeds,
    dataset=dataset,
    device=device,
    results=results,
    workers=workers,
    lsdim=lsdim,
    alpha=alpha,
    segments=segments,
)
profile = pages.page_profile(profile)  # auto: paper, from the shipped rows only
display(
    Markdown(
        pages.rerun_note(
            "10_geodesic",
            profile,
            seeds,
            [
                f"python -m dmlvae sweep --grid geodesic --grid-param lsdim={lsdim} --grid-param alpha={alpha} "
                f"--grid-param segments={segments} --profile {profile} --seeds {seeds}"
            ],
        )
    )
)
plots.setup()
results = profiles.results_path(profile, results)
cfgs = profiles.profile_configs(
    grids.cells("geodesic", dataset=dataset or "mnist", lsdim=lsdim, alpha=alpha, segments=segments),
    profile,
    seeds,
    grid="geodesic",
    device=device,
)
frame, failed = beyond.load_or_train("geodesic", profile, cfgs, results, grids.geodesic_variant, "variant", workers)
if len(failed):
    display(Markdown(f"**{len(failed)} runs failed** and are left out below:"), failed)
ok = frame[frame.status == "ok"]
order = [n for n, _ in grids.GEODESIC_VARIANTS]
display(
    Markdown(
        f"Profile `{profile}`, seeds {profiles.seeds_arg(seeds)}, lsdim {lsdim}, alpha {alpha}, "
        f"T = {segments}; kNN accuracy, mean ± sd over seeds; seconds a run, the median (CPU time where "
        "the row records it, else wall time, which a machine shared with other runs inflates)."
    )
)
table = tables.summary(ok, ["variant", "pl_pct"], ["test-cv", "labelled-to-test"])
table.insert(2, "seconds a run (median)", ok.groupby(["variant", "pl_pct"]).seconds.median().round(0))
table.reindex([(v, p) for v in order for p in sorted(ok.pl_pct.unique())])

# %% [markdown]
# ## Geodesic minus Euclidean, paired by seed
# Mean difference over seeds with its 95% t-interval, against each Euclidean variant.

# %% tags=["hide-input"]
diff = beyond.paired_against(frame, "variant", order[2], order[:2])
diff.round(3)

# %% tags=["hide-input"]
lines = [
    f"- at {p:g} % labels, `{pr}`: geodesic {v} than {ref} ({m:+.3f} [{lo:+.3f}, {hi:+.3f}])"
    if v in ("better", "worse")
    else f"- at {p:g} % labels, `{pr}`: no difference from {ref} shown ({m:+.3f} [{lo:+.3f}, {hi:+.3f}])"
    for ref, p, pr, m, lo, hi, v in diff[
        ["against", "pl_pct", "protocol", "mean", "low", "high", "verdict"]
    ].itertuples(index=False)
]
cost = ok.groupby("variant").seconds.median()
display(
    Markdown(
        "**What the runs say** (profile `"
        + profile
        + "`):\n"
        + "\n".join(lines)
        + f"\n\nCost: the geodesic runs take {cost[order[2]] / cost[order[1]]:.1f}x the time of the "
        "Euclidean batch-hard runs (median seconds a run; decoding 2B paths of T + 1 points at every "
        "supervised step)."
    )
)
