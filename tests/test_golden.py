"""Golden numbers of a few tiny fixed runs, tied to ``dmlvae.version.TRAINING_VERSION``.

A change that alters what training computes must bump TRAINING_VERSION (stored rows of the old version then
show as stale, and ``sweep --rerun-stale`` re-runs them); this test fails when the numbers move while the
version stays. After a deliberate change: bump the version, then ``python tests/test_golden.py --update``.
"""

import json
import sys
from pathlib import Path

import pytest

from dmlvae.config import RunConfig
from dmlvae.train import run
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


def numbers(name: str) -> dict:
    r = run(RunConfig(**{**TINY, **RUNS[name]}))
    hist = [{k: row[k] for k in KEYS if row.get(k) is not None} for row in r["history"]]
    return {"history": hist, "knn_acc": r["metrics"]["knn_acc"]}


@pytest.mark.parametrize("name", RUNS)
def test_numbers_move_only_with_the_training_version(name):
    golden = json.loads(GOLDEN.read_text())
    assert golden["training_version"] == TRAINING_VERSION, (
        "TRAINING_VERSION changed: regenerate the golden numbers with `python tests/test_golden.py --update`"
    )
    got, want = numbers(name), golden["runs"][name]
    msg = (
        f"{name}: the numbers changed while TRAINING_VERSION stayed {TRAINING_VERSION}. If the change is "
        "deliberate, bump dmlvae.version.TRAINING_VERSION and run `python tests/test_golden.py --update`"
    )
    assert got["knn_acc"] == pytest.approx(want["knn_acc"], abs=0.01), msg
    assert len(got["history"]) == len(want["history"]), msg
    for g, w in zip(got["history"], want["history"]):
        assert set(g) == set(w), msg
        for k in w:
            assert g[k] == pytest.approx(w[k], rel=1e-4, abs=1e-6), f"{msg} ({k}: {g[k]} vs {w[k]})"


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit("usage: python tests/test_golden.py --update")
    GOLDEN.write_text(
        json.dumps({"training_version": TRAINING_VERSION, "runs": {n: numbers(n) for n in RUNS}}, indent=1) + "\n"
    )
    print(f"wrote {GOLDEN}")
