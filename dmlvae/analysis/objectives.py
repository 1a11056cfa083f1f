"""The MetricVAE under two readings of the paper's objective L_U = MSE + beta KL (``grids.OBJECTIVES``): our
image-sum reconstruction and the paper's literal MSELoss() averaged over pixels, both with beta = 1. What each
objective's runs weigh (the loss shares), whether their posterior collapses, and how far Table 4 lies from the
paper's, all from the stored rows: the MetricVAE page's tables and sentences.
"""

from __future__ import annotations

import math

import pandas as pd

from dmlvae.analysis import scorecard, tables
from dmlvae.core import shares
from dmlvae.experiments import grids, paper, profiles, store

OBJECTIVES = tuple(grids.OBJECTIVES)  # ("image-sum", "pixel-mean")
LABELS = scorecard.OBJECTIVE_LABELS
TABLE4_GRID = {"image-sum": 4, "pixel-mean": "table4-objective"}


def table4_configs(profile: str, seeds, objective: str, dataset: str | None = None, device=None):
    """(grid, RunConfigs) of Table 4 under ``objective``: Table 4 itself for ours, the ``table4-objective`` grid
    for the paper's literal one (the same cells, the MetricVAE's reconstruction averaged over pixels)."""
    if objective == "image-sum":
        return 4, profiles.configs(4, profile, seeds, dataset=dataset, device=device)
    cells = grids.cells("table4-objective", dataset=dataset or "mnist", recon=objective)
    return "table4-objective", profiles.profile_configs(cells, profile, seeds, grid="table4-objective", device=device)


def alternating_configs(profile: str, seeds, objective: str, dataset: str = "mnist", device=None):
    """(grid, RunConfigs) of the alternating MetricVAE grid under ``objective`` (DML's runs are the same)."""
    cells = grids.cells("mvae-alternating", dataset=dataset, recon=None if objective == "image-sum" else objective)
    return "mvae-alternating", profiles.profile_configs(cells, profile, seeds, grid="mvae-alternating", device=device)


def table4_compare(results, profile: str, grid, cfgs) -> pd.DataFrame:
    """``paper.compare`` of Table 4 from the rows of ``cfgs`` stored under ``grid`` (Table 4's or its literal
    twin's)."""
    df = tables.results_frame(results, profile)
    return paper.compare(4, df[(df.table == grid) & store.of_runs(df, cfgs)].assign(table=4))


def log_classes(row: dict) -> float:
    """log(number of classes) in nats: what it takes to name an image's class."""
    return math.log({"organamnist": 11}.get(row["config"]["dataset"], 10))


def run_frame(rows, fields=()) -> pd.DataFrame:
    """One row per ok run: ``fields`` of its config, seed, kNN accuracy (test-cv on mu, test-cv on a sampled z,
    labelled-to-test), the final epoch's KL (nats), whether that KL is below log(classes) (``collapsed``), and each
    term's share of the loss in the last epoch that weighs the metric term (:mod:`dmlvae.core.shares`)."""
    out = []
    for r in rows:
        if r.get("status") != "ok":
            continue
        kl = (r.get("history") or [{}])[-1].get("kl")
        rec = {f: r["config"].get(f) for f in fields}
        rec.update(
            seed=r["seed"],
            acc=store.metric(r, "knn_acc"),
            acc_sampled=store.metric(r, "knn_acc", "test-cv/sampled-z"),
            acc_labelled=store.metric(r, "knn_acc", "labelled-to-test"),
            kl=kl,
            log_classes=log_classes(r),
            collapsed=None if kl is None else kl < log_classes(r),
        )
        rec.update(shares.columns(r, "last_metric"))
        out.append(rec)
    return pd.DataFrame(out)


SHARE_COLUMNS = ("metric share", "reconstruction share", "KL share")
SHARES = "loss shares: metric / recon. / KL"  # the summary table's one column for the three


def summary_table(frame: pd.DataFrame, by) -> pd.DataFrame:
    """Per ``by`` group: kNN accuracies (mean ± sd over seeds: test-cv on mu, on a sampled z, labelled-to-test), the
    final KL in nats (mean ± sd), how many runs collapsed (KL below log(classes)), and each term's mean share of the
    loss in the last epoch with the metric term, in one column (narrow enough for a page)."""
    g = frame.groupby(list(by), sort=False)
    out = g.agg(
        **{
            "kNN": ("acc", paper.mean_sd),
            "kNN, sampled z": ("acc_sampled", paper.mean_sd),
            "kNN, labelled-to-test": ("acc_labelled", paper.mean_sd),
            "KL (nats)": ("kl", paper.mean_sd),
            "runs": ("seed", "size"),
        }
    )
    out.insert(4, "collapsed", g["collapsed"].sum().astype(int).astype(str) + " of " + out.pop("runs").astype(str))
    if all(c in frame for c in SHARE_COLUMNS):
        means = g[list(SHARE_COLUMNS)].mean()
        out[SHARES] = [
            " / ".join(shares.fmt_share(v).removesuffix(" %") for v in row) + " %"
            for row in means.itertuples(index=False)
        ]
    return out


def _names(keys, by) -> str:
    """'gamma 0, lsdim 2; gamma 2, lsdim 2'-like names of groups (their ``by`` values)."""
    fmt = lambda v: f"{v:g}" if isinstance(v, float) else str(v)  # noqa: E731
    return "; ".join(
        ", ".join(f"{k} {fmt(v)}" for k, v in zip(by, key if isinstance(key, tuple) else (key,))) for key in keys
    )


def collapse_sentence(frame: pd.DataFrame, what: str, by) -> str:
    """Whether the runs of ``frame`` (one objective's MetricVAE runs of one grid) collapse: the final KL in nats
    and, by ``by`` group, whether every run, none or only some end with a KL below log(classes), less than it
    takes to name an image's class (the mean KL bounds the information the latent carries about the image)."""
    f = frame.dropna(subset=["kl"])
    if not len(f):
        return f"{what}: no run with a KL is stored yet."
    per = f.groupby(list(by), sort=False)["collapsed"].agg(["sum", "size"])
    every = [k for k, r in per.iterrows() if r["sum"] == r["size"]]
    none = [k for k, r in per.iterrows() if r["sum"] == 0]
    some = [k for k in per.index if k not in every and k not in none]
    if len(every) == len(per):
        parts = ["collapses in every run"]
    elif len(none) == len(per):
        parts = ["collapses in no run"]
    else:
        parts = (
            ([f"collapses in every run at {_names(every, by)}"] if every else [])
            + ([f"in no run at {_names(none, by)}"] if none else [])
            + ([f"in some runs only at {_names(some, by)}"] if some else [])
        )
    return (
        f"{what}: the final KL is {f.kl.mean():.3g} nats on average over {len(f)} runs ({f.kl.min():.3g} to "
        f"{f.kl.max():.3g}); the posterior " + "; ".join(parts) + f" (a final KL below log "
        f"{round(math.exp(f.log_classes.iloc[0]))} = {f.log_classes.iloc[0]:.2f} nats counts as collapsed)."
    )


NAMES = {"image-sum": "our image-sum objective", "pixel-mean": "the paper's literal objective"}


def agreement_sentence(agreements: dict) -> str:
    """The mean |ours - paper| over Table 4's numbers under each objective (``agreements``: objective ->
    ``scorecard.table_agreement``), and which objective is closer to the paper."""
    gaps = {o: a["mean |ours - paper|"] for o, a in agreements.items() if a["mean |ours - paper|"] is not None}
    if len(gaps) < len(OBJECTIVES):
        return "Table 4 has not been run under both objectives yet."
    text = "; ".join(f"{NAMES[o]}: {g:.3f} over {agreements[o]['numbers']} numbers" for o, g in gaps.items())
    closer, further = sorted(gaps, key=gaps.get)
    return (
        f"Mean |ours - paper| over Table 4's reported accuracies: {text}. Table 4 under {NAMES[closer]} is the "
        f"closer to the paper's, by {gaps[further] - gaps[closer]:.3f}."
    )


TABLE4_NOTES = {
    "image-sum": "; probes fitted and scored by the `test-cv` protocol (the paper's 'linear' column was likely "
    "scored on one 64-image batch)",
    "pixel-mean": "; the MetricVAE under the paper's literal objective (MSELoss averaged over pixels, beta 1); "
    "probes as above",
}
