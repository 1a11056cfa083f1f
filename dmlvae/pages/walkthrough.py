"""Live runs on the pages (the walkthrough, page 08, and page 01): one line a run, its history, what a seed fixes."""

from __future__ import annotations

import pandas as pd

from dmlvae.core import data, evaluate
from dmlvae.core.evaluate import PROTOCOLS, probe
from dmlvae.core.train import TEST_SUBSET_SEED


def describe(runs: dict) -> str:
    """One sentence on live runs that share a labelled subset ({name: ``run``'s result}): how many labelled images,
    how many classes they cover, and how long each run trained."""

    first = next(iter(runs.values()))
    classes = data.load(first["dataset_used"]).n_classes
    times = ", ".join(f"{name} in {r['wall_time']:.0f} s" for name, r in runs.items())
    covered = f"{first['labelled_classes']} of {classes} classes"
    return f"{first['n_labelled']} labelled images covering {covered}; trained: {times}."


def run_line(r: dict) -> str:
    """One line on a live run: labelled and training images, classes covered, test images, time, device, seed."""
    return (
        f"{r['n_labelled']:,} labelled of {r['n_train']:,} training images "
        f"({r['n_labelled'] / r['n_train']:.0%}; {r['labelled_classes']} classes); {r['n_test']:,} test "
        f"images; {r['wall_time']:.1f} s on {r['device']}; seed {r['config']['seed']}"
    )


def history_frame(r: dict, columns=("metric", "active_triplets", "embedding_norm", "seconds")):
    """A run's history, one row per epoch, the ``columns`` named, rounded to 4 decimals."""

    return pd.DataFrame(r["history"]).set_index("epoch")[list(columns)].round(4)


def seeds_sentence() -> str:
    """What a seed fixes, the test subset's fixed draw, and the probes' fixed settings (for the assumptions page)."""

    return (
        f"Seeds: every run's seed fixes its labelled subset, its initialisation and its batches; "
        f"the test subset of a profile is a fixed stratified draw (seed {TEST_SUBSET_SEED}). kNN k = "
        f"{evaluate.KNN_K}, cross-validation folds = {evaluate.CV_FOLDS}."
    )


def probe_table(runs: dict, protocols=PROTOCOLS, probes=("knn",), seed: int = 0):
    """Each kept-model run of ``runs`` ({name: ``train.run(..., keep_model=True)``'s result}) probed under each of
    ``protocols``: one row per (model, protocol), every metric of :func:`probe` rounded to 3 decimals."""

    rows = []
    for name, r in runs.items():
        for protocol in protocols:
            m = probe(
                r["z_test"],
                r["y_test"],
                protocol,
                probes,
                z_train=r["z_train"],
                y_train=r["y_train"],
                labelled=r["labelled"],
                seed=seed,
            )
            rows.append({"model": name, "protocol": protocol, **{k: round(v, 3) for k, v in m.items()}})
    return pd.DataFrame(rows)
