"""Probes and metrics (dmlvae.core.evaluate) against independent references: hand loops and scikit-learn's metrics."""

import fakes
import numpy as np
import pytest
from sklearn.metrics import adjusted_mutual_info_score, normalized_mutual_info_score

from dmlvae.core import evaluate
from dmlvae.errors import DmlvaeError


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


# ------------------------------------------------- edges and defaults (the mutants that survived the tests above)
def test_each_probe_is_the_documented_estimator_with_its_seed():
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import StandardScaler

    rf = evaluate.make_probe("rf", seed=3)
    assert isinstance(rf, RandomForestClassifier) and rf.n_estimators == evaluate.RF_TREES == 100
    assert rf.random_state == 3 and evaluate.make_probe("rf").random_state == 0
    mlp = evaluate.make_probe("mlp", seed=4)
    (_, scale), (_, net) = mlp.steps
    assert isinstance(scale, StandardScaler) and isinstance(net, MLPClassifier)
    assert net.hidden_layer_sizes == evaluate.MLP_HIDDEN == (100,) and net.max_iter == evaluate.MAX_ITER
    assert net.random_state == 4
    (_, scale), (_, lin) = evaluate.make_probe("linear").steps
    assert isinstance(scale, StandardScaler) and isinstance(lin, LogisticRegression)
    assert lin.max_iter == evaluate.MAX_ITER
    knn = evaluate.make_probe("knn", k=3)
    assert isinstance(knn, KNeighborsClassifier) and knn.n_neighbors == 3
    with pytest.raises(DmlvaeError, match=r"unknown probe 'svm'; allowed: knn, rf, mlp, linear"):
        evaluate.make_probe("svm")
    with pytest.raises(DmlvaeError, match=r"unknown probe 'svm'; allowed"):
        evaluate.probe(np.zeros((10, 2)), np.arange(10) % 2, probes=("svm",))
    with pytest.raises(DmlvaeError, match=r"unknown protocol 'cv'; allowed: test-cv, train-to-test"):
        evaluate.probe(np.zeros((10, 2)), np.arange(10) % 2, protocol="cv")


def test_recall_at_1_skips_the_point_itself_among_duplicates():
    """Two copies of each point with opposite labels: every point's nearest other point is its copy, of the other
    label, so recall@1 is 0 whichever copy the neighbour search lists first."""
    z = np.array([[0.0], [0.0], [5.0], [5.0], [11.0], [11.0]])
    y = np.array([0, 1, 0, 1, 0, 1])
    assert evaluate.recall_at_1(z, y) == 0.0
    assert evaluate.recall_at_1(z, np.array([0, 0, 1, 1, 2, 2])) == 1.0


def test_the_cross_validation_is_stratified_exactly_when_every_present_class_fills_the_folds():
    from sklearn.model_selection import KFold, StratifiedKFold

    assert isinstance(evaluate._cv(np.array([0] * 5 + [2] * 5), 5, 0), StratifiedKFold)  # class 1 absent
    assert isinstance(evaluate._cv(np.array([0] * 5 + [1] * 4), 5, 0), KFold)
    assert isinstance(evaluate._cv(np.array([0] * 5 + [1] * 5), 5, 0), StratifiedKFold)  # as many as the folds
    assert isinstance(evaluate._cv(np.array([0] * 6 + [1] * 1), 5, 0), KFold)  # a class of one image
    for folds in (evaluate._cv(np.array([0] * 5 + [1] * 5), 5, 7), evaluate._cv(np.array([0] * 5 + [1]), 5, 7)):
        assert folds.n_splits == 5 and folds.shuffle and folds.random_state == 7


def test_the_probes_are_seeded_under_every_protocol():
    g = np.random.default_rng(0)
    z = np.r_[g.normal(0, 1, (40, 3)), g.normal(0.8, 1, (40, 3))]
    y = np.r_[np.zeros(40, int), np.ones(40, int)]
    labelled = np.r_[0:5, 40:45]
    run = lambda protocol, seed, probes=("rf",): evaluate.probe(  # noqa: E731
        z, y, protocol, probes, z_train=z, y_train=y, labelled=labelled, seed=seed
    )
    for protocol in ("test-cv", "train-to-test", "labelled-to-test"):
        assert run(protocol, 1) == run(protocol, 1)
    assert evaluate.probe(z, y, probes=("rf",)) == evaluate.probe(z, y, "test-cv", ("rf",), seed=0)
    assert run("test-cv", 0) != run("test-cv", 1)  # the seed reaches the probes and the folds
    assert run("train-to-test", 1, ("mlp",)) == run("train-to-test", 1, ("mlp",))


def test_labelled_to_test_with_few_labels():
    """One labelled image: a probe cannot be fitted, the prediction is its class. Six images of three classes:
    k = 2 (the images per class), a vote between the two nearest."""
    z = np.array([[0.0], [0.1], [5.0], [5.1], [10.0], [10.1], [0.05], [5.05], [10.05]])
    y = np.array([0, 0, 1, 1, 2, 2, 0, 1, 2])
    one = evaluate.probe(z, y, "labelled-to-test", z_train=z, y_train=y, labelled=np.array([2]))
    assert one["knn_acc"] == pytest.approx(3 / 9)  # everything predicted class 1
    six = evaluate.probe(z[6:], y[6:], "labelled-to-test", z_train=z, y_train=y, labelled=np.arange(6))
    assert six["knn_acc"] == 1.0
    three = evaluate.probe(z[6:], y[6:], "labelled-to-test", z_train=z, y_train=y, labelled=np.array([0, 2, 4, 5]))
    assert three["knn_acc"] == 1.0
    # two classes (0, 0, 1, 1) are fitted, not taken for one: 0.05 -> 0, 5.05 and 10.05 -> 1
    two = evaluate.probe(z[6:], y[6:], "labelled-to-test", z_train=z, y_train=y, labelled=np.arange(4))
    assert two["knn_acc"] == pytest.approx(2 / 3)


@pytest.mark.parametrize("probe", ["knn", "rf"])
def test_test_cv_is_the_hand_cross_validation_with_the_seeded_shuffled_folds_and_probe(probe):
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.neighbors import KNeighborsClassifier

    g = np.random.default_rng(1)
    z = np.r_[g.normal(0, 1, (30, 2)), g.normal(1.0, 1, (30, 2))]
    y = np.r_[np.zeros(30, int), np.ones(30, int)]
    est = KNeighborsClassifier(5) if probe == "knn" else RandomForestClassifier(100, random_state=3)
    pred = cross_val_predict(est, z, y, cv=StratifiedKFold(5, shuffle=True, random_state=3))
    got = evaluate.probe(z, y, "test-cv", (probe,), seed=3)
    assert got[f"{probe}_acc"] == pytest.approx(float(np.mean(pred == y)), abs=1e-12)
