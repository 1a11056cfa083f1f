"""Live runs on the pages (dmlvae.pages.walkthrough): a run's line, its history, what a seed fixes, the probes."""

import pytest

from dmlvae import pages
from dmlvae.core import evaluate
from dmlvae.core.config import RunConfig
from dmlvae.core.train import run


@pytest.fixture(scope="module")
def live():
    cfg = RunConfig(dataset="digits", model="dml", pl_pct=10, epochs=2, lsdim=4, hidden=(32,), batch_size=128)
    return run(cfg, keep_model=True)


def test_the_run_line_and_the_sentence_give_the_runs_own_counts(live):
    line = pages.walkthrough.run_line(live)
    assert f"{live['n_labelled']:,} labelled of {live['n_train']:,} training images" in line
    assert f"seed {live['config']['seed']}" in line
    sentence = pages.walkthrough.describe({"DML": live})
    assert sentence.startswith(f"{live['n_labelled']} labelled images covering {live['labelled_classes']} of 10")


def test_the_history_has_one_row_per_epoch(live):
    frame = pages.walkthrough.history_frame(live)
    assert list(frame.index) == [h["epoch"] for h in live["history"]] and len(frame) == 2


def test_the_probe_table_scores_each_protocol_as_evaluate_does(live):
    table = pages.walkthrough.probe_table({"DML": live}, ("test-cv", "labelled-to-test"))
    for _, row in table.iterrows():
        m = evaluate.probe(
            live["z_test"],
            live["y_test"],
            row.protocol,
            ("knn",),
            z_train=live["z_train"],
            y_train=live["y_train"],
            labelled=live["labelled"],
            seed=0,
        )
        assert row.knn_acc == round(m["knn_acc"], 3)


def test_the_seeds_sentence_names_the_probes_fixed_settings():
    text = pages.walkthrough.seeds_sentence()
    assert f"kNN k = {evaluate.KNN_K}" in text and f"folds = {evaluate.CV_FOLDS}" in text
