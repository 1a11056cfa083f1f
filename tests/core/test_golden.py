"""Golden numbers of a few tiny fixed runs, tied to ``dmlvae.version.TRAINING_VERSION``.

A change that alters what training computes must bump TRAINING_VERSION (stored rows of the old version then
show as stale, and ``sweep --rerun-stale`` re-runs them); this test fails when the numbers move while the
version stays. After a deliberate change: bump the version, then ``python tests/core/test_golden.py --update``.

**The rule: a tolerance per kind of quantity, from the kernel paths measured.** The same run on another CPU takes
other kernels (torch's ATen dispatch, MKL's GEMMs), so sums are taken in another order. ``bench/kernel_paths.py``
forces every path this machine can take (``ATEN_CPU_CAPABILITY=default`` and ``avx2``,
``MKL_ENABLE_INSTRUCTIONS=SSE4_2`` and ``AVX2``, ``MKL_CBWR=COMPATIBLE`` and two combinations; AMD EPYC with
AVX-512, 2 threads) and reports each quantity's largest relative drift from the machine's own path:

- what the loss sees (each epoch's loss, metric, reconstruction and KL terms, and knn_acc) moved at most 1.2e-6
  (the MetricVAE's KL; every other term at most 1.3e-7), and an AVX-512 + AMX machine's at most 1e-6: they are held
  to ``LOSS_REL`` = 1e-5, 8x the largest seen;
- the mean embedding norm of the first 1,024 training images moved 7.5e-3 in ``dml-triplet`` (AMX machine: 1.6e-3),
  though its losses agreed to 4e-8. Adam's step is m / sqrt(v): on a weight whose gradient is rounding noise, the
  step is lr-sized whichever way the noise points, so rounding moves weights the labelled loss barely sees (0.1 % of
  the weights' norm here) and the norm over unlabelled images sees them. It is held to ``NORM_REL`` = 3e-2, 4x the
  largest seen; in the other four runs it moved at most 5.4e-8.

The tolerances still catch a change of training: ``test_a_changed_training_fails_the_golden_check`` trains mutants
(a loss weight 1 % off, the learning rate 1 % off, one optimiser step fewer or one more) and requires each to fail
the same check. Measured: the mutants move some loss term of every run by 2.3e-3 to 9.5e-2 relative, 230x
``LOSS_REL`` or more, where the kernel paths moved them 1.2e-6 at most.
"""

import json
import sys
from pathlib import Path

import pytest

from dmlvae.core import routines
from dmlvae.core.config import RunConfig
from dmlvae.core.train import run
from dmlvae.version import TRAINING_VERSION

GOLDEN = Path(__file__).with_name("golden.json")
TINY = dict(
    dataset="digits", pl_pct=10, epochs=2, lsdim=4, hidden=(32,), batch_size=128, n_pseudo=16, seed=3, device="cpu"
)
RUNS = {
    "dml-triplet": dict(model="dml"),
    "dml_autoencoder-alternating": dict(model="dml_autoencoder", alpha=0.5),
    "dml_gmm_prior-alternating": dict(model="dml_gmm_prior", alpha=0.33, lsdim=2),
    "dml_unit_prior-center": dict(model="dml_unit_prior", loss="center", alternate_first="unsupervised"),
    "mvae-joint-supcon": dict(model="mvae", routine="joint", loss="supcon", gamma=2.0),
}
KEYS = ("loss", "metric", "recon", "kl", "embedding_norm")
LOSS_REL = 1e-5  # what the loss sees, and knn_acc (see the module's docstring for the figures)
NORM_REL = 3e-2  # the embedding norm
ABS = 1e-9  # a term that is 0


def numbers(name: str, **change) -> dict:
    r = run(RunConfig(**{**TINY, **RUNS[name], **change}))
    hist = [{k: row[k] for k in KEYS if row.get(k) is not None} for row in r["history"]]
    return {"history": hist, "knn_acc": r["metrics"]["knn_acc"]}


def mismatches(got: dict, want: dict) -> list[str]:
    """Every golden quantity of ``got`` outside its tolerance of ``want`` (empty: they agree)."""
    out = []

    def check(what, g, w, rel):
        if g != pytest.approx(w, rel=rel, abs=ABS):
            out.append(f"{what}: {g} vs {w}")

    check("knn_acc", got["knn_acc"], want["knn_acc"], LOSS_REL)
    if len(got["history"]) != len(want["history"]):
        return out + [f"epochs: {len(got['history'])} vs {len(want['history'])}"]
    for epoch, (g, w) in enumerate(zip(got["history"], want["history"])):
        if set(g) != set(w):
            out.append(f"epoch {epoch}: quantities {sorted(g)} vs {sorted(w)}")
            continue
        for k in w:
            check(f"epoch {epoch} {k}", g[k], w[k], NORM_REL if k == "embedding_norm" else LOSS_REL)
    return out


def golden() -> dict:
    return json.loads(GOLDEN.read_text())


@pytest.mark.parametrize("name", RUNS)
def test_numbers_move_only_with_the_training_version(name):
    g = golden()
    assert g["training_version"] == TRAINING_VERSION, (
        "TRAINING_VERSION changed: regenerate the golden numbers with `python tests/core/test_golden.py --update`"
    )
    bad = mismatches(numbers(name), g["runs"][name])
    assert not bad, (
        f"{name}: the numbers changed while TRAINING_VERSION stayed {TRAINING_VERSION}: {'; '.join(bad)}. If the "
        "change is deliberate, bump dmlvae.version.TRAINING_VERSION and run `python tests/core/test_golden.py --update`"
    )


def _weight(name: str) -> dict:
    """The run's loss weight, 1 % off (DML alone has none: no mutant of it)."""
    cfg = {**TINY, **RUNS[name]}
    if cfg.get("routine") == "joint":
        return {"gamma": cfg["gamma"] * 1.01}
    return {"alpha": RunConfig(**cfg).alpha * 1.01}


MUTANTS = {
    "loss weight +1 %": lambda name, mp: _weight(name),
    "learning rate +1 %": lambda name, mp: {"lr": RunConfig(**{**TINY, **RUNS[name]}).lr * 1.01},
    "one step fewer": lambda name, mp: _one_step(mp, skip=True),
    "one step more": lambda name, mp: _one_step(mp, skip=False),
}


def _one_step(monkeypatch, skip: bool, at: int = 3) -> dict:
    """Make training's ``at``-th optimiser step vanish (``skip``) or happen twice on the same gradient."""
    real, calls = routines._step, {"n": 0}

    def step(opt, loss, cfg, epoch, i):
        calls["n"] += 1
        if calls["n"] == at and skip:
            return
        real(opt, loss, cfg, epoch, i)
        if calls["n"] == at:
            opt.step()

    monkeypatch.setattr(routines, "_step", step)
    return {}


@pytest.mark.parametrize(
    "name, mutant", [(n, m) for m in MUTANTS for n in RUNS if not (m == "loss weight +1 %" and n == "dml-triplet")]
)
def test_a_changed_training_fails_the_golden_check(name, mutant, monkeypatch):
    change = MUTANTS[mutant](name, monkeypatch)
    assert mismatches(numbers(name, **change), golden()["runs"][name]), f"{mutant} passed the golden check of {name}"


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit("usage: python tests/core/test_golden.py --update")
    GOLDEN.write_text(
        json.dumps({"training_version": TRAINING_VERSION, "runs": {n: numbers(n) for n in RUNS}}, indent=1) + "\n"
    )
    print(f"wrote {GOLDEN}")
