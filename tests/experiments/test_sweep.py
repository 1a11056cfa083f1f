"""Grids, profiles, the results store (kill and resume, no duplicates, failed runs), paper tables."""

import json
import subprocess

import fakes
import numpy as np
import pytest

from dmlvae import DmlvaeError
from dmlvae.analysis import tables
from dmlvae.core import evaluate
from dmlvae.experiments import profiles, store, sweep


@pytest.mark.parametrize(
    "call,allowed",
    [
        (lambda: profiles.configs(5, "quick", [0]), "1, 2, 3, 4"),
        (lambda: profiles.configs("x", "quick", [0]), "1, 2, 3, 4"),
        (lambda: profiles.configs(1, "fast", [0]), "smoke, quick, paper"),
        (lambda: evaluate.probe(np.zeros((10, 2)), np.zeros(10, int), protocol="holdout"), "test-cv"),
        (lambda: evaluate.probe(np.zeros((10, 2)), np.zeros(10, int), probes=("svm",)), "linear"),
        (lambda: profiles.seeds_arg(0), "seeds"),
    ],
)
def test_bad_table_profile_protocol_rejected_with_allowed_values(call, allowed):
    with pytest.raises(DmlvaeError) as e:
        call()
    assert allowed in str(e.value)


def test_cli_bad_table_and_profile(run_cli, tmp_path):
    code, _, err = run_cli("sweep", "--table", "7", "--results", tmp_path / "r.jsonl")
    assert code == 2 and "table" in err and "1, 2, 3, 4" in err and "Traceback" not in err
    code, _, err = run_cli("sweep", "--table", "1", "--profile", "huge", "--results", tmp_path / "r.jsonl")
    assert code == 2 and "huge" in err and "smoke, quick, paper" in err


def test_failed_runs_are_recorded_and_the_sweep_goes_on(tmp_path):
    f = tmp_path / "r.jsonl"
    counts = sweep.sweep(1, "smoke", 2, f, dataset="digits", progress=False, run_fn=fakes.diverging_at_half)
    assert counts == {"total": 60, "present": 0, "reused": 0, "ok": 48, "failed": 12, "elsewhere": 0}
    rows = store.Store(f).rows()
    failed = [r for r in rows if r["status"] == "failed"]
    assert len(failed) == 12 and all("DivergedError: loss is nan" in r["reason"] for r in failed)
    # started again: nothing is re-run, nothing duplicated
    again = sweep.sweep(1, "smoke", 2, f, dataset="digits", progress=False, run_fn=fakes.diverging_at_half)
    assert again == {"total": 60, "present": 60, "reused": 0, "ok": 0, "failed": 0, "elsewhere": 0}
    assert len(store.Store(f).rows()) == 60
    # more seeds: only the new ones run
    more = sweep.sweep(1, "smoke", 3, f, dataset="digits", progress=False, run_fn=fakes.diverging_at_half)
    assert more["present"] == 60 and more["ok"] + more["failed"] == 30


def test_store_refuses_duplicates_unless_superseding(tmp_path):
    s = store.Store(tmp_path / "r.jsonl")
    row = {"table": 1, "profile": "smoke", "key": "abc", "status": "ok", "config": {}, "x": 1}
    assert s.append(row) and not s.append(dict(row, x=2))
    assert s.rows() == [row]
    assert s.append(dict(row, x=3), supersede=True)
    assert len(s.rows()) == 2 and s.latest()[(1, "smoke", "abc")]["x"] == 3


def test_stand_in_is_recorded_and_missing_dataset_explained(tmp_path, monkeypatch):
    monkeypatch.setenv("DMLVAE_DATA", str(tmp_path / "empty"))
    from dmlvae.core import data

    data._load_cached.cache_clear()
    monkeypatch.setattr(data, "_download", lambda *a, **k: (_ for _ in ()).throw(OSError("offline")))
    with pytest.raises(DmlvaeError) as e:
        sweep.sweep(2, "smoke", 1, tmp_path / "r.jsonl", progress=False, run_fn=fakes.diverging_at_half)
    assert "Table 2 needs organamnist" in str(e.value) and "--dataset fashion-mnist" in str(e.value)
    assert sweep.table_dataset(1) == (None, None)
    used, note = sweep.table_dataset(2)
    assert used == "fashion-mnist" and "stand-in" in note and "organamnist" in note
    import re

    assert len(re.findall(r"[.!?](\s|$)", note)) == 1 and "needs organamnist" not in note  # one sentence, no raw error
    assert sweep.table_dataset(2, dataset="digits") == ("digits", None)
    sweep.sweep(2, "smoke", 1, tmp_path / "r.jsonl", dataset="digits", progress=False, run_fn=fakes.diverging_at_half)
    rows = store.Store(tmp_path / "r.jsonl").rows()
    assert all(r["stand_in"] and r["dataset_used"] == "digits" and r["paper_dataset"] == "organamnist" for r in rows)


def test_kill_and_resume_ends_with_every_run_exactly_once(tmp_path, sweep_cmd, kill_mid_sweep):
    """A real sweep in a subprocess, killed with SIGKILL mid-way, then started again."""
    f = tmp_path / "r.jsonl"
    cmd = sweep_cmd(f)
    killed_at = kill_mid_sweep(cmd, f)
    assert 4 <= killed_at < 30
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    counts = json.loads(out.stdout)
    assert counts["present"] == killed_at and counts["ok"] == 30 - killed_at
    rows = store.Store(f).rows()
    ids = [store.Store.row_id(r) for r in rows]
    assert len(rows) == 30 and len(set(ids)) == 30 and all(r["status"] == "ok" for r in rows)


def test_cli_sweeps_a_book_grid_like_its_page(tmp_path, monkeypatch, capsys):
    import dmlvae.core.train as T
    from dmlvae import cli
    from dmlvae.experiments import grids

    monkeypatch.setattr(T, "run", fakes.diverging_at_half)
    f = tmp_path / "r.jsonl"
    argv = [
        "sweep",
        "--grid",
        "figure6",
        "--grid-param",
        "epochs=3",
        "--profile",
        "smoke",
        "--seeds",
        "2",
        "--dataset",
        "digits",
        "--results",
        str(f),
        "--no-progress",
    ]
    assert cli.main(argv) == 0
    page = profiles.profile_configs(grids.cells("figure6", dataset="digits", epochs=3), "smoke", 2)
    rows = store.rows_for(f, "figure6", "smoke", page)
    assert len(rows) == 8 and all(r["config"]["epochs"] == 3 for r in rows)
    for bad, words in (
        (["--grid", "figure6", "--grid-param", "lsdim=3"], ["lsdim", "dataset, epochs"]),
        (["--grid", "nope"], ["nope", "figure5"]),
        ([], ["--table", "--grid"]),
        (["--table", "1", "--grid-param", "a=1"], ["--grid-param"]),
    ):
        assert cli.main(["sweep", *bad, "--results", str(f)]) == 2
        err = capsys.readouterr().err
        assert all(w in err for w in words), err


def test_a_run_whose_latents_are_missing_is_trained_again_or_named_as_missing(tmp_path, monkeypatch):
    """Figure 5 plots saved latents: a stored row without its latents file (a fresh clone, a deleted file) is not
    'present', so the page trains it again, or under DMLVAE_NO_TRAIN names it as missing."""
    from dmlvae import MissingRuns
    from dmlvae.experiments import grids

    cfgs = profiles.profile_configs(grids.cells("figure5", dataset="digits")[:1], "smoke", 1)
    trained = []

    def run_fn(cfg):
        trained.append(cfg.key())
        z = np.full((4, 2), len(trained), dtype=np.float32)
        return {
            "metrics": {"knn_acc": 0.5},
            "metrics_by_protocol": {},
            "history": [],
            "z_test": z,
            "y_test": np.arange(4),
            "z_labelled": z[:2],
            "y_labelled": np.arange(2),
        }

    f = tmp_path / "r.jsonl"

    def go():
        return sweep.run_configs(
            "figure5",
            "smoke",
            cfgs,
            f,
            progress=False,
            run_fn=run_fn,
            keep_latents=True,
        )

    assert go()["ok"] == 1 and go()["present"] == 1 and len(trained) == 1
    path = store.latents_path(f, "figure5", "smoke", cfgs[0])
    path.unlink()
    monkeypatch.setenv("DMLVAE_NO_TRAIN", "1")
    with pytest.raises(MissingRuns, match="1 of 1 runs of grid figure5"):
        go()
    monkeypatch.delenv("DMLVAE_NO_TRAIN")
    assert go()["ok"] == 1 and len(trained) == 2
    z, _ = store.load_latents(f, "figure5", "smoke", cfgs[0])
    assert (z == 2).all() and len(store.rows_for(f, "figure5", "smoke", cfgs)) == 1
    assert sweep.run_configs("figure5", "smoke", cfgs, f, progress=False, run_fn=run_fn)["present"] == 1


def _probe_run(trained):
    """A fake run that records each training and reports every probe it was asked for (``knn`` scores 0.5 +
    seed / 10, the others 0.1), under the run's protocol and test-cv."""

    def run_fn(cfg):
        trained.append((cfg.seed, cfg.probes))
        m = {f"{p}_{s}": (0.5 + cfg.seed / 10 if p == "knn" else 0.1) for p in cfg.probes for s in ("acc", "ami")}
        return {
            "metrics": m,
            "metrics_by_protocol": {"test-cv": dict(m)},
            "history": [{"epoch": 0, "recon": 3.0}],
            "cpu_time": 42.0,
        }

    return run_fn


def test_a_run_another_grid_trained_is_copied_not_trained_again(tmp_path, monkeypatch):
    """Figure 6's runs are Table 4's lsdim-5 MetricVAE runs (with fewer probes): a grid asking for a run that
    another grid of the profile already trained copies that row, with only its own probes' metrics."""
    from dmlvae.experiments import grids

    f, trained = tmp_path / "r.jsonl", []
    t4 = [c for c in profiles.configs(4, "smoke", 2, dataset="digits") if c.model == "mvae" and c.lsdim == 5]
    assert sweep.run_configs(4, "smoke", t4, f, progress=False, run_fn=_probe_run(trained))["ok"] == 8
    fig6 = profiles.profile_configs(grids.cells("figure6", dataset="digits", epochs=1), "smoke", 2)
    assert {c.probes for c in fig6} == {("knn",)} and {sweep.training_key(c) for c in fig6} <= {
        sweep.training_key(c) for c in t4
    }
    monkeypatch.setenv("DMLVAE_NO_TRAIN", "1")  # copying is not training
    counts = sweep.run_configs("figure6", "smoke", fig6, f, progress=False, run_fn=_probe_run(trained))
    assert counts == {"total": 8, "present": 0, "reused": 8, "ok": 0, "failed": 0, "elsewhere": 0}
    assert len(trained) == 8
    rows = store.rows_for(f, "figure6", "smoke", fig6)
    assert [r["key"] for r in rows] == [c.key() for c in fig6]
    r = rows[0]
    assert r["reused_from"]["table"] == 4 and r["config"]["probes"] == ["knn"] and r["table"] == "figure6"
    assert r["metrics"] == {"knn_acc": 0.5, "knn_ami": 0.5} and "rf_acc" not in r["metrics_by_protocol"]["test-cv"]
    assert r["history"] == [{"epoch": 0, "recon": 3.0}] and r["cpu_time"] == 42.0
    source = {x["key"]: x for x in store.rows_for(f, 4, "smoke")}[r["reused_from"]["key"]]
    assert source["metrics"]["rf_acc"] == 0.1  # the source row is untouched
    assert sweep.reuse_note(rows) == (
        "8 of these 8 runs are runs of Table 4 (the same configuration and "
        "seed), copied from there rather than trained again."
    )
    assert sweep.reuse_note(store.rows_for(f, 4, "smoke")) == ""
    # copied once: a second sweep finds them present
    again = sweep.run_configs("figure6", "smoke", fig6, f, progress=False, run_fn=_probe_run(trained))
    assert again["present"] == 8 and again["reused"] == 0
    monkeypatch.delenv("DMLVAE_NO_TRAIN")


def test_only_a_current_ok_run_with_the_probes_needed_is_copied(tmp_path):
    from dmlvae.core.config import RunConfig

    f, trained = tmp_path / "r.jsonl", []
    base = dict(dataset="digits", model="dml", epochs=1, train_subset=300, test_subset=100)
    knn_only = [RunConfig(**base, seed=s) for s in (0, 1, 2)]
    sweep.run_configs("a", "smoke", knn_only, f, progress=False, run_fn=_probe_run(trained))
    st = store.Store(f)
    old = {**st.latest()[("a", "smoke", knn_only[1].key())], "training_version": 1}  # another code version
    st.append(old, supersede=True)
    st.append({**st.latest()[("a", "smoke", knn_only[2].key())], "status": "failed"}, supersede=True)
    trained.clear()
    counts = sweep.run_configs("b", "smoke", knn_only, f, progress=False, run_fn=_probe_run(trained))
    assert counts["reused"] == 1 and counts["ok"] == 2 and [s for s, _ in trained] == [1, 2]
    assert (
        sweep.run_configs(
            "c",
            "quick",
            knn_only,
            f,
            progress=False,  # another profile: trained
            run_fn=_probe_run(trained),
        )["reused"]
        == 0
    )
    trained.clear()
    more = [RunConfig(**base, seed=0, probes=("knn", "rf"))]  # a probe the stored run did not score
    assert sweep.run_configs("d", "smoke", more, f, progress=False, run_fn=_probe_run(trained))["ok"] == 1
    assert trained == [(0, ("knn", "rf"))]
    other = [RunConfig(**{**base, "epochs": 2}, seed=0)]  # trained differently
    assert sweep.run_configs("e", "smoke", other, f, progress=False, run_fn=_probe_run(trained))["ok"] == 1
    # a row whose config this code cannot read (a field it does not know) is no source, and breaks nothing: it is
    # skipped with the store's warning naming its line
    odd = st.latest()[("a", "smoke", knn_only[0].key())]
    st.append({**odd, "table": "z", "key": "0" * 16, "config": {**odd["config"], "bogus": 1}})
    with pytest.warns(store.StoreWarning, match="skipped 1 unreadable line"):
        counts = sweep.run_configs("f", "smoke", other, f, progress=False, run_fn=_probe_run(trained))
    assert counts["reused"] == 1


def test_the_sweep_cli_builds_a_grid_with_its_profile_setting(tmp_path, run_cli):
    """The CLI's runs of the alternating-MetricVAE grid under quick are the page's (12,000 images): with those
    stored, it has nothing left to train even where training is forbidden."""
    from dmlvae.experiments import grids

    f = tmp_path / "r.jsonl"
    cfgs = profiles.profile_configs(grids.cells("mvae-alternating"), "quick", 1, grid="mvae-alternating")
    m = {"knn_acc": 0.5}
    sweep.run_configs(
        "mvae-alternating",
        "quick",
        cfgs,
        f,
        progress=False,
        run_fn=lambda c: {"metrics": m, "metrics_by_protocol": {"test-cv": m}, "history": []},
    )
    code, out, err = run_cli(
        "sweep",
        "--grid",
        "mvae-alternating",
        "--profile",
        "quick",
        "--seeds",
        1,
        "--results",
        f,
        "--no-progress",
        env={"DMLVAE_NO_TRAIN": "1"},
    )
    assert code == 0, err
    assert len(store.Store(f).rows()) == len(cfgs)


def test_a_book_grid_run_on_another_dataset_than_the_papers_is_recorded_and_shown_as_a_stand_in(tmp_path):
    """Figure 5 is Table 3's figure (OrganAMNIST): run on digits its rows say stand_in, as a paper table's do, and
    a row stored before that (stand_in false) is read as one all the same; the book's own grids have no paper
    dataset. Table 2's caption names the stand-in."""
    from dmlvae.experiments import grids, paper

    f = tmp_path / "r.jsonl"
    m = {"knn_acc": 0.5, "knn_ami": 0.1}
    fake = lambda cfg: {"metrics": m, "metrics_by_protocol": {"test-cv": m}, "history": []}  # noqa: E731
    for grid, cells in (
        ("figure5", grids.cells("figure5", dataset="digits")),
        ("beyond", grids.cells("beyond", dataset="digits")[:1]),
        ("mvae-alternating", grids.cells("mvae-alternating", dataset="mnist")[:1]),
    ):
        cfgs = profiles.profile_configs(cells, "smoke", 1, grid=grid)
        sweep.run_configs(grid, "smoke", cfgs, f, progress=False, run_fn=fake)
    rows = {r["table"]: r for r in store.Store(f).rows()}
    assert rows["figure5"]["stand_in"] and rows["figure5"]["paper_dataset"] == "organamnist"
    assert not rows["beyond"]["stand_in"] and not rows["mvae-alternating"]["stand_in"]
    old = {**rows["figure5"], "stand_in": False, "paper_dataset": "digits"}
    assert grids.is_stand_in(old) and not grids.is_stand_in(rows["beyond"])
    assert not grids.is_stand_in(rows["mvae-alternating"])
    sweep.sweep(2, "smoke", 1, f, dataset="digits", progress=False, run_fn=fake)
    cmp = tables.table(2, f, "smoke")
    assert "dataset `digits` (**a stand-in**: the paper's numbers are OrganAMNIST's" in paper.caption(
        2, cmp, "smoke", [0]
    )
    sweep.sweep(1, "smoke", 1, tmp_path / "m.jsonl", progress=False, run_fn=fake)
    assert "stand-in" not in paper.caption(1, tables.table(1, tmp_path / "m.jsonl"), "smoke", [0])


def test_a_table_and_a_verdict_read_only_the_seeds_asked_for(tmp_path):
    """Three seeds stored, seed 0 far from seeds 1 and 2: the page's table with seeds=1 shows seed 0 alone, with
    seeds=3 the mean of all three; the scorecard's claims likewise (-p seeds N means what it says)."""
    from dmlvae.analysis import scorecard

    f = tmp_path / "r.jsonl"

    def fake(cfg):
        acc = (0.9 if cfg.seed == 0 else 0.3) + (0.05 if cfg.model == "dml_autoencoder" else 0.0)
        m = {"knn_acc": acc, "knn_ami": 0.1}
        return {"metrics": m, "metrics_by_protocol": {"test-cv": m}, "history": []}

    sweep.sweep(1, "smoke", 3, f, progress=False, run_fn=fake)
    one = tables.table(1, f, "smoke", cfgs=profiles.configs(1, "smoke", 1))
    three = tables.table(1, f, "smoke", cfgs=profiles.configs(1, "smoke", 3))
    dml = lambda t: t[(t.model == "dml") & (t.metric == "knn_acc")]  # noqa: E731
    assert dml(one).n_seeds.eq(1).all() and dml(one).ours_mean.round(6).eq(0.9).all()
    assert dml(three).n_seeds.eq(3).all() and dml(three).ours_mean.round(6).eq(0.5).all()
    one = scorecard.claims(f, "smoke", seeds=1).set_index("claim").loc["1 (Table 1)", "evidence"]
    assert one.count("(1 seed)") == 2
    assert "(3 seeds;" in scorecard.claims(f, "smoke", seeds=3).set_index("claim").loc["1 (Table 1)", "evidence"]
    assert "(2 seeds;" in scorecard.claims(f, "smoke", seeds=[1, 2]).set_index("claim").loc["1 (Table 1)", "evidence"]


@pytest.mark.parametrize(
    "value,forbids", [("1", True), ("yes", True), ("0", False), ("false", False), ("", False), ("OFF", False)]
)
def test_no_train_is_off_for_0_false_no_and_empty(monkeypatch, tmp_path, value, forbids):
    from dmlvae.errors import MissingRuns

    monkeypatch.setenv("DMLVAE_NO_TRAIN", value)
    cfgs = profiles.profile_configs([{"dataset": "digits", "model": "dml"}], "smoke", 1)
    m = {"knn_acc": 0.5}
    run = lambda c: {"metrics": m, "metrics_by_protocol": {"test-cv": m}, "history": []}  # noqa: E731
    if forbids:
        with pytest.raises(MissingRuns):
            sweep.run_configs("g", "smoke", cfgs, tmp_path / "r.jsonl", progress=False, run_fn=run)
    else:
        assert sweep.run_configs("g", "smoke", cfgs, tmp_path / "r.jsonl", progress=False, run_fn=run)["ok"] == 1


def test_a_page_says_how_many_runs_it_trains_how_long_they_take_and_each_one_done(tmp_path, capsys):
    f = tmp_path / "r.jsonl"
    m = {"knn_acc": 0.5}
    run = lambda c: {"metrics": m, "metrics_by_protocol": {"test-cv": m}, "history": [], "cpu_time": 30.0}  # noqa: E731
    first = profiles.profile_configs([{"dataset": "digits", "model": "dml"}], "smoke", 2)
    sweep.run_configs("g", "smoke", first, f, progress=False, run_fn=run)
    err = capsys.readouterr().err
    assert "training 2 of 2 runs: no stored run" in err and "2 of 2 trained: dml/supervised seed 1" in err
    more = profiles.profile_configs([{"dataset": "digits", "model": "dml"}], "smoke", 5)
    sweep.run_configs("g", "smoke", more, f, progress=False, run_fn=run)
    err = capsys.readouterr().err
    assert "training 3 of 5 runs: about 90 s of CPU time" in err, err


@pytest.mark.parametrize("model, check", [("dml_autoencoder", "mean embedding norm is"), ("mvae", "loss is nan")])
def test_divergence_is_a_failed_row_with_its_reason_and_the_sweep_goes_on(tmp_path, model, check):
    """lr 1 on digits: the autoencoder's latents run off (the norm check), the MetricVAE's loss turns NaN (the loss
    check); each is a failed row naming where it diverged, and the next run still trains."""
    from dmlvae.core.config import RunConfig

    bad = RunConfig(dataset="digits", model=model, lr=1.0, epochs=2)
    good = RunConfig(dataset="digits", model="dml", epochs=1, train_subset=300, test_subset=100)
    counts = sweep.run_configs("div", "smoke", [bad, good], tmp_path / "r.jsonl", progress=False)
    assert (counts["failed"], counts["ok"]) == (1, 1)
    rows = {r["key"]: r for r in store.rows_for(tmp_path / "r.jsonl", "div", "smoke")}
    failed = rows[bad.key()]
    assert failed["status"] == "failed" and failed["reason"].startswith("DivergedError: ") and check in failed["reason"]
    assert "metrics" not in failed and rows[good.key()]["status"] == "ok"
