"""What several tests (and the bench scripts) share: a smoke sweep's command line, a fake run's result, the
arguments that start a Ray head node. Importable as ``fakes`` (pytest puts ``tests/`` on the path; the bench
scripts add it)."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import numpy as np
import torch

from dmlvae.analysis import balance
from dmlvae.core import routines, train
from dmlvae.core.config import RunConfig
from dmlvae.core.models import build
from dmlvae.core.routines import DivergedError
from dmlvae.core.train import run
from dmlvae.experiments import grids, profiles, store, sweep
from dmlvae.experiments.sweep import make_row


def smoke_sweep(results, *extra) -> list[str]:
    """The arguments of ``python -m dmlvae`` for a real smoke sweep of Table 1 on digits (one seed, 30 runs) into
    ``results``."""
    args = ["sweep", "--table", "1", "--profile", "smoke", "--seeds", "1", "--dataset", "digits"]
    return [*args, "--results", str(results), "--no-progress", *map(str, extra)]


def fake_result(cfg) -> dict:
    """What a run returns, without training: knn_acc 0.5 + seed / 10 tells the seeds apart."""
    return {
        "metrics": {"knn_acc": 0.5 + cfg.seed / 10, "knn_ami": 0.2},
        "metrics_by_protocol": {},
        "history": [],
        "n_train": 1,
        "n_labelled": 1,
        "labelled_classes": 1,
        "n_test": 1,
        "source": "x",
        "device": "cpu",
        "pid": os.getpid(),
    }


def ray_head(ray, port: int, temp) -> list[str]:
    """``ray start --head`` on ``port`` with 1 CPU, its files under ``temp`` (Ray's socket paths must stay short)."""
    return [str(ray), "start", "--head", "--port", str(port), "--num-cpus", "1", "--temp-dir", str(temp)] + [
        "--include-dashboard",
        "false",
        "--disable-usage-stats",
    ]


def free_port() -> int:
    """A TCP port free on this machine now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def balance_run(acc_of):
    """A run_fn: kNN accuracy ``acc_of(cfg)`` (+ 0.002 per seed) under every protocol, and a history whose
    epochs record a derived gamma and the weighted terms."""

    def run(cfg):
        m = {"knn_acc": acc_of(cfg) + 0.002 * cfg.seed, "knn_ami": 0.1}
        share = cfg.metric_share or 0.0
        hist = [
            {
                "epoch": e,
                "weighted": {"metric": share * (1 - 0.1 * e), "recon": 1 - share, "kl": 0.0},
                **({"gamma": 7.0} if cfg.metric_share else {}),
            }
            for e in range(2)
        ]
        return {
            "metrics": m,
            "metrics_by_protocol": {"test-cv": m, "labelled-to-test": m},
            "history": hist,
            "n_train": 100,
        }

    return run


def balance_frame(tmp_path, acc_of):
    """The balance grid's smoke rows on digits, 3 seeds, from ``balance_run(acc_of)``, as ``balance.frame``."""
    f = tmp_path / "r.jsonl"
    cfgs = profiles.profile_configs(grids.cells("balance", dataset="digits"), "smoke", 3, grid="balance")
    sweep.run_configs("balance", "smoke", cfgs, f, progress=False, run_fn=balance_run(acc_of))
    return balance.frame(store.rows_for(f, "balance", "smoke", cfgs))


def helpful_at_half(cfg):
    """The VAE alone 0.8; DML 0.5 at 0.01 % and 0.1 %, 0.95 above; a share of 0.5 or more adds 0.1 from 0.1 %."""
    if cfg.model == "dml":
        return 0.5 if cfg.pl_pct < 1 else 0.95
    return 0.8 + (0.1 if (cfg.metric_share or 0) >= 0.5 and cfg.pl_pct >= 0.1 else 0.0)


TINY = RunConfig(dataset="digits", model="dml", pl_pct=10, epochs=1, lsdim=4, hidden=(32,), batch_size=128, seed=2)


def tiny_row() -> dict:
    """A stored row of one real tiny run (TINY: digits, one epoch), as a sweep writes it."""
    r = run(TINY)
    return make_row(1, "smoke", TINY, r, None, r["wall_time"], "mnist")


def diverging_at_half(cfg) -> dict:
    """A run_fn: the fake result (``fake_result``), except that the DML autoencoder at alpha 0.5 diverges."""
    if cfg.model == "dml_autoencoder" and cfg.alpha == 0.5:
        raise DivergedError(f"loss is nan at epoch 0, step 3 ({cfg.model})")
    return fake_result(cfg)


def fitted(cfg, y_change=None):
    """The model of ``cfg`` fitted on its training split, its labels first changed by ``y_change(y, labelled)``."""
    ds, x, y, labelled, _, _ = train.prepare(cfg)
    if y_change is not None:
        y = y_change(y, labelled)
    torch.manual_seed(cfg.seed)
    model = build(cfg, ds.image_shape, ds.n_classes)
    routines.fit(model, x, y, labelled, cfg, n_classes=ds.n_classes)
    return model


def scramble_unlabelled(y, labelled):
    """``y`` with every label outside ``labelled`` permuted and moved out of the classes' range (+100)."""
    y = y.clone()
    rest = np.setdiff1d(np.arange(len(y)), labelled.numpy())
    y[rest] = torch.as_tensor(np.random.default_rng(1).permutation(y[rest].numpy())) + 100
    return y


ROOT = Path(__file__).resolve().parents[1]


def shipped_page(name: str, paper_seeds: int | None = None, **params):
    """``pages.Page(name, ...)`` with the page's own defaults (its ``parameters`` cell) and ``params`` on top: under
    its default profile (auto) it reads the shipped rows (results/paper.jsonl) and trains nothing, so a page's
    back-end can be called as the page calls it, without a notebook."""
    import jupytext

    from dmlvae import pages

    nb = jupytext.read(ROOT / "notebooks" / f"{name}.py")
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    namespace: dict = {}
    exec(cell.source, namespace)
    namespace.pop("__builtins__")
    namespace.update(params)
    if "results" in namespace and namespace["results"] is None and namespace.get("profile") == "auto":
        namespace["results"] = str(ROOT / "results" / "paper.jsonl")
    pages.page._first_names = None  # a fresh kernel's first check
    return pages.Page(name, namespace, **({} if paper_seeds is None else {"paper_seeds": paper_seeds}))


def page_calls(name: str, module: str) -> list[str]:
    """The calls page ``name`` makes to its back-end ``pages.<module>`` outside its exercises, as written there."""
    import ast

    import jupytext

    nb = jupytext.read(ROOT / "notebooks" / f"{name}.py")
    calls = []
    for cell in nb.cells:
        if cell.cell_type != "code" or "from dmlvae.pages import exercises" in cell.source:
            continue
        for node in ast.walk(ast.parse(cell.source)):
            f = node.func if isinstance(node, ast.Call) else None
            if isinstance(f, ast.Attribute) and ast.unparse(f.value) == f"pages.{module}":
                calls.append(ast.unparse(node))
    return calls


def run_page_calls(page, module: str) -> dict:
    """Each call of page ``page.name`` to ``pages.<module>``, evaluated as the page writes it (its parameters and
    ``page`` in scope), without a notebook: {call: what it returned}."""
    from dmlvae import pages

    scope = {"pages": pages, "page": page, **vars(page.p)}
    return {call: eval(call, scope) for call in page_calls(page.name, module)}  # noqa: S307 (the page's own code)


def knn_by_hand(z_fit, y_fit, z_test, k):
    """Majority vote of the k nearest fitted points (Euclidean); a tie goes to the smallest label, as sklearn."""
    out = []
    for q in z_test:
        d = np.sqrt(((z_fit - q) ** 2).sum(1))
        near = np.argsort(d, kind="stable")[:k]
        votes = np.bincount(y_fit[near], minlength=y_fit.max() + 1)
        out.append(int(np.flatnonzero(votes == votes.max())[0]))
    return np.array(out)


# a small vae_graph run on digits: the VAE, the graph and the DML step in seconds
VAE_GRAPH = dict(
    dataset="digits",
    pl_pct=5,
    epochs=2,
    vae_epochs=3,
    hidden=(32,),
    batch_size=64,
    test_subset=300,
    protocol="labelled-to-test",
)
