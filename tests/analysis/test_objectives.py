"""The MetricVAE's two objectives: Table 4 under each (never mixed), collapse and agreement sentences that
follow the rows, on synthetic stores (nothing is trained), and the grids behind them."""

import math

import pandas as pd

from dmlvae.analysis import objectives, scorecard
from dmlvae.experiments import store, sweep


def _run(acc_of, kl_of=lambda cfg: 5.0):
    def run(cfg):
        m = {"knn_acc": acc_of(cfg) + 0.002 * cfg.seed, "knn_ami": 0.1, "rf_acc": 0.5, "linear_acc": 0.5}
        hist = [{"epoch": 0, "kl": kl_of(cfg), "weighted": {"metric": 1.0, "recon": 3.0, "kl": 0.0}}]
        return {
            "metrics": m,
            "metrics_by_protocol": {"test-cv": m, "labelled-to-test": m, "test-cv/sampled-z": m},
            "history": hist,
        }

    return run


def test_table4_under_each_objective_reads_its_own_rows(tmp_path):
    f = tmp_path / "r.jsonl"
    acc = lambda c: 0.9 if c.model == "dml" else (0.7 if c.recon == "image-sum" else 0.2)  # noqa: E731
    for o in objectives.OBJECTIVES:
        grid, cfgs = objectives.table4_configs("smoke", 2, o)
        sweep.run_configs(grid, "smoke", cfgs, f, progress=False, run_fn=_run(acc))
    for o, want in (("image-sum", 0.701), ("pixel-mean", 0.201)):
        grid, cfgs = objectives.table4_configs("smoke", 2, o)
        cmp = objectives.table4_compare(f, "smoke", grid, cfgs)
        knn = cmp[(cmp.metric == "knn_acc") & (cmp.model == "mvae")]
        assert len(knn) == 12 and knn.ours_mean.round(6).eq(want).all() and knn.n_seeds.eq(2).all()


def _frame(kls, by="gamma"):
    return pd.DataFrame(
        [
            {by: g, "seed": s, "kl": kl, "log_classes": math.log(10), "collapsed": kl < math.log(10)}
            for g, runs in kls.items()
            for s, kl in enumerate(runs)
        ]
    )


def test_collapse_sentence_follows_the_kl():
    every = objectives.collapse_sentence(_frame({0.0: [0.001, 0.002], 2.0: [0.0, 0.1]}), "T", ["gamma"])
    assert every.startswith("T: the final KL is 0.0258 nats on average over 4 runs (0 to 0.1)")
    assert "the posterior collapses in every run (a final KL below log 10 = 2.30 nats" in every
    none = objectives.collapse_sentence(_frame({0.0: [4.0, 5.0], 2.0: [6.0, 7.0]}), "T", ["gamma"])
    assert "the posterior collapses in no run" in none
    mixed = objectives.collapse_sentence(_frame({0.0: [0.01, 0.02], 2.0: [6.0, 7.0], 5.0: [1.0, 9.0]}), "T", ["gamma"])
    assert "collapses in every run at gamma 0; in no run at gamma 2; in some runs only at gamma 5" in mixed
    assert "no run with a KL" in objectives.collapse_sentence(
        pd.DataFrame({"gamma": [0.0], "kl": [None], "collapsed": [None], "log_classes": [2.3]}), "T", ["gamma"]
    )


def test_run_frame_counts_a_kl_below_log_classes_as_collapsed():
    def row(ds, kl):
        return {
            "status": "ok",
            "seed": 0,
            "config": {"dataset": ds, "gamma": 0.0},
            "metrics": {"knn_acc": 0.5},
            "history": [{"kl": kl, "weighted": {"metric": 0.0, "recon": 1.0}}],
        }

    f = objectives.run_frame([row("mnist", 2.2), row("mnist", 2.4), row("organamnist", 2.35)], ["gamma"])
    assert f.collapsed.tolist() == [True, False, True]  # log 10 = 2.303, log 11 = 2.398
    assert f["reconstruction share"].tolist() == [1.0, 1.0, 1.0]


def test_agreement_sentence_names_the_closer_objective():
    a = lambda gap: {"mean |ours - paper|": gap, "numbers": 45}  # noqa: E731
    s = objectives.agreement_sentence({"image-sum": a(0.05), "pixel-mean": a(0.3)})
    assert "our image-sum objective: 0.050 over 45 numbers; the paper's literal objective: 0.300" in s
    assert s.endswith("Table 4 under our image-sum objective is the closer to the paper's, by 0.250.")
    assert objectives.agreement_sentence({"image-sum": a(0.3), "pixel-mean": a(0.05)}).endswith(
        "under the paper's literal objective is the closer to the paper's, by 0.250."
    )
    assert "not been run under both" in objectives.agreement_sentence({"image-sum": a(0.3), "pixel-mean": a(None)})


def test_summary_table_shows_shares_kl_and_collapse(tmp_path):
    f = tmp_path / "r.jsonl"
    grid, cfgs = objectives.table4_configs("smoke", 2, "pixel-mean")
    sweep.run_configs(
        grid, "smoke", cfgs, f, progress=False, run_fn=_run(lambda c: 0.3, lambda c: 0.0001 if c.gamma == 0 else 4.0)
    )
    rows = [r for r in store.rows_for(f, grid, "smoke", cfgs) if r["config"]["model"] == "mvae"]
    t = objectives.summary_table(objectives.run_frame(rows, ["gamma", "lsdim"]), ["gamma", "lsdim"])
    assert t.loc[(0.0, 2), "collapsed"] == "2 of 2" and t.loc[(2.0, 2), "collapsed"] == "0 of 2"
    assert t.loc[(0.0, 2), objectives.SHARES] == "25 / 75 / 0 %"
    assert t.loc[(2.0, 10), "KL (nats)"] == "4.000 ± 0.000"
    assert list(t.columns) == [
        "kNN",
        "kNN, sampled z",
        "kNN, labelled-to-test",
        "KL (nats)",
        "collapsed",
        objectives.SHARES,
    ]
    assert scorecard.OBJECTIVE_LABELS.keys() == set(objectives.OBJECTIVES)
