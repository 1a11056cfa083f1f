"""Sweeps over Ray workers: each run is one Ray task; the driver alone writes the results store.

``sweep.run_configs(..., backend=backend(workers=N))`` starts a local Ray instance with room for N runs at once;
``backend(address=...)`` attaches to an existing Ray cluster instead. ``cpus_per_run`` sets each run's Ray CPUs and
torch threads; ``gpus_per_run`` (e.g. 0.125) packs several runs onto one GPU. Ray retries a task whose worker died
(``max_retries``), and the driver records a run that still cannot finish as failed, with the reason. A driver killed
at any moment resumes like any sweep: every finished run was appended once, and runs claimed by a dead driver are
taken over.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch

from dmlvae.core.progress import tqdm
from dmlvae.core.routines import DivergedError  # noqa: F401  (imported so a run's DivergedError unpickles cleanly)
from dmlvae.core.train import run as train_run
from dmlvae.errors import DmlvaeError, number

MAX_RETRIES = 2  # a run whose worker dies is tried this many more times, then recorded as failed


@dataclasses.dataclass(frozen=True)
class RayBackend:
    """Where a sweep's runs go when they are Ray tasks: ``workers`` at once on a new local Ray (locked by its token),
    or the cluster at ``address``; each run takes ``cpus_per_run`` CPUs (and as many torch threads) and
    ``gpus_per_run`` GPUs; a cluster without token authentication only with ``allow_open_cluster``."""

    workers: int | None = None
    address: str | None = None
    cpus_per_run: int = 1
    gpus_per_run: float = 0.0
    allow_open_cluster: bool = False


def backend(
    workers=None, address=None, cpus_per_run=1, gpus_per_run=0.0, allow_open_cluster: bool = False
) -> RayBackend | None:
    """The backend of a sweep, each value checked: None (every run in this process, Ray not started) when neither
    ``workers`` nor ``address`` is given, else a :class:`RayBackend`."""
    workers, address, cpus_per_run, gpus_per_run = validate(workers, address, cpus_per_run, gpus_per_run)
    if workers is None and address is None:
        return None
    return RayBackend(workers, address, cpus_per_run, gpus_per_run, bool(allow_open_cluster))


@dataclasses.dataclass
class Batch:
    """The runs a sweep trains and what it does around each: ``record(cfg, result, error, wall)`` stores a finished
    run's row (in this, the driver's, process), ``changed(rid)`` says whether another sweep stored it meanwhile,
    ``announce()`` prints how many runs and how long, once the backend is ready; ``counts`` are updated in place."""

    todo: list
    store: object
    grid: object
    profile: str
    record: Callable
    counts: dict
    changed: Callable = lambda rid: False
    announce: Callable = lambda: None
    run_fn: Callable | None = None
    keep_latents: bool = False
    progress: bool = True


def validate(workers, address, cpus_per_run, gpus_per_run) -> tuple:
    if workers is not None:
        workers = number("workers", workers, low=1, high=1024, integer=True)
    cpus_per_run = number("cpus_per_run", cpus_per_run, low=1, high=256, integer=True)
    gpus_per_run = float(number("gpus_per_run", gpus_per_run, low=0, high=8))
    if address is not None and not isinstance(address, str):
        raise DmlvaeError(f"address must be a Ray address such as 'auto' or 'HOST:6379'; got {address!r}")
    return workers, address, cpus_per_run, gpus_per_run


def concurrency(cpus: float, gpus: float, cpus_per_run: int, gpus_per_run: float) -> int:
    """How many runs Ray can place at once on ``cpus`` and ``gpus``."""
    n = math.floor(cpus / cpus_per_run + 1e-9)
    if gpus_per_run > 0:
        n = min(n, math.floor(gpus / gpus_per_run + 1e-9))
    return max(0, n)


@contextlib.contextmanager
def _captured_stderr():
    """Ray's C++ client writes its retries and warnings to file descriptor 2: keep them out of the user's terminal
    (they are read to explain a failure) and hand back what was written."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        os.dup2(tmp.fileno(), 2)
        out = {"text": ""}
        try:
            yield out
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            out["text"] = tmp.read().decode(errors="replace")


NOTHING_ANSWERS = (
    "nothing answers there: start the head with `ray start --head --port PORT`, or check the host and "
    "port (`ray status` on the head prints them)"
)


# seconds a client without a token is given to join a cluster before the cluster counts as locked (an open one
# admits it in about 2 s here; a locked one refuses it only after Ray's retries, about 20 s)
OPEN_PROBE_S = 15


def token_path() -> Path:
    """Where Ray reads this machine's token: RAY_AUTH_TOKEN_PATH, else ~/.ray/auth_token."""
    return Path(os.environ.get("RAY_AUTH_TOKEN_PATH") or Path.home() / ".ray" / "auth_token")


def open_cluster(address: str) -> bool:
    """Whether the cluster at ``address`` admits a client that holds no token (token authentication off): a
    driver without any token, in a process of its own, tries to join it."""

    env = {k: v for k, v in os.environ.items() if k not in ("RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH")}
    env["RAY_AUTH_MODE"] = "disabled"
    code = (
        "import ray; ray.init(address=%r, include_dashboard=False, logging_level='ERROR', log_to_driver=False)"
        % address
    )
    try:
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, timeout=OPEN_PROBE_S)
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0


OPEN_CLUSTER = (
    "its token authentication is off, so anyone who can reach it can run code on its nodes and read its data; "
    "turn it on (on the head: `ray stop`, then `export RAY_AUTH_MODE=token`, `ray get-auth-token --generate` and "
    "`ray start --head ...` again, and copy ~/.ray/auth_token to the other nodes and this machine), or pass "
    "--allow-open-cluster for a cluster on a private network"
)


def attach(ray, address: str, allow_open: bool = False) -> None:
    """Attach to the Ray cluster at ``address``; a failure is one line naming its cause and the fix. A HOST:PORT
    address is probed first (Ray itself retries an unreachable one for minutes). A cluster without token
    authentication is refused unless ``allow_open``, and then named in a warning."""

    m = re.fullmatch(r"(?:ray://)?\[?([^\]]+?)\]?:(\d+)", address.strip())
    if m:
        try:
            socket.create_connection((m.group(1), int(m.group(2))), timeout=3).close()
        except OSError as e:
            raise DmlvaeError(
                f"cannot attach to the Ray cluster at {address!r}: {NOTHING_ANSWERS} ({e.strerror or e})"
            ) from None
    if open_cluster(address):
        if not allow_open:
            raise DmlvaeError(f"refusing the Ray cluster at {address!r}: {OPEN_CLUSTER}")
        print(
            f"warning: the Ray cluster at {address!r} has token authentication off (--allow-open-cluster): anyone "
            "who can reach it can run code on its nodes",
            file=sys.stderr,
            flush=True,
        )
    with _captured_stderr() as err:
        try:
            ray.init(address=address, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
            return
        except Exception as e:
            error = e
    said = f"{error} {err['text']}"
    if (
        "InvalidAuthToken" in said
        or "Authentication token" in said
        or "Unauthenticated" in said
        or ("no authentication token was found" in said)
    ):
        token = token_path()
        where = (
            f"this machine has one in {token}"
            if token.exists()
            else f"copy the head node's ~/.ray/auth_token to {token}, or set RAY_AUTH_TOKEN"
        )
        why = (
            "the cluster requires token authentication: set RAY_AUTH_MODE=token in this command's environment "
            f"({where})"
        )
        if os.environ.get("RAY_AUTH_MODE") == "token":
            why = (
                f"its token does not match this machine's ({where}): copy the head node's ~/.ray/auth_token to {token}"
            )
    elif "version" in said.lower() and "mismatch" in said.lower():
        why = (
            f"Ray or Python differs between this machine (Ray {ray.__version__}, Python "
            f"{sys.version.split()[0]}) and the cluster: install the same versions on both ({error})"
        )
    elif isinstance(error, ConnectionError) or "Failed to connect" in said or "Could not" in said:
        why = NOTHING_ANSWERS
    else:
        why = str(error).splitlines()[0]
    raise DmlvaeError(f"cannot attach to the Ray cluster at {address!r}: {why}") from None


# A local Ray (--workers without --address) cannot be kept to this machine: its gRPC servers listen on every interface
# (Ray 2.60 binds them to all and has no option to bind them to one; tests/integration/test_cluster.py lists them, and
# Ray advertises the machine's own address even when given 127.0.0.1). It is locked instead: token authentication on,
# the token readable by this user alone.


def _lock_local() -> None:
    """Refuse a mode that would start the local Ray open. Unset, Ray itself turns token authentication on for a new
    local instance and generates the token (setting the variable here would skip that, and its servers would
    find no token)."""
    mode = os.environ.get("RAY_AUTH_MODE")
    if mode not in (None, "token"):
        raise DmlvaeError(
            f"RAY_AUTH_MODE={mode!r} would start the local Ray of --workers open to anyone who can reach this "
            "machine's ports; allowed: unset or 'token'"
        )


def _private_token() -> None:
    """The token Ray generated (world-readable as Ray writes it) made readable by its owner alone."""
    path = token_path()
    try:
        if path.exists() and path.stat().st_uid == os.getuid():
            path.chmod(0o600)
    except OSError:
        pass


def start(workers, address, cpus_per_run: int, gpus_per_run: float, allow_open: bool = False):
    """Start (or attach to) Ray; return the module and the number of runs it can hold at once. Without ``address``
    a new local Ray is started, always (``address="local"``: whatever a live or dead cluster left in /tmp/ray is
    not joined), with token authentication on (Ray generates
    ~/.ray/auth_token when none exists; it is made readable by its owner only)."""
    try:
        import ray  # heavy optional dependency, imported on first use
    except ImportError:
        raise DmlvaeError("--workers/--address need Ray: pip install ray (pinned in requirements.txt)") from None
    if not ray.is_initialized():
        if address is not None:
            attach(ray, address, allow_open)
        else:
            kw = {}
            if gpus_per_run > 0:
                gpus = os.environ.get("DMLVAE_RAY_GPUS")
                kw["num_gpus"] = (
                    torch.cuda.device_count()
                    if gpus is None
                    else number("DMLVAE_RAY_GPUS", gpus, low=0, high=1024, integer=True)
                )
            env_address = os.environ.get("RAY_ADDRESS")
            if env_address:
                raise DmlvaeError(
                    f"cannot start Ray for --workers {workers}: RAY_ADDRESS={env_address!r} in the environment "
                    "names a cluster to attach to; unset it, or pass the cluster with --address"
                )
            _lock_local()
            try:
                ray.init(
                    address="local",
                    num_cpus=workers * cpus_per_run,
                    include_dashboard=False,
                    logging_level="ERROR",
                    log_to_driver=False,
                    **kw,
                )
            except (ConnectionError, RuntimeError, ValueError) as e:
                raise DmlvaeError(f"cannot start Ray for --workers {workers}: {e}") from None
            _private_token()
    res = ray.cluster_resources()
    n = concurrency(res.get("CPU", 0), res.get("GPU", 0), cpus_per_run, gpus_per_run)
    if n == 0:
        raise DmlvaeError(
            f"no run fits the Ray cluster: it has {res.get('CPU', 0):g} CPUs and {res.get('GPU', 0):g} "
            f"GPUs; each run asks for {cpus_per_run} CPU(s) and {gpus_per_run:g} GPU(s)"
        )
    return ray, n


def _task(cfg, run_fn, threads: int, keep_latents: bool):
    """Body of one Ray task: train one run; never raise for a failed run (the driver records it)."""

    torch.set_num_threads(threads)
    t0 = time.perf_counter()
    try:
        result = (run_fn or train_run)(cfg)
    except DmlvaeError as e:
        return {"input_error": str(e)}
    except Exception as e:
        return {"error": f"{type(e).__name__}: {e}", "wall": time.perf_counter() - t0}
    result = {k: v for k, v in result.items() if k not in ("model", "z_train", "y_train", "labelled")}
    try:  # the Ray node the run ran on (several nodes may share a host)
        import ray  # heavy optional dependency, imported on first use

        result["node"] = ray.get_runtime_context().get_node_id()
    except Exception:
        pass
    if not keep_latents:
        for k in ("z_test", "y_test", "z_labelled", "y_labelled"):
            result.pop(k, None)
    return {"result": result, "wall": time.perf_counter() - t0}


def _bar(batch: Batch, slots: int):
    if not (batch.progress and batch.todo):
        return None
    c = batch.counts
    return tqdm(
        total=c["total"],
        initial=c["present"] + c.get("reused", 0),
        desc=f"{batch.grid} ({batch.profile}, {slots} at once)",
        unit="run",
    )


def _submit(batch: Batch, remote, queue: list, pending: dict, held: set, slots: int, cpus_per_run: int) -> None:
    """Claim and submit runs from ``queue`` until ``slots`` are pending; a run claimed or stored elsewhere is
    counted, not submitted."""
    while queue and len(pending) < slots:
        cfg = queue.pop(0)
        rid = (batch.grid, batch.profile, cfg.key())
        if not batch.store.claim(rid):
            batch.counts["elsewhere"] += 1
            continue
        held.add(rid)
        if batch.changed(rid):  # another sweep trained it meanwhile
            batch.store.release(rid)
            held.discard(rid)
            batch.counts["present"] += 1
            continue
        task = remote.remote(cfg, batch.run_fn, cpus_per_run, batch.keep_latents)
        pending[task] = (cfg, rid, time.perf_counter())


def _collect(ray, batch: Batch, ref, pending: dict, held: set, max_retries: int) -> None:
    """Record the finished task ``ref``'s run (a worker that kept dying is a failed run) and release its claim."""
    cfg, rid, t0 = pending.pop(ref)
    try:
        out = ray.get(ref)
    except ray.exceptions.RayError as e:  # the worker died, and kept dying through the retries
        out = {
            "error": f"{type(e).__name__}: the run's worker died {max_retries + 1} time(s) "
            f"({str(e).splitlines()[0][:300]})",
            "wall": time.perf_counter() - t0,
        }
    if "input_error" in out:
        raise DmlvaeError(out["input_error"])
    batch.record(cfg, out.get("result"), out.get("error"), out.get("wall", time.perf_counter() - t0))
    batch.store.release(rid)
    held.discard(rid)
    batch.counts["ok" if out.get("error") is None else "failed"] += 1


def run_all(batch: Batch, on: RayBackend, max_retries: int = MAX_RETRIES) -> dict:
    """Run ``batch.todo`` (RunConfigs, already missing from its store) as Ray tasks on ``on``; each finished run's
    row is recorded in this (driver) process, exactly once. Returns the counts."""
    ray, slots = start(on.workers, on.address, on.cpus_per_run, on.gpus_per_run, on.allow_open_cluster)
    batch.announce()
    remote = ray.remote(_task).options(num_cpus=on.cpus_per_run, num_gpus=on.gpus_per_run, max_retries=max_retries)
    bar, counts = _bar(batch, slots), batch.counts
    pending, queue, held = {}, list(batch.todo), set()
    try:
        while queue or pending:
            _submit(batch, remote, queue, pending, held, slots, on.cpus_per_run)
            if not pending:
                continue
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                _collect(ray, batch, ref, pending, held, max_retries)
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(ok=counts["ok"], failed=counts["failed"], remaining=len(queue) + len(pending))
    finally:
        for ref in pending:
            ray.cancel(ref, force=True)
        for rid in held:
            batch.store.release(rid)
        if bar is not None:
            bar.close()
    return counts


def shutdown() -> None:
    try:
        import ray  # heavy optional dependency, imported on first use
    except ImportError:
        return
    if ray.is_initialized():
        ray.shutdown()
