"""Evaluation of embeddings: probes fitted on latents, scored by accuracy and adjusted mutual information.

Default protocol (``test-cv``, the paper's reading): stratified 5-fold cross-validated predictions of a
k = 5 nearest-neighbour classifier on the test latents; accuracy and AMI of predicted vs true labels.
"""
from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score, adjusted_mutual_info_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.neighbors import KNeighborsClassifier

KNN_K, CV_FOLDS = 5, 5


def scores(prefix: str, y_true, y_pred) -> dict:
    return {f"{prefix}_acc": float(accuracy_score(y_true, y_pred)),
            f"{prefix}_ami": float(adjusted_mutual_info_score(y_true, y_pred))}


def knn_test_cv(z: np.ndarray, y: np.ndarray, k: int = KNN_K, folds: int = CV_FOLDS, seed: int = 0) -> dict:
    """Stratified ``folds``-fold cross-validated kNN predictions on (test) latents ``z``."""
    folds = min(folds, int(np.bincount(y).max()))
    min_count = np.bincount(y)[np.bincount(y) > 0].min()
    if min_count < folds:  # a class rarer than the folds: plain shuffled K-fold keeps every sample scored
        from sklearn.model_selection import KFold
        cv = KFold(folds, shuffle=True, random_state=seed)
    else:
        cv = StratifiedKFold(folds, shuffle=True, random_state=seed)
    pred = cross_val_predict(KNeighborsClassifier(n_neighbors=k), z, y, cv=cv)
    return scores("knn", y, pred)
