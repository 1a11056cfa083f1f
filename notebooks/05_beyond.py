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
# # Beyond the paper: does a VAE component help DML when trained sensibly?
#
# The paper names three ideas for future work; two are training routines, and `dmlvae` implements both,
# plus the joint routine of Table 4 at the paper's semi-supervised label counts:
#
# - `alternating-batch`: the paper's alternation, per step instead of per epoch;
# - `joint`: $L_U + \gamma L_S$ at every step;
# - `dml-then-gmm`: train DML first, fit a Gaussian mixture (one component per class) to its embeddings,
#   and use that mixture as the prior of a VAE trained jointly from there.
#
# Each is compared with plain DML at 6, 60 and 6,000 MNIST labels (0.01 %, 0.1 %, 10 %) over the same
# seeds, under two protocols: `test-cv` (the paper's reading) and `labelled-to-test` (probes fitted on the
# labelled images only, which is all a semi-supervised user has).

# %% tags=["parameters"]
profile = "quick"     # smoke, quick or paper
seeds = 2             # seeds 0..seeds-1 per configuration
dataset = None        # None: MNIST; or any dataset
device = None         # None: cuda when available, else cpu
results = None        # results file; None: results/<profile>.jsonl
workers = None               # None: train missing runs one by one; N: N at once on Ray workers
lsdim = 10            # embedding dimension of every model here
alpha = 0.5           # weight of L_U in the alternating routines
gamma = 1.0           # weight of L_S in the joint routines

# %% tags=["hide-input"]
import pandas as pd
from IPython.display import Markdown, display

from dmlvae import experiments, grids, paper, parameters, plots

parameters.check(profile=profile, seeds=seeds, dataset=dataset, device=device, results=results,
                 workers=workers, lsdim=lsdim, alpha=alpha, gamma=gamma)
display(Markdown(parameters.rerun_note("05_beyond", profile, seeds, [
    f"python -m dmlvae sweep --grid beyond --grid-param lsdim={lsdim} --grid-param alpha={alpha} "
    f"--grid-param gamma={gamma} --profile {profile} --seeds {seeds}",
])))
plots.setup()
results = experiments.results_path(profile, results)
seed_list = experiments.seeds_arg(seeds)
cfgs = experiments.profile_configs(grids.cells("beyond", dataset=dataset or "mnist", lsdim=lsdim, alpha=alpha,
                                               gamma=gamma), profile, seeds, device=device)
names = {cfg.key(): grids.contender(cfg) for cfg in cfgs}
contenders = grids.BEYOND_CONTENDERS
experiments.run_configs("beyond", profile, cfgs, results, progress=False, workers=workers)
rows = experiments.rows_for(results, "beyond", profile, cfgs)
frame = experiments.flatten(rows, ["pl_pct"], {p: ("knn_acc", p) for p in ("test-cv", "labelled-to-test")},
                            keep=["n_labelled"]).rename(columns={"n_labelled": "labels"})
frame.insert(0, "contender", [names[r["key"]] for r in rows])
failed = frame[frame.status != "ok"]
if len(failed):
    display(Markdown(f"**{len(failed)} runs failed** and are left out below:"), failed)
display(Markdown(f"Profile `{profile}`, seeds {seed_list}, lsdim {lsdim}, alpha {alpha}, gamma {gamma}; "
                 "kNN accuracy, mean ± sd over seeds."))



ok = frame[frame.status == "ok"]
order = [n for n, _ in contenders]
for protocol in ("test-cv", "labelled-to-test"):
    display(Markdown(f"### kNN accuracy, `{protocol}`"))
    table = ok.pivot_table(index="contender", columns="pl_pct", values=protocol, aggfunc=paper.mean_sd)
    display(table.reindex(order))

# %% [markdown]
# ## Difference from DML, seed by seed
# Each contender minus DML with the same seed, labelled subset and protocol (`test-cv`), mean ± sd over
# seeds: a positive number means the VAE component helped.

# %% tags=["hide-input"]
base = ok[ok.contender == order[0]].set_index(["pl_pct", "seed"])["test-cv"]
diff = ok[ok.contender != order[0]].copy()
diff["minus DML"] = [row["test-cv"] - base.get((row.pl_pct, row.seed), float("nan"))
                     for _, row in diff.iterrows()]
diff.pivot_table(index="contender", columns="pl_pct", values="minus DML",
                 aggfunc=paper.mean_sd).reindex(order[1:])

# %% tags=["hide-input"]
import plotly.express as px

summary = ok.groupby(["contender", "pl_pct"], sort=False)["test-cv"].agg(["mean", "std"]).reset_index()
summary["labels"] = summary.pl_pct.map({0.01: "0.01 %", 0.1: "0.1 %", 10: "10 %"})
fig = px.bar(summary, x="labels", y="mean", error_y="std", color="contender", barmode="group",
             title=f"kNN accuracy (test-cv), mean ± sd over seeds {seed_list}",
             labels={"mean": "kNN accuracy", "labels": "labelled"})
fig.show()
