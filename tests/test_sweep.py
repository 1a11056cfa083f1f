"""Grids, profiles, the results store (kill and resume, no duplicates, failed runs), paper tables."""

import json
import subprocess

import fakes
import numpy as np
import pandas as pd
import pytest

from dmlvae import DmlvaeError
from dmlvae.analysis import tables
from dmlvae.core import evaluate
from dmlvae.core.routines import DivergedError
from dmlvae.experiments import paper, profiles, store, sweep


def test_table_grids_match_the_paper():
    sizes = {t: len(paper.grid(t)) for t in paper.TABLES}
    assert sizes == {1: 30, 2: 30, 3: 42, 4: 15}
    models = [c["model"] for c in paper.grid(1)]
    assert models.count("dml") == 6 and models.count("dml_autoencoder") == 24
    t4 = paper.grid(4)
    assert {c["gamma"] for c in t4 if c["model"] == "mvae"} == {0.0, 2.0, 5.0, 10.0}
    assert {c["pl_pct"] for c in t4} == {100.0}


def test_configs_times_seeds_and_profile_overrides():
    cfgs = profiles.configs(1, "smoke", [0, 1, 2])
    assert len(cfgs) == 90 and len({c.key() for c in cfgs}) == 90
    assert all(c.epochs == 1 and c.train_subset == 2000 for c in cfgs)
    assert {c.seed for c in cfgs} == {0, 1, 2}
    t4 = profiles.configs(4, "quick", [0])
    assert all(c.probes == ("knn", "rf", "linear") for c in t4)


def test_profile_scale_describes_what_the_runs_see():
    quick, paper_ = profiles.profile_scale("quick"), profiles.profile_scale("paper")
    assert "6,000 training images" in quick and "2 epochs" in quick and "256-128" in quick
    assert "miniature" in quick and "2,000 test images" in quick
    assert "full training split" in paper_ and "10 epochs" in paper_ and "512-256" in paper_
    assert "miniature" not in paper_ and "full test split" in paper_
    assert "1 epoch " in profiles.profile_scale("smoke")
    with pytest.raises(DmlvaeError, match="smoke, quick, paper"):
        profiles.profile_scale("full")


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


def _fake_run(cfg):
    if cfg.model == "dml_autoencoder" and cfg.alpha == 0.5:
        raise DivergedError(f"loss is nan at epoch 0, step 3 ({cfg.model})")
    return fakes.fake_result(cfg)


def test_failed_runs_are_recorded_and_the_sweep_goes_on(tmp_path):
    f = tmp_path / "r.jsonl"
    counts = sweep.sweep(1, "smoke", 2, f, dataset="digits", progress=False, run_fn=_fake_run)
    assert counts == {"total": 60, "present": 0, "reused": 0, "ok": 48, "failed": 12, "elsewhere": 0}
    rows = store.Store(f).rows()
    failed = [r for r in rows if r["status"] == "failed"]
    assert len(failed) == 12 and all("DivergedError: loss is nan" in r["reason"] for r in failed)
    # started again: nothing is re-run, nothing duplicated
    again = sweep.sweep(1, "smoke", 2, f, dataset="digits", progress=False, run_fn=_fake_run)
    assert again == {"total": 60, "present": 60, "reused": 0, "ok": 0, "failed": 0, "elsewhere": 0}
    assert len(store.Store(f).rows()) == 60
    # more seeds: only the new ones run
    more = sweep.sweep(1, "smoke", 3, f, dataset="digits", progress=False, run_fn=_fake_run)
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
        sweep.sweep(2, "smoke", 1, tmp_path / "r.jsonl", progress=False, run_fn=_fake_run)
    assert "Table 2 needs organamnist" in str(e.value) and "--dataset fashion-mnist" in str(e.value)
    assert sweep.table_dataset(1) == (None, None)
    used, note = sweep.table_dataset(2)
    assert used == "fashion-mnist" and "stand-in" in note and "organamnist" in note
    import re

    assert len(re.findall(r"[.!?](\s|$)", note)) == 1 and "needs organamnist" not in note  # one sentence, no raw error
    assert sweep.table_dataset(2, dataset="digits") == ("digits", None)
    sweep.sweep(2, "smoke", 1, tmp_path / "r.jsonl", dataset="digits", progress=False, run_fn=_fake_run)
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


@pytest.mark.parametrize("protocol", evaluate.PROTOCOLS)
def test_each_protocol_on_digits(protocol):
    from dmlvae.core.config import RunConfig
    from dmlvae.core.train import run

    r = run(
        RunConfig(
            dataset="digits", model="dml", pl_pct=10, epochs=5, lsdim=8, protocol=protocol, probes=("knn", "linear")
        )
    )
    m = r["metrics"]
    assert set(m) == {"knn_acc", "knn_ami", "linear_acc", "linear_ami", "r_at_1"}
    assert m["knn_acc"] > 0.6 and m["linear_acc"] > 0.5 and m["r_at_1"] > 0.6
    assert set(r["metrics_by_protocol"]) == set(evaluate.PROTOCOLS)
    assert r["metrics_by_protocol"][protocol]["knn_acc"] == m["knn_acc"]


def test_protocols_differ_as_expected_on_separable_latents():
    rng = np.random.default_rng(0)
    y_tr, y_te = np.repeat(np.arange(3), 100), np.repeat(np.arange(3), 40)
    z_tr = rng.normal(0, 0.1, (300, 2)) + y_tr[:, None] * 3
    z_te = rng.normal(0, 0.1, (120, 2)) + y_te[:, None] * 3
    for p in evaluate.PROTOCOLS:
        m = evaluate.probe(
            z_te, y_te, p, ("knn", "rf", "mlp", "linear"), z_train=z_tr, y_train=y_tr, labelled=np.array([0, 100, 200])
        )
        assert all(m[f"{k}_acc"] == 1.0 for k in ("knn", "rf", "mlp", "linear")), (p, m)
        assert m["knn_ami"] == pytest.approx(1.0)
    # one labelled class only: every test point gets that class
    m = evaluate.probe(z_te, y_te, "labelled-to-test", ("knn",), z_train=z_tr, y_train=y_tr, labelled=np.array([0, 1]))
    assert m["knn_acc"] == pytest.approx(1 / 3)


def test_recall_at_1_matches_loop():
    rng = np.random.default_rng(1)
    z, y = rng.normal(size=(60, 3)), rng.integers(0, 3, 60)
    hits = 0
    for i in range(60):
        d = [np.linalg.norm(z[i] - z[j]) if j != i else np.inf for j in range(60)]
        hits += y[int(np.argmin(d))] == y[i]
    assert evaluate.recall_at_1(z, y) == pytest.approx(hits / 60)


@pytest.mark.parametrize("table", paper.TABLES)
def test_every_paper_cell_is_in_the_comparison(table, tmp_path):
    f = tmp_path / "r.jsonl"
    sweep.sweep(table, "smoke", 2, f, dataset="digits", progress=False, run_fn=_fake_run)
    cmp = tables.table(table, f)
    published = paper.paper_table(table)
    assert len(cmp) == len(published)
    assert (cmp.paper.values == published.value.values).all()
    ok = cmp[~((cmp.model == "dml_autoencoder") & (cmp.alpha == 0.5))]
    acc = ok[ok.metric == "knn_acc"]
    assert (acc.n_seeds == 2).all() and np.allclose(acc.ours_mean, 0.55) and np.allclose(acc.ours_sd, np.sqrt(0.005))
    assert np.allclose(acc["diff"], acc.ours_mean - acc.paper)
    wide = paper.layout(cmp)
    assert wide.notna().sum().sum() == len(cmp)  # every cell placed once in the paper's layout
    assert 'class="dmlvae-compare"' in paper.styled_layout(cmp).to_html()


def test_table_cli_prints_layout(run_cli, tmp_path):
    f = tmp_path / "r.jsonl"
    sweep.sweep(4, "smoke", 1, f, dataset="digits", progress=False, run_fn=_fake_run)
    code, out, err = run_cli("table", "4", "--results", f, "--csv", tmp_path / "t.csv")
    assert code == 0, err
    assert "Table 4" in out and "gamma=10" in out and "linear_acc" in out
    assert len(pd.read_csv(tmp_path / "t.csv")) == 45


def test_mean_sd_format():
    assert paper.mean_sd([0.5, 0.7, None]) == "0.600 ± 0.141"
    assert paper.mean_sd([0.25]) == "0.250" and paper.mean_sd([]) == "-"


def test_metric_reads_stored_rows():
    row = {"metrics": {"knn_acc": 0.7}, "metrics_by_protocol": {"test-cv/sampled-z": {"knn_acc": 0.1}}}
    assert store.metric(row, "knn_acc") == 0.7
    assert store.metric(row, "knn_acc", "test-cv/sampled-z") == 0.1
    assert store.metric({"metrics": None, "status": "failed"}, "knn_acc", "test-cv") is None


def test_cli_sweeps_a_book_grid_like_its_page(tmp_path, monkeypatch, capsys):
    import dmlvae.core.train as T
    from dmlvae import cli
    from dmlvae.experiments import grids

    monkeypatch.setattr(T, "run", _fake_run)
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


def test_flatten_and_summary_build_the_pages_tables():
    rows = [
        {
            "config": {"model": "mvae", "lsdim": 2},
            "seed": s,
            "status": "ok",
            "reason": None,
            "metrics": {"knn_acc": 0.5 + s / 10},
            "metrics_by_protocol": {"test-cv/sampled-z": {"knn_acc": 0.1}},
            "history": [{"kl": 9.0}, {"kl": 1.0 + s}],
        }
        for s in (0, 1)
    ]
    f = tables.flatten(rows, ["model", "lsdim"], tables.MU_AND_Z, last={"kl": "kl"}, keep=["reason"])
    assert list(f.columns) == ["model", "lsdim", "seed", "status", "mu", "sampled z", "kl", "reason"]
    assert f.mu.tolist() == [0.5, 0.6] and f["sampled z"].tolist() == [0.1, 0.1] and f.kl.tolist() == [1.0, 2.0]
    s = tables.summary(f, ["model", "lsdim"], ["mu", "kl"])
    assert s.loc[("mvae", 2), "mu"] == "0.550 ± 0.071" and s.loc[("mvae", 2), "runs"] == 2
    cmp = pd.DataFrame({"dataset_used": ["digits", ""]})
    assert "profile `quick`, seeds [0, 1], dataset `digits`" in paper.caption(1, cmp, "quick", [0, 1])


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


def test_grid_profiles_change_only_their_grids_under_their_profile(monkeypatch):
    """The quick profile trains Table 4 and the alternating-MetricVAE grid on 12,000 images (its calibration);
    every other grid, and every grid of the paper profile, keeps the profile's own setting."""
    from dmlvae.analysis import scorecard
    from dmlvae.experiments import grids

    assert {c.train_subset for c in profiles.configs(4, "quick", [0])} == {12000}
    assert {c.train_subset for c in profiles.configs(1, "quick", [0])} == {6000}
    assert {c.train_subset for c in profiles.configs(4, "paper", [0])} == {None}
    alt = grids.cells("mvae-alternating")
    assert {c.train_subset for c in profiles.profile_configs(alt, "quick", 1, grid="mvae-alternating")} == {12000}
    assert {c.train_subset for c in profiles.profile_configs(alt, "quick", 1, grid="figure6")} == {6000}
    assert {c.train_subset for c in profiles.profile_configs(alt, "quick", 1)} == {6000}
    # the scorecard's sources are the runs a page trains: the same keys
    sources = scorecard.claim_sources("quick", 2)
    page = profiles.profile_configs(grids.cells("mvae-alternating"), "quick", 2, grid="mvae-alternating")
    assert [c.key() for c in sources["alternating MVAE"][1]] == [c.key() for c in page]
    assert (
        "Table 4, the mvae-alternating grid, the table4-objective grid and the balance grid: train_subset 12,000"
        in profiles.profile_scale("quick")
    )
    assert "train_subset" not in profiles.profile_scale("paper")
    # a cell's own field still wins over a grid setting
    monkeypatch.setitem(profiles.GRID_PROFILES, "quick", {"g": {"train_subset": 9000, "epochs": 3}})
    (cfg,) = profiles.profile_configs([{"train_subset": 500}], "quick", 1, grid="g")
    assert (cfg.train_subset, cfg.epochs) == (500, 3)


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
    assert "(3 seeds)" in scorecard.claims(f, "smoke", seeds=3).set_index("claim").loc["1 (Table 1)", "evidence"]
    assert "(2 seeds)" in scorecard.claims(f, "smoke", seeds=[1, 2]).set_index("claim").loc["1 (Table 1)", "evidence"]


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
