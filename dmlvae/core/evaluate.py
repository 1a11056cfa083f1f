"""Evaluation of embeddings: probes fitted on latents, scored by accuracy and adjusted mutual information
(AMI) of predicted vs true labels, plus recall@1.

Probes: ``knn`` (k = 5), ``rf`` (random forest), ``mlp`` and ``linear`` (logistic regression, Table 4's
"linear"); MLP and linear standardise the latents first and stop after ``MAX_ITER`` iterations (scikit-learn's
ConvergenceWarning when they do is not shown: the cap is the setting, not a fault). Protocols (which latents fit
the probe, which are scored):

- ``test-cv`` (default; our reading of the paper): stratified 5-fold cross-validated predictions on the
  test latents;
- ``train-to-test``: fit on all training latents, score the test split;
- ``labelled-to-test``: fit on the labelled training latents only, score the test split (what a
  semi-supervised user really has); kNN's k is then at most the labelled images per class.

R@1 (``r_at_1``) is the fraction of test points whose nearest other test point has the same label; it
does not depend on the protocol.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, adjusted_mutual_info_score
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_predict
from sklearn.neighbors import KNeighborsClassifier, NearestNeighbors
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from dmlvae.errors import choice

PROBES = ("knn", "rf", "mlp", "linear")
PROTOCOLS = ("test-cv", "train-to-test", "labelled-to-test")
KNN_K, CV_FOLDS = 5, 5
RF_TREES, MLP_HIDDEN, MAX_ITER = 100, (100,), 500


def make_probe(name: str, seed: int = 0, k: int = KNN_K):
    choice("probe", name, PROBES)
    if name == "knn":
        return KNeighborsClassifier(n_neighbors=k)
    if name == "rf":
        return RandomForestClassifier(RF_TREES, random_state=seed, n_jobs=-1)
    if name == "mlp":
        return make_pipeline(StandardScaler(), MLPClassifier(MLP_HIDDEN, max_iter=MAX_ITER, random_state=seed))
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=MAX_ITER))


def scores(prefix: str, y_true, y_pred) -> dict:
    return {
        f"{prefix}_acc": float(accuracy_score(y_true, y_pred)),
        f"{prefix}_ami": float(adjusted_mutual_info_score(y_true, y_pred)),
    }


def recall_at_1(z: np.ndarray, y: np.ndarray) -> float:
    nn = NearestNeighbors(n_neighbors=2).fit(z)
    idx = nn.kneighbors(z, return_distance=False)
    other = np.where(idx[:, 0] == np.arange(len(z)), idx[:, 1], idx[:, 0])  # skip the point itself
    return float(np.mean(y[other] == y))


def _cv(y, folds, seed):
    counts = np.bincount(y)
    if counts[counts > 0].min() >= folds:
        return StratifiedKFold(folds, shuffle=True, random_state=seed)
    return KFold(folds, shuffle=True, random_state=seed)  # a class rarer than the folds


def _fit_predict(name, z_fit, y_fit, z_test, seed):
    if len(np.unique(y_fit)) == 1:  # a probe cannot be fitted on one class: it can only predict that class
        return np.full(len(z_test), y_fit[0])
    # few labels (labelled-to-test): k is at most the number of fitted images per class, so 6 labels of 6
    # classes give 1-NN rather than a vote that always ties
    k = min(KNN_K, max(1, len(y_fit) // len(np.unique(y_fit))))
    return make_probe(name, seed, k).fit(z_fit, y_fit).predict(z_test)


def probe(
    z_test, y_test, protocol: str = "test-cv", probes=("knn",), z_train=None, y_train=None, labelled=None, seed: int = 0
) -> dict:
    """Metrics ``{probe}_acc``, ``{probe}_ami`` for each probe under ``protocol``, and ``r_at_1``."""
    choice("protocol", protocol, PROTOCOLS)
    for p in probes:
        choice("probe", p, PROBES)
    z_test, y_test = np.asarray(z_test), np.asarray(y_test)
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        out.update(_probes(z_test, y_test, protocol, probes, z_train, y_train, labelled, seed))
    out["r_at_1"] = recall_at_1(z_test, y_test)
    return out


def _probes(z_test, y_test, protocol, probes, z_train, y_train, labelled, seed) -> dict:
    out = {}
    for name in probes:
        if protocol == "test-cv":
            pred = cross_val_predict(make_probe(name, seed), z_test, y_test, cv=_cv(y_test, CV_FOLDS, seed))
        elif protocol == "train-to-test":
            pred = _fit_predict(name, z_train, y_train, z_test, seed)
        else:
            pred = _fit_predict(name, z_train[labelled], y_train[labelled], z_test, seed)
        out.update(scores(name, y_test, pred))
    return out
