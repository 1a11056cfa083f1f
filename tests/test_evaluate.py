"""Probes and metrics (dmlvae.core.evaluate) against independent references: hand loops and scikit-learn's metrics."""

import numpy as np
import pytest
from sklearn.metrics import adjusted_mutual_info_score, normalized_mutual_info_score

from dmlvae.core import evaluate


def knn_by_hand(z_fit, y_fit, z_test, k):
    """Majority vote of the k nearest fitted points (Euclidean); a tie goes to the smallest label, as sklearn."""
    out = []
    for q in z_test:
        d = np.sqrt(((z_fit - q) ** 2).sum(1))
        near = np.argsort(d, kind="stable")[:k]
        votes = np.bincount(y_fit[near], minlength=y_fit.max() + 1)
        out.append(int(np.flatnonzero(votes == votes.max())[0]))
    return np.array(out)


def test_labelled_to_test_knn_is_the_hand_vote_over_the_labelled_points_only():
    rng = np.random.default_rng(0)
    z_train, y_train = rng.normal(size=(300, 4)), rng.integers(0, 3, 300)
    z_test, y_test = rng.normal(size=(80, 4)), rng.integers(0, 3, 80)
    labelled = np.sort(rng.choice(300, 30, replace=False))
    got = evaluate.probe(
        z_test, y_test, "labelled-to-test", ("knn",), z_train=z_train, y_train=y_train, labelled=labelled
    )
    k = min(evaluate.KNN_K, 30 // 3)
    pred = knn_by_hand(z_train[labelled], y_train[labelled], z_test, k)
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
    assert got["knn_acc"] == np.mean(knn_by_hand(z_train, y_train, z_test, evaluate.KNN_K) == y_test)


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
