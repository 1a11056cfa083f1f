"""The results store under the faults a real user meets: failed and stale rows, mixed configurations, bad
lines, unwritable outputs, concurrent sweeps, leftovers of killed writers, Ctrl-C."""

import json
import os
import signal
import subprocess
import time
import warnings

import fakes
import pytest
import torch

from dmlvae import DmlvaeError
from dmlvae.analysis import tables
from dmlvae.core.routines import DivergedError
from dmlvae.experiments import profiles, store, sweep
from dmlvae.version import TRAINING_VERSION

_ok = fakes.fake_result


def _fail(cfg):
    raise DivergedError("loss is nan at epoch 0, step 0")


def test_failed_rows_show_as_failed_and_are_retried_with_retry_failed(tmp_path, run_cli):
    f = tmp_path / "r.jsonl"
    counts = sweep.sweep(1, "smoke", 1, f, dataset="digits", progress=False, run_fn=_fail)
    assert counts["failed"] == 30
    cmp = tables.table(1, f)
    assert (cmp.ours.str.startswith("failed")).all() and (cmp.n_failed == 1).all()
    code, out, _ = run_cli("table", "1", "--results", f)
    assert code == 0 and "failed (1)" in out and "failed (no ok run): 60" in out
    # a plain re-run trains nothing; --retry-failed trains the failed runs again, and the new rows win
    assert sweep.sweep(1, "smoke", 1, f, dataset="digits", progress=False, run_fn=_ok)["ok"] == 0
    again = sweep.sweep(1, "smoke", 1, f, dataset="digits", progress=False, run_fn=_ok, retry_failed=True)
    assert again["ok"] == 30 and again["present"] == 0
    cmp = tables.table(1, f)
    assert (cmp.n_seeds == 1).all() and (cmp.n_failed == 0).all()
    assert len(store.Store(f).rows()) == 60 and len(store.Store(f).latest()) == 30


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_impossible_device_is_refused_before_any_run(tmp_path, run_cli):
    f = tmp_path / "r.jsonl"
    calls = []
    with pytest.raises(DmlvaeError, match="device 'cuda' is not available.*allowed here: auto, cpu"):
        sweep.sweep(1, "smoke", 1, f, dataset="digits", device="cuda", progress=False, run_fn=lambda c: calls.append(c))
    assert not calls and not f.exists()
    for dev in ("cuda", "cuda:7"):
        code, _, err = run_cli("sweep", "--table", "1", "--profile", "smoke", "--device", dev, "--results", f)
        assert code == 2 and repr(dev) in err and "Traceback" not in err and not f.exists()


def test_rows_record_the_training_version_and_stale_rows_are_marked_and_rerun(tmp_path, run_cli):
    f = tmp_path / "r.jsonl"
    sweep.sweep(
        1, "smoke", 1, f, dataset="digits", progress=False, run_fn=lambda cfg: {**_ok(cfg), "cpu_time": 1.23456}
    )
    rows = store.Store(f).rows()
    assert all(r["training_version"] == TRAINING_VERSION for r in rows)
    assert all(r["cpu_time"] == 1.235 for r in rows)  # the run's CPU seconds, kept beside its wall time
    old = [dict(r, training_version=TRAINING_VERSION - 1) for r in rows]
    f.write_text("".join(json.dumps(r) + "\n" for r in old))
    cmp = tables.table(1, f)
    assert cmp.stale.all() and cmp.ours.str.endswith("stale").all()
    code, out, _ = run_cli("table", "1", "--results", f)
    assert "stale (another training-code version; `sweep --rerun-stale`): 60" in out
    assert sweep.sweep(1, "smoke", 1, f, dataset="digits", progress=False, run_fn=_ok)["ok"] == 0
    counts = sweep.sweep(1, "smoke", 1, f, dataset="digits", progress=False, run_fn=_ok, rerun_stale=True)
    assert counts["ok"] == 30
    assert not tables.table(1, f).stale.any()


def test_bad_lines_are_skipped_with_a_warning_and_never_rewritten(tmp_path, run_cli):
    f = tmp_path / "r.jsonl"
    sweep.sweep(1, "smoke", 1, f, dataset="digits", progress=False, run_fn=_ok)
    good = f.read_text().splitlines()
    lines = good[:10] + ["garbage {", json.dumps({"table": 1, "profile": "smoke"})] + good[10:-1] + [good[-1][:40]]
    f.write_text("\n".join(lines))  # the last line is truncated, as a full disk leaves it
    with pytest.warns(store.StoreWarning, match=r"r.jsonl: skipped 3 unreadable line\(s\) \(line 11, 12, 32\)"):
        rows = store.Store(f).rows()
    assert len(rows) == 29
    # the truncated run counts as missing and is trained again; the bad lines stay in the file
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", store.StoreWarning)
        counts = sweep.sweep(1, "smoke", 1, f, dataset="digits", progress=False, run_fn=_ok)
        assert counts["ok"] == 1
        assert len(store.Store(f).rows(warn=False)) == 30
    text = f.read_text()
    assert "garbage {" in text and good[-1][:40] + "\n" in text
    code, out, err = run_cli("table", "1", "--results", f)
    assert code == 0 and "skipped 3 unreadable line(s)" in err and "Traceback" not in err


def test_unwritable_outputs_are_refused_before_training(tmp_path, run_cli, monkeypatch):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    calls = []
    with pytest.raises(DmlvaeError, match="is a file, not a directory"):
        sweep.sweep(
            1, "smoke", 1, blocker / "r.jsonl", dataset="digits", progress=False, run_fn=lambda c: calls.append(c)
        )
    with pytest.raises(DmlvaeError, match="is a directory"):
        sweep.sweep(1, "smoke", 1, tmp_path, dataset="digits", progress=False, run_fn=lambda c: calls.append(c))
    assert not calls
    import dmlvae.core.train as T
    from dmlvae import cli

    monkeypatch.setattr(T, "run", lambda *a, **k: calls.append(a))
    for flag in ("--out", "--save-latents"):
        assert cli.main(["train", "--dataset", "digits", flag, str(blocker / "run.json")]) == 2
    assert not calls
    code, _, err = run_cli("train", "--dataset", "digits", "--out", blocker / "run.json")
    assert code == 2 and "a_file" in err and "Traceback" not in err


def test_two_concurrent_sweeps_share_the_work(tmp_path, sweep_cmd):
    f = tmp_path / "r.jsonl"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    procs = [
        subprocess.Popen(sweep_cmd(f), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=900) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1][-500:] for o in outs]
    counts = [json.loads(o[0]) for o in outs]
    for c in counts:
        assert c["present"] + c["reused"] + c["ok"] + c["failed"] + c["elsewhere"] == c["total"] == 30
    assert sum(c["ok"] + c["failed"] for c in counts) == 30  # each run trained once, by one of them
    rows = store.Store(f).rows()
    assert len(rows) == 30 and len({store.Store.row_id(r) for r in rows}) == 30
    assert not any((tmp_path / "r.jsonl.claims").iterdir())


def test_claims_of_dead_processes_are_taken_over(tmp_path):
    s = store.Store(tmp_path / "r.jsonl")
    rid = (1, "smoke", "abc")
    s.claims.mkdir(parents=True)
    import socket

    s._claim_path(rid).write_text(f"999999999 {socket.gethostname()}")  # no such process
    assert s.claim(rid)
    other = store.Store(tmp_path / "r.jsonl")
    s._claim_path(rid).write_text(f"{os.getppid()} {socket.gethostname()}")  # a live process
    assert not other.claim(rid)


def test_leftover_temporary_files_of_killed_writers_are_removed_and_no_other_file(tmp_path):
    f = tmp_path / "r.jsonl"
    (tmp_path / "latents").mkdir()
    dead = [tmp_path / "latents" / "x.npz.tmp999999999.npz"]  # what save_latents names, its writer gone
    live = tmp_path / "latents" / f"x.npz.tmp{os.getpid()}.npz"
    # not the store's: a user's files that merely contain ".tmpNNN", one with a number no pid can be
    others = [
        tmp_path / "thesis.tmp2024.docx",
        tmp_path / "a.tmp99999999999",
        tmp_path / "latents" / "y.tmp5.npz",
        tmp_path / "r.jsonl.tmp999999999",
    ]
    for p in dead + [live] + others:
        p.write_bytes(b"0" * 1000)
    sweep.sweep(1, "smoke", 1, f, dataset="digits", progress=False, run_fn=_ok)
    assert not any(p.exists() for p in dead) and live.exists() and all(p.exists() for p in others)


def test_ctrl_c_prints_one_line_and_exits_130(tmp_path, sweep_cmd):
    f = tmp_path / "r.jsonl"
    # a background job of a non-interactive shell (CI) inherits SIGINT ignored: give the sweep a terminal's default
    p = subprocess.Popen(
        sweep_cmd(f),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.time() + 300
    while time.time() < deadline and not (f.exists() and f.read_text().count("\n") >= 1):
        time.sleep(0.05)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=120)
    assert p.returncode == 130
    assert "Traceback" not in err and err.strip().splitlines()[-1].startswith("interrupted")
    rows = store.Store(f).rows()
    assert rows and not any((tmp_path / "r.jsonl.claims").iterdir())  # finished runs kept, claims released


def test_two_paths_to_one_file_are_one_store(tmp_path):
    real = tmp_path / "r.jsonl"
    real.write_text("")
    link = tmp_path / "link.jsonl"
    link.symlink_to(real)
    rid = ("1", "smoke", "k")
    assert store.Store(real).claim(rid)
    assert not store.Store(link).claim(rid)  # the symlink's sweep sees the same claim
    assert not store.Store(tmp_path / "." / "r.jsonl").claim(rid)


def _claim_at_once(path, rid, barrier, out):
    s = store.Store(path)
    barrier.wait()
    out.put(s.claim(rid))
    barrier.wait()  # stay alive until every process has tried: a claim of a live process is not taken over


def test_a_dead_sweeps_claim_is_taken_over_by_exactly_one_of_several(tmp_path):
    import multiprocessing
    import socket

    ctx = multiprocessing.get_context("fork")
    f = tmp_path / "r.jsonl"
    rid = ("1", "smoke", "k")
    for trial in range(25):
        s = store.Store(f)
        s.claims.mkdir(parents=True, exist_ok=True)
        s._claim_path(rid).write_text(f"999999999 {socket.gethostname()}")  # its sweep was killed
        barrier, out = ctx.Barrier(4), ctx.Queue()
        procs = [ctx.Process(target=_claim_at_once, args=(f, rid, barrier, out)) for _ in range(4)]
        for p in procs:
            p.start()
        got = [out.get(timeout=60) for _ in procs]
        for p in procs:
            p.join(timeout=60)
        assert sum(got) == 1, (trial, got)


@pytest.mark.parametrize(
    "bad",
    [
        '{"table": 1, "profile": "smoke", "key": "k", "status": "ok", "config": 5}',  # config not an object
        '{"table": 1, "profile": "smoke", "key": "k", "status": "ok", "config": {"lsdim": -5}}',
        '{"table": 1, "profile": "smoke", "key": "k", "status": "ok", "config": {"lsdim": 1e999}}',
        '{"table": 1, "profile": "smoke", "key": "k", "status": "ok", "config": {}, "metrics": {"knn_acc": "high"}}',
        '{"table": 1, "profile": "smoke", "key": "k", "status": "maybe", "config": {}}',
        '{"table": 1, "profile": "smoke", "key": "k", "status": "ok", "config": {}, "seed": ' + "9" * 5000 + "}",
        "[" * 100000 + "]" * 100000,  # deeper than the parser goes
        '["a", "list"]',
    ],
)
def test_a_line_that_is_json_but_no_row_is_skipped_with_a_warning_and_table_and_sweep_go_on(tmp_path, bad, run_cli):
    f = tmp_path / "r.jsonl"
    sweep.sweep(1, "smoke", 1, f, dataset="digits", progress=False, run_fn=_ok)
    good = f.read_text().count("\n")
    with open(f, "a") as fh:
        fh.write(bad + "\n")
    with pytest.warns(store.StoreWarning, match=rf"r.jsonl: skipped 1 unreadable line\(s\) \(line {good + 1}\)"):
        assert len(store.Store(f).rows()) == good
    code, out, err = run_cli("table", "1", "--results", f)
    assert code == 0 and f"line {good + 1}" in err and "Traceback" not in err
    code, out, err = run_cli(*fakes.smoke_sweep(f), env={"DMLVAE_NO_TRAIN": "1"})
    assert code == 0 and "Traceback" not in err, err


def test_a_full_disk_mid_sweep_names_the_lost_run_keeps_the_stored_ones_and_resumes(tmp_path, monkeypatch):
    import errno

    f = tmp_path / "r.jsonl"
    real_append, calls = store.Store.append, []

    def full_on_second(self, row, supersede=False):
        calls.append(row["key"])
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_append(self, row, supersede)

    monkeypatch.setattr(store.Store, "append", full_on_second)
    with pytest.raises(
        DmlvaeError,
        match=r"could not store run .* No space left on device; that run is lost .* "
        r"run the same command to resume",
    ):
        sweep.sweep(1, "smoke", 1, f, dataset="digits", progress=False, run_fn=_ok)
    assert len(store.Store(f).rows()) == 1 and not any((tmp_path / "r.jsonl.claims").iterdir())
    monkeypatch.setattr(store.Store, "append", real_append)
    counts = sweep.sweep(1, "smoke", 1, f, dataset="digits", progress=False, run_fn=_ok)
    assert counts["present"] == 1 and len(store.Store(f).rows()) == counts["total"]


@pytest.mark.parametrize("case", ["proc", "dangling", "csv-under-a-file"])
def test_file_system_refusals_are_one_line(tmp_path, run_cli, case):
    if case == "proc":
        argv = ["sweep", "--table", "1", "--profile", "smoke", "--results", "/proc/x.jsonl"]
        words = ["/proc", "cannot be created"]
    elif case == "dangling":
        (tmp_path / "link.jsonl").symlink_to(tmp_path / "gone" / "r.jsonl")
        argv = ["sweep", "--table", "1", "--profile", "smoke", "--results", tmp_path / "link.jsonl"]
        words = ["symlink", "does not exist"]
    else:
        sweep.sweep(1, "smoke", 1, tmp_path / "r.jsonl", dataset="digits", progress=False, run_fn=_ok)
        (tmp_path / "afile").write_text("x")
        argv = ["table", "1", "--results", tmp_path / "r.jsonl", "--csv", tmp_path / "afile" / "t.csv"]
        words = ["afile", "is a file"]
    code, out, err = run_cli(*argv)
    assert code in (1, 2) and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert all(w in err for w in words), err
    assert not (tmp_path / "gone").exists()


def test_a_real_run_row_records_its_host_and_cpu_seconds_beside_its_wall_time(tmp_path):
    import socket

    f = tmp_path / "r.jsonl"
    cfgs = profiles.profile_configs([{"dataset": "digits", "model": "dml"}], "smoke", 1)
    sweep.run_configs("g", "smoke", cfgs, f, progress=False)
    (row,) = store.Store(f).rows()
    assert row["host"] == socket.gethostname() and row["cpu_time"] > 0 and row["wall_time"] > 0


# ------------------------- the readers, called in-process (the tests above reach them through the CLI's processes)
def _row(cfg, table="graph", profile="paper", **extra):
    return {
        "table": table,
        "profile": profile,
        "key": cfg.key(),
        "status": "ok",
        "config": cfg.to_dict(),
        "seed": cfg.seed,
        "metrics": {"knn_acc": 0.5 + cfg.seed / 100},
        "metrics_by_protocol": {"labelled-to-test": {"knn_acc": 0.4 + cfg.seed / 100}},
        "training_version": TRAINING_VERSION,
        **extra,
    }


def test_rows_for_keeps_one_grid_and_profile_in_the_configs_order_with_the_latest_row_of_each(tmp_path):
    from dmlvae.core.config import RunConfig

    f = tmp_path / "r.jsonl"
    s = store.Store(f)
    a, b, c = (RunConfig(dataset="digits", seed=k) for k in (0, 1, 2))
    for cfg in (a, b, c):
        assert s.append(_row(cfg))
    assert s.append(_row(a, table="beyond")) and s.append(_row(a, profile="quick"))
    assert s.append({**_row(b), "metrics": {"knn_acc": 0.9}}, supersede=True)  # b's newer row
    got = store.rows_for(f, "graph", "paper", [c, b])
    assert [r["seed"] for r in got] == [2, 1] and got[1]["metrics"]["knn_acc"] == 0.9
    assert sorted(r["seed"] for r in store.rows_for(f, "graph", "paper")) == [0, 1, 2]
    assert store.rows_for(f, "graph", "paper", [RunConfig(dataset="digits", seed=7)]) == []
    assert [r["table"] for r in store.rows_for(f, "beyond", "paper")] == ["beyond"]
    assert [r["profile"] for r in store.rows_for(f, "graph", "quick")] == ["quick"]


def test_metric_reads_the_runs_protocol_or_the_one_asked_and_none_for_a_failed_run():
    from dmlvae.core.config import RunConfig

    row = _row(RunConfig(dataset="digits", seed=3))
    assert store.metric(row, "knn_acc") == pytest.approx(0.53)
    assert store.metric(row, "knn_acc", "labelled-to-test") == pytest.approx(0.43)
    assert store.metric(row, "knn_acc", "train-to-test") is None and store.metric(row, "knn_ami") is None
    failed = {**row, "status": "failed", "metrics": None, "metrics_by_protocol": None}
    assert store.metric(failed, "knn_acc") is None and store.metric(failed, "knn_acc", "labelled-to-test") is None


def test_run_seconds_is_the_cpu_time_where_recorded_else_the_wall_time():
    assert store.run_seconds({"cpu_time": 12.5, "wall_time": 30.0}) == 12.5
    assert store.run_seconds({"wall_time": 30.0}) == 30.0
    assert store.run_seconds({}) is None


def test_the_frame_has_one_row_per_run_its_config_metrics_staleness_and_cell(tmp_path):
    from dmlvae.core.config import RunConfig

    f = tmp_path / "r.jsonl"
    s = store.Store(f)
    a, b = RunConfig(dataset="digits", seed=0), RunConfig(dataset="digits", seed=1, lsdim=4)
    s.append(_row(a, history=[{"epoch": 0}]))
    s.append({**_row(b), "training_version": TRAINING_VERSION - 1})
    s.append({**_row(a), "metrics": {"knn_acc": 0.7}}, supersede=True)
    frame = s.frame().set_index("seed")
    assert list(frame.index) == [0, 1] and frame.loc[0, "knn_acc"] == 0.7  # the latest row of a run
    assert frame.loc[1, "lsdim"] == 4 and frame.loc[0, "dataset"] == "digits"  # config fields as columns
    assert list(frame.stale) == [False, True]
    assert not {"config", "metrics", "history", "metrics_by_protocol"} & set(frame.columns)
    assert frame.loc[0, "cell"] == store.cell_key(a.to_dict()) != frame.loc[1, "cell"]
    assert store.of_runs(s.frame(), [a]).tolist() == [True, False]
    assert store.of_runs(s.frame(), [RunConfig(dataset="digits", seed=1)]).tolist() == [False, False]  # lsdim 4
    assert store.of_runs(s.frame(), [a, b]).tolist() == [True, True]


def test_staleness_and_the_cell_key():
    from dmlvae.core.config import RunConfig

    assert not store.is_stale({"training_version": TRAINING_VERSION})
    assert store.is_stale({"training_version": TRAINING_VERSION + 1})
    assert store.is_stale({}) == (TRAINING_VERSION != 1)  # rows from before versions were recorded: version 1
    cfg = RunConfig(dataset="digits", seed=0)
    moved = {**cfg.to_dict(), "seed": 5, "device": "cpu", "data_dir": "/elsewhere"}
    assert store.cell_key(moved) == store.cell_key(cfg.to_dict())  # seed and where it ran: the same cell
    assert store.cell_key({**cfg.to_dict(), "lsdim": 4}) != store.cell_key(cfg.to_dict())


def test_latents_are_saved_atomically_and_read_back_at_their_runs_path(tmp_path):
    import numpy as np

    from dmlvae.core.config import RunConfig

    cfg = RunConfig(dataset="digits", seed=2)
    results = tmp_path / "out" / "r.jsonl"
    path = store.latents_path(results, "figure5", "paper", cfg)
    assert path == tmp_path / "out" / "latents" / f"figure5-paper-{cfg.key()}.npz"
    g = np.random.default_rng(0)
    result = {"z_test": g.normal(size=(5, 2)), "y_test": np.arange(5), "z_labelled": g.normal(size=(2, 2))}
    result["y_labelled"] = np.array([1, 0])
    store.save_latents(path, result)
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no temporary file left
    z, y = store.load_latents(results, "figure5", "paper", cfg)
    np.testing.assert_array_equal(z, result["z_test"])
    np.testing.assert_array_equal(y, result["y_test"])
    with np.load(path) as f:
        np.testing.assert_array_equal(f["z_labelled"], result["z_labelled"])
        np.testing.assert_array_equal(f["y_labelled"], result["y_labelled"])


def test_pid_alive_is_false_for_no_process_and_true_for_ours():
    assert store._pid_alive(os.getpid())
    assert not store._pid_alive(0) and not store._pid_alive(-1)
    assert not store._pid_alive(2**40)  # no valid pid at all
    dead = subprocess.Popen(["true"])
    dead.wait()
    assert not store._pid_alive(dead.pid)


def test_append_refuses_a_stored_run_unless_it_supersedes(tmp_path):
    from dmlvae.core.config import RunConfig

    s = store.Store(tmp_path / "r.jsonl")
    row = _row(RunConfig(dataset="digits", seed=0))
    assert s.append(row) and not s.append({**row, "metrics": {"knn_acc": 0.9}})
    assert len(s.rows()) == 1 and s.rows()[0]["metrics"]["knn_acc"] == 0.5
    assert s.append({**row, "metrics": {"knn_acc": 0.9}}, supersede=True)
    assert len(s.rows()) == 2 and next(iter(s.latest().values()))["metrics"]["knn_acc"] == 0.9


def test_rows_without_a_version_are_version_1(monkeypatch):
    monkeypatch.setattr(store, "TRAINING_VERSION", 1)
    assert not store.is_stale({}) and store.is_stale({"training_version": 2})
    monkeypatch.setattr(store, "TRAINING_VERSION", 2)
    assert store.is_stale({})


def test_the_frame_leaves_out_the_nested_fields_loss_shares_included(tmp_path):
    from dmlvae.core.config import RunConfig

    s = store.Store(tmp_path / "r.jsonl")
    s.append(_row(RunConfig(dataset="digits", seed=0), loss_shares={"metric": 0.1}))
    assert "loss_shares" not in s.frame().columns and "cell" in s.frame().columns


def test_pid_alive_for_init_and_for_a_process_we_may_not_signal(monkeypatch):
    assert store._pid_alive(1)  # init: a live process with pid 1

    def refused(pid, sig):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(store.os, "kill", refused)
    assert store._pid_alive(4242)  # another user's live process: alive, not ours to signal


def test_a_row_appended_after_a_one_byte_torn_line_is_on_its_own_line(tmp_path):
    from dmlvae.core.config import RunConfig

    f = tmp_path / "r.jsonl"
    f.write_bytes(b"{")  # a writer killed after its first byte: a one-byte file with no newline
    row = _row(RunConfig(dataset="digits", seed=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the torn line is skipped with a warning
        assert store.Store(f).append(row)
        assert [r["key"] for r in store.Store(f).rows()] == [row["key"]]
    assert f.read_bytes() == b"{\n" + json.dumps(row).encode() + b"\n"


def test_the_frame_leaves_out_the_latest_rows_history_and_of_runs_keeps_the_frames_index(tmp_path):
    from dmlvae.core.config import RunConfig

    s = store.Store(tmp_path / "r.jsonl")
    a, b = (RunConfig(dataset="digits", seed=k) for k in (0, 1))
    s.append(_row(a, history=[{"epoch": 0, "loss": 1.0}]))
    s.append(_row(b))
    frame = s.frame()
    assert "history" not in frame.columns
    part = frame.iloc[1:]  # a filtered frame: its index starts at 1
    picked = store.of_runs(part, [b])
    assert list(picked.index) == [1] and picked.tolist() == [True]
    assert part[picked].seed.tolist() == [1]


def test_latents_are_saved_into_a_folder_that_exists(tmp_path):
    import numpy as np

    folder = tmp_path / "latents"
    folder.mkdir()
    result = {"z_test": np.zeros((2, 2)), "y_test": np.arange(2), "z_labelled": np.ones((1, 2)), "y_labelled": [0]}
    for name in ("a.npz", "b.npz"):
        store.save_latents(folder / name, result)
    assert sorted(p.name for p in folder.iterdir()) == ["a.npz", "b.npz"]


def test_pid_alive_sends_no_signal_a_live_process_would_feel():
    # the child takes SIGHUP's default action (death) even when this test runs under nohup, which ignores it
    child = subprocess.Popen(["sleep", "30"], preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_DFL))
    try:
        assert store._pid_alive(child.pid)
        time.sleep(0.2)
        assert child.poll() is None  # signal 0 only asks; SIGHUP (1) would have ended it
    finally:
        child.kill()
        child.wait()
