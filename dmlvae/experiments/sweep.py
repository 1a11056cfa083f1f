"""Sweeps: train the runs of a grid that the results store does not hold yet, one by one or as Ray tasks.

A sweep trains every (cell x seed) missing from the results file (``dmlvae.experiments.store``), claiming each run
first so that concurrent sweeps share the work; a run another grid of the same profile already trained is copied, not
trained again. A run that fails (e.g. a NaN loss) is recorded with status ``failed`` and its reason; the sweep
goes on.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
import traceback

import numpy as np

from dmlvae.core import data, shares
from dmlvae.core.config import RunConfig
from dmlvae.core.progress import tqdm
from dmlvae.core.train import check_device
from dmlvae.core.train import run as train_run
from dmlvae.errors import DmlvaeError, MissingRuns
from dmlvae.experiments import paper, parallel
from dmlvae.experiments.grids import PAPER_DATASETS
from dmlvae.experiments.profiles import configs, results_path, seeds_arg
from dmlvae.experiments.store import (
    Store,
    check_writable,
    cleanup_temporary,
    is_stale,
    latents_path,
    run_seconds,
    save_latents,
)
from dmlvae.version import TRAINING_VERSION, __version__

NO_TRAIN_OFF = ("", "0", "false", "no", "off")


def no_train() -> bool:
    """Whether DMLVAE_NO_TRAIN forbids training: set to anything but empty, 0, false, no or off (any case)."""
    return os.environ.get("DMLVAE_NO_TRAIN", "").strip().lower() not in NO_TRAIN_OFF


def make_row(
    table, profile: str, cfg: RunConfig, result: dict | None, error: str | None, wall: float, paper_dataset: str
) -> dict:
    row = {
        "table": table,
        "profile": profile,
        "key": cfg.key(),
        "config": cfg.to_dict(),
        "seed": cfg.seed,
        "paper_dataset": paper_dataset,
        "dataset_used": cfg.dataset,
        "stand_in": cfg.dataset != paper_dataset,
        "status": "ok" if error is None else "failed",
        "reason": error,
        "wall_time": round(wall, 3),
        "version": __version__,
        "training_version": TRAINING_VERSION,
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    if result is not None:
        for k in (
            "metrics",
            "metrics_by_protocol",
            "history",
            "n_train",
            "n_labelled",
            "labelled_classes",
            "n_test",
            "source",
            "device",
            "torch",
            "threads",
            "numeric_env",
            "pseudo_label_acc",
            "own_classifier",
            "host",
            "node",
        ):
            if k in result:
                row[k] = result[k]
        if "cpu_time" in result:
            row["cpu_time"] = round(result["cpu_time"], 3)
        if row.get("history") and cfg.model != "dml":  # models with more than one loss term (dml_labelprop: one)
            row["loss_shares"] = shares.summary(row)
    return row


def check_dataset(table: int, dataset: str | None, data_dir=None) -> None:
    """Fail early, with the way out, when a table's dataset cannot be loaded and no stand-in was asked."""
    needed = {c["dataset"] for c in paper.grid(table)}
    for name in needed if dataset is None else {dataset}:
        try:
            data.load(name, data_dir=data_dir)
        except DmlvaeError as e:
            hint = (
                (
                    ". To run the same grid on a stand-in dataset, recorded as such in every row, pass "
                    "--dataset fashion-mnist (or dataset='fashion-mnist')."
                )
                if dataset is None
                else ""
            )
            raise DmlvaeError(f"Table {table} needs {name}, which cannot be loaded: {e}{hint}") from None


def table_dataset(
    table, dataset: str | None = None, stand_in: str = "fashion-mnist", data_dir=None
) -> tuple[str | None, str | None]:
    """(dataset to run ``table`` on, a note for the reader or None): the paper's own dataset when it loads
    (None: no override), else ``stand_in``, with a note saying so plainly. An explicit ``dataset`` wins."""
    if dataset is not None:
        return dataset, None
    try:
        check_dataset(paper.validate_table(table), None, data_dir)
    except DmlvaeError:
        return stand_in, (
            f"Table {table} runs on the stand-in `{stand_in}`, recorded as such in every row and not comparable with "
            f"the paper's numbers, because OrganAMNIST could not be loaded here (`organamnist.npz` is missing or "
            "unreadable in the data directory: `python -m dmlvae data organamnist` says why)."
        )
    return None, None


def sweep(
    table,
    profile: str = "quick",
    seeds=2,
    results=None,
    dataset: str | None = None,
    device: str | None = None,
    data_dir: str | None = None,
    progress: bool = True,
    run_fn=None,
    retry_failed: bool = False,
    rerun_stale: bool = False,
    backend: parallel.RayBackend | None = None,
    may_train: bool = True,
) -> dict:
    """Train the runs of paper ``table`` x ``seeds`` missing from ``results`` (default: results/PROFILE.jsonl,
    the file the book reads); return counts. With ``retry_failed`` failed runs are trained again, with
    ``rerun_stale`` runs of another training-code version; ``backend`` and ``may_train`` as :func:`run_configs`."""
    t = paper.validate_table(table)
    results = results_path(profile, results)
    cfgs = configs(t, profile, seeds_arg(seeds), dataset, device, data_dir)
    check_dataset(t, dataset, data_dir)
    paper_dataset = {c["dataset"] for c in paper.grid(t)}.pop()
    return run_configs(
        t,
        profile,
        cfgs,
        results,
        paper_dataset,
        progress,
        run_fn,
        retry_failed=retry_failed,
        rerun_stale=rerun_stale,
        backend=backend,
        may_train=may_train,
    )


def _wanted(row: dict | None, retry_failed: bool, rerun_stale: bool) -> bool:
    """Whether a run whose latest stored row is ``row`` (None: none) is to be trained."""
    if row is None:
        return True
    return (retry_failed and row.get("status") != "ok") or (rerun_stale and is_stale(row))


def training_key(cfg: RunConfig) -> str:
    """The key of a run with its probes left out: runs that share it train the same model on the same data
    (probes only score the latents, each with its own fixed seed, so a probe's numbers do not depend on which
    other probes ran)."""
    return dataclasses.replace(cfg, probes=("knn",)).key()


def reusable_runs(latest: dict, grid, profile: str) -> dict:
    """{training key: [(row, its probes)]} of the ok, current-version runs of ``profile`` stored under grids
    other than ``grid``: a run another grid already trained is copied, not trained again."""
    out = {}
    for (table, prof, _), row in latest.items():
        if table == grid or prof != profile or row.get("status") != "ok" or is_stale(row):
            continue
        try:
            cfg = RunConfig.from_dict(row["config"])
        except DmlvaeError:  # a row whose config this code cannot read is never a source
            continue
        out.setdefault(training_key(cfg), []).append((row, set(cfg.probes)))
    return out


def reused_row(source: dict, grid, cfg: RunConfig, paper_dataset: str) -> dict:
    """``source`` (a stored run of another grid that trained exactly as ``cfg`` does, with at least its probes)
    as a row of ``grid``: ``cfg``'s config and key, the metrics of ``cfg``'s probes only, and ``reused_from``
    naming the row it copies (its wall and CPU times stay: they are that training's cost)."""
    extra = set(source["config"]["probes"]) - set(cfg.probes)
    drop = {f"{p}_{m}" for p in extra for m in ("acc", "ami")}

    def trim(metrics):
        return None if metrics is None else {k: v for k, v in metrics.items() if k not in drop}

    result = {**source, "metrics": trim(source.get("metrics"))}
    if "metrics_by_protocol" in source:
        result["metrics_by_protocol"] = {p: trim(m) for p, m in source["metrics_by_protocol"].items()}
    row = make_row(grid, source["profile"], cfg, result, None, source["wall_time"], paper_dataset)
    row["reused_from"] = {"table": source["table"], "key": source["key"], "finished": source["finished"]}
    return row


def reuse_note(rows) -> str:
    """A sentence for a page: how many of ``rows`` were copied from runs of other grids (and which), or ''."""
    copied = [r for r in rows if r.get("reused_from")]
    if not copied:
        return ""
    sources = sorted({r["reused_from"]["table"] for r in copied}, key=str)
    names = ", ".join(f"Table {t}" if isinstance(t, int) else f"grid {t}" for t in sources)
    return (
        f"{len(copied)} of these {len(rows)} runs are runs of {names} (the same configuration and seed), "
        "copied from there rather than trained again."
    )


def _stored_meanwhile(store: Store, latest: dict, rid) -> bool:
    """Whether another sweep stored a row for run ``rid`` since ``latest`` was read."""
    return store.latest(warn=False).get(rid) != latest.get(rid)


def _reuse(store: Store, todo: list, latest: dict, grid, profile: str, paper_dataset) -> tuple[list, int]:
    """Copy into ``grid`` every run of ``todo`` that another grid of ``profile`` already trained (the same
    training key, a superset of the probes; each copy claimed like a run). Returns the runs still to train
    and the number copied (a run another sweep stored meanwhile is neither)."""
    sources = reusable_runs(latest, grid, profile)
    left, copied = [], 0
    for cfg in todo:
        match = next((row for row, probes in sources.get(training_key(cfg), ()) if probes >= set(cfg.probes)), None)
        rid = (grid, profile, cfg.key())
        if match is None or not store.claim(rid):
            left.append(cfg)
            continue
        try:
            if not _stored_meanwhile(store, latest, rid):
                store.append(reused_row(match, grid, cfg, paper_dataset or cfg.dataset), supersede=True)
                copied += 1
        finally:
            store.release(rid)
    return left, copied


def estimate(todo, latest: dict) -> str:
    """About how long ``todo`` takes, from the stored rows of the same model and profile-scale (training images,
    epochs): the median of their CPU time where recorded (else wall time) per run, summed; "no stored run to
    estimate from" when there is none."""
    by_kind: dict = {}
    for r in latest.values():
        if r.get("status") == "ok":
            c = r["config"]
            by_kind.setdefault((c.get("model"), c.get("train_subset"), c.get("epochs")), []).append(run_seconds(r))
    total, known = 0.0, 0
    for cfg in todo:
        seen = [s for s in by_kind.get((cfg.model, cfg.train_subset, cfg.epochs), []) if s]
        if seen:
            total += float(np.median(seen))
            known += 1
    if not known:
        return "no stored run of these models at this scale to estimate the time from"
    total *= len(todo) / known
    when = f"{total / 60:.0f} min" if total >= 120 else f"{total:.0f} s"
    return (
        f"about {when} of CPU time (the median stored run of each model at this scale"
        + ("" if known == len(todo) else f"; {len(todo) - known} runs of models with no stored run counted at the mean")
        + ")"
    )


def _to_train(
    cfgs, latest: dict, grid, profile: str, results, retry_failed: bool, rerun_stale: bool, keep_latents: bool
) -> list:
    """The runs of ``cfgs`` to train: not stored (or failed, or stale, when asked), and with ``keep_latents`` a
    stored run whose latents file is missing (a fresh clone, a deleted file)."""

    def wanted(c):
        row = latest.get((grid, profile, c.key()))
        return _wanted(row, retry_failed, rerun_stale) or (
            keep_latents and row.get("status") == "ok" and not latents_path(results, grid, profile, c).exists()
        )

    return [c for c in cfgs if wanted(c)]


def _refuse_training(todo, cfgs, grid, profile: str, results, may_train: bool = True) -> None:
    """MissingRuns when runs are missing where nothing may be trained: ``may_train`` False (a page under the
    ``auto`` profile says so), or DMLVAE_NO_TRAIN."""
    if not todo:
        return
    what = f"Table {grid}" if isinstance(grid, int) else f"grid {grid}"
    if not may_train and not no_train():
        raise MissingRuns(
            f"{len(todo)} of {len(cfgs)} runs of {what} are not in the shipped paper-scale results "
            f"({results}), and this page's default profile (auto) trains nothing: re-run it with -p "
            "profile quick (a miniature that trains in minutes) or -p profile paper (trains them at full "
            "scale; the page says how long first)"
        )
    if no_train():
        raise MissingRuns(
            f"{len(todo)} of {len(cfgs)} runs of {what} ({profile}) are missing from {results}, and "
            "DMLVAE_NO_TRAIN forbids training them here"
        )


def _train_one(run_fn, cfg) -> tuple[dict | None, str | None]:
    """(result, None), or (None, the reason) for a run that failed; the user's bad input and interrupts are raised."""
    try:
        return run_fn(cfg), None
    except (KeyboardInterrupt, SystemExit, DmlvaeError):  # bad input found late is the user's to fix
        raise
    except Exception as e:  # recorded, and the sweep goes on
        error = f"{type(e).__name__}: {e}"
        if not isinstance(e, (RuntimeError, ValueError)):
            error += "\n" + traceback.format_exc(limit=3)
        return None, error


def _run_here(batch: parallel.Batch, run_fn) -> None:
    """Train ``batch.todo`` one by one in this process, each claimed first (a run another live sweep claimed is
    left to it)."""
    todo, store, grid, profile, counts = batch.todo, batch.store, batch.grid, batch.profile, batch.counts
    bar = None
    if batch.progress and todo:
        bar = tqdm(
            total=counts["total"], initial=counts["present"] + counts["reused"], desc=f"{grid} ({profile})", unit="run"
        )
    for cfg in todo:
        rid = (grid, profile, cfg.key())
        if not store.claim(rid):
            counts["elsewhere"] += 1
            continue
        try:
            if batch.changed(rid):
                counts["present"] += 1  # another sweep trained it meanwhile
                continue
            if bar is not None:
                bar.set_postfix_str(
                    f"{cfg.model} {cfg.routine} pl={cfg.pl_pct:g} d={cfg.lsdim} a={cfg.alpha:g} "
                    f"g={cfg.gamma:g} seed={cfg.seed}"
                )
            t0 = time.perf_counter()
            result, error = _train_one(run_fn, cfg)
            batch.record(cfg, result, error, time.perf_counter() - t0)
            counts["ok" if error is None else "failed"] += 1
        finally:
            store.release(rid)
        if bar is not None:
            bar.update(1)
        else:  # a page under papermill: one line per run, in the executed notebook and on --log-output
            failed = "" if error is None else " (failed)"
            print(
                f"[{grid} ({profile})] {counts['ok'] + counts['failed']} of {len(todo)} trained: {cfg.model}/"
                f"{cfg.routine} seed {cfg.seed}, {time.perf_counter() - t0:.0f} s{failed}",
                file=sys.stderr,
                flush=True,
            )
    if bar is not None:
        bar.close()


def _recorder(store: Store, results, grid, profile: str, keep_latents: bool, paper_dataset):
    """``record(cfg, result, error, wall)``: the run's latents (with ``keep_latents``), then its row; a failed write
    loses that run alone, in one line naming it and how to resume."""

    def record(cfg, result, error, wall):
        try:
            if keep_latents and result is not None:
                save_latents(latents_path(results, grid, profile, cfg), result)
            store.append(
                make_row(grid, profile, cfg, result, error, wall, paper_dataset or cfg.dataset), supersede=True
            )
        except OSError as e:  # a full disk, a file system gone read-only: this run is lost, the stored ones are not
            store.release((grid, profile, cfg.key()))
            raise DmlvaeError(
                f"could not store run {cfg.model}/{cfg.routine} seed {cfg.seed} (key {cfg.key()}) in "
                f"{results}: {e.strerror or e}; that run is lost (the rows stored before are intact): "
                "free the space or fix the file system, then run the same command to resume"
            ) from None

    return record


def _announcer(grid, profile: str, todo: list, total: int, latest: dict):
    """``announce()``: once the backend is ready, before the first run, how many runs and about how long."""

    def announce():
        if todo:
            print(
                f"[{grid} ({profile})] training {len(todo)} of {total} runs: {estimate(todo, latest)}",
                file=sys.stderr,
                flush=True,
            )

    return announce


def _checked_store(results, grid, profile: str, cfgs, keep_latents: bool, backend) -> Store:
    """The results store, every output path and (where the runs are this machine's) device checked first."""
    store = Store(check_writable(results, "results file"))
    if backend is None or backend.gpus_per_run == 0:  # on a Ray cluster the devices are the workers', not ours
        for dev in sorted({c.device for c in cfgs}):
            check_device(dev)
    if keep_latents:
        check_writable(latents_path(results, grid, profile, cfgs[0]) if cfgs else results, "latents file")
    store.path.parent.mkdir(parents=True, exist_ok=True)
    cleanup_temporary(store.path.parent)
    return store


def run_configs(
    grid,
    profile: str,
    cfgs,
    results,
    paper_dataset: str | None = None,
    progress: bool = True,
    run_fn=None,
    keep_latents: bool = False,
    retry_failed: bool = False,
    rerun_stale: bool = False,
    backend: parallel.RayBackend | None = None,
    may_train: bool = True,
) -> dict:
    """Train the configurations missing from ``results`` under the name ``grid`` (a paper table number or
    the name of one of the book's own grids); one row per run, appended; failures recorded, not raised.
    Every output path and device is checked before the first run. Each run is claimed before it is trained,
    so concurrent sweeps on one file share the work. With ``keep_latents`` the test latents are saved
    (atomically, before the row) for :func:`load_latents`. With a ``backend`` (``parallel.backend(workers=...)``
    or ``address=...``) the runs are Ray tasks (``dmlvae.experiments.parallel``); without (None), they run one by one
    in this process and Ray is not started.

    A run that another grid of the same profile already trained (the same configuration and seed, with at least
    this run's probes: :func:`training_key`) is copied from that grid's row, marked ``reused_from``, and not
    trained again (not with ``keep_latents``, whose latents file belongs to one grid).

    Counts: ``total`` = ``present`` (stored already, or by another sweep meanwhile) + ``reused`` + ``ok`` +
    ``failed`` + ``elsewhere`` (being trained by another live sweep). With ``may_train`` False (a page under the
    ``auto`` profile) nothing is trained: MissingRuns names what is missing and how to get it."""
    if paper_dataset is None:  # a book grid that re-runs one of the paper's figures or claims: the paper's dataset
        paper_dataset = PAPER_DATASETS.get(grid)
    store = _checked_store(results, grid, profile, cfgs, keep_latents, backend)
    latest = store.latest()
    todo = _to_train(cfgs, latest, grid, profile, results, retry_failed, rerun_stale, keep_latents)
    copied = 0
    if todo and not keep_latents:
        todo, copied = _reuse(store, todo, latest, grid, profile, paper_dataset)
    _refuse_training(todo, cfgs, grid, profile, results, may_train)
    present = len(cfgs) - len(todo) - copied
    counts = {"total": len(cfgs), "present": present, "reused": copied, "ok": 0, "failed": 0, "elsewhere": 0}

    batch = parallel.Batch(
        todo,
        store,
        grid,
        profile,
        _recorder(store, results, grid, profile, keep_latents, paper_dataset),
        counts,
        changed=lambda rid: _stored_meanwhile(store, latest, rid),  # another sweep stored it since we looked
        announce=_announcer(grid, profile, todo, len(cfgs), latest),
        run_fn=run_fn,
        keep_latents=keep_latents,
        progress=progress,
    )
    if backend is not None:
        return parallel.run_all(batch, backend)
    batch.announce()
    _run_here(batch, run_fn or train_run)
    return counts
