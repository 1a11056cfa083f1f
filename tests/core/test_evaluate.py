"""Probes and metrics (dmlvae.core.evaluate) against independent references: hand loops and scikit-learn's metrics."""

import fakes
import numpy as np
import pytest
from sklearn.metrics import adjusted_mutual_info_score, normalized_mutual_info_score

from dmlvae.core import evaluate


def test_labelled_to_test_knn_is_the_hand_vote_over_the_labelled_points_only():
    rng = np.random.default_rng(0)
    z_train, y_train = rng.normal(size=(300, 4)), rng.integers(0, 3, 300)
    z_test, y_test = rng.normal(size=(80, 4)), rng.integers(0, 3, 80)
    labelled = np.sort(rng.choice(300, 30, replace=False))
    got = evaluate.probe(
        z_test, y_test, "labelled-to-test", ("knn",), z_train=z_train, y_train=y_train, labelled=labelled
    )
    k = min(evaluate.KNN_K, 30 // 3)
    pred = fakes.knn_by_hand(z_train[labelled], y_train[labelled], z_test, k)
    assert got["knn_acc"] == np.mean(pred == y_test)
    # the unlabelled training images' labels play no part
    scrambled = y_train.copy()
    rest = np.setdiff1d(np.arange(300), labelled)
    scrambled[rest] = rng.permutation(scrambled[rest])
    again = evaluate.probe(
        z_test, y_test, "labelled-to-test", ("knn",), z_train=z_train, y_train=scrambled, labelled=labelled
    )
    assert again == got


def test_train_to_test_knn_is_the_hand_vote_over_every_training_point():
    rng = np.random.default_rng(1)
    z_train, y_train = rng.normal(size=(200, 3)), rng.integers(0, 4, 200)
    z_test, y_test = rng.normal(size=(50, 3)), rng.integers(0, 4, 50)
    got = evaluate.probe(z_test, y_test, "train-to-test", ("knn",), z_train=z_train, y_train=y_train)
    assert got["knn_acc"] == np.mean(fakes.knn_by_hand(z_train, y_train, z_test, evaluate.KNN_K) == y_test)


def test_ami_is_adjusted_not_normalised_mutual_information():
    """Chance-level predictions: NMI is clearly above 0, AMI is about 0; swapping one for the other fails here."""
    rng = np.random.default_rng(2)
    y_true, y_pred = rng.integers(0, 10, 200), rng.integers(0, 10, 200)
    s = evaluate.scores("knn", y_true, y_pred)
    assert s["knn_ami"] == pytest.approx(adjusted_mutual_info_score(y_true, y_pred))
    assert abs(s["knn_ami"]) < 0.02 and normalized_mutual_info_score(y_true, y_pred) > 0.05
    assert s["knn_acc"] == np.mean(y_true == y_pred)


def test_recall_at_1_is_the_hand_nearest_other_point():
    rng = np.random.default_rng(3)
    z, y = rng.normal(size=(60, 2)), rng.integers(0, 3, 60)
    d = np.sqrt(((z[:, None] - z[None]) ** 2).sum(-1))
    np.fill_diagonal(d, np.inf)
    assert evaluate.recall_at_1(z, y) == np.mean(y[d.argmin(1)] == y)


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
