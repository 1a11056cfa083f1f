"""Label propagation on a kNN graph (Zhou et al. 2004, "Learning with local and global consistency"), as
Iscen et al. (2019, "Label propagation for deep semi-supervised learning") use it to give every unlabelled
image a pseudo-label and a certainty for a metric loss.

- :func:`knn_graph`: the symmetrically normalised affinity S = D^-1/2 W D^-1/2 of a kNN graph, with
  w_ij = exp(-d_ij^2 / sigma^2) (sigma: the median distance to the k-th neighbour), W symmetrised;
- :func:`spread`: F = alpha S F + (1 - alpha) Y, iterated from F = Y; it converges to the closed form
  (1 - alpha) (I - alpha S)^-1 Y. Y holds the labelled images' one-hot labels, each class's seeds scaled by
  1 / (its number of labels) so that a class with more labels does not flood the graph (our choice; Iscen et
  al. balance classes with loss weights instead);
- :func:`pseudo_labels`: argmax of F, the certainty 1 - H(F_i) / log C of Iscen et al. (eq. 9), and a
  per-image sampling weight certainty / (size of its pseudo-class) (their class weights, eq. 10). The
  labelled images keep their own labels with weight 1.

Only the labelled images' labels are read.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.decomposition import PCA
from sklearn.neighbors import NearestNeighbors

SPREAD_ITERATIONS = 50  # alpha = 0.99 leaves 0.99^50 = 0.6 of the start: enough to reach every image of a class
PCA_DIMS = 50  # the first graph ("pixels"): PCA of the images to 50 dimensions (nearest neighbours are faster)


def knn_graph(features: np.ndarray, k: int) -> sp.csr_matrix:
    """S = D^-1/2 W D^-1/2 of the symmetrised kNN graph of ``features`` (N, D)."""

    features = np.asarray(features, dtype=np.float32)
    n = len(features)
    k = min(k, n - 1)
    dist, idx = NearestNeighbors(n_neighbors=k + 1).fit(features).kneighbors(features)
    dist, idx = dist[:, 1:], idx[:, 1:]  # drop each point itself
    sigma = float(np.median(dist[:, -1])) or 1.0
    w = np.exp(-((dist / sigma) ** 2))
    W = sp.csr_matrix((w.ravel(), (np.repeat(np.arange(n), k), idx.ravel())), shape=(n, n))
    W = W + W.T
    deg = np.asarray(W.sum(1)).ravel()
    inv = sp.diags(1.0 / np.sqrt(np.maximum(deg, 1e-12)))
    return (inv @ W @ inv).tocsr()


def pixel_features(images: np.ndarray, seed: int = 0, dims: int = PCA_DIMS) -> np.ndarray:
    """The images flattened and reduced by PCA (the first graph when ``lp_first_graph="pixels"``)."""

    flat = np.asarray(images).reshape(len(images), -1)
    return PCA(min(dims, *flat.shape), random_state=seed).fit_transform(flat)


def seeds(n: int, labelled: np.ndarray, y_labelled: np.ndarray, n_classes: int) -> np.ndarray:
    """Y: one row per image, the labelled images' classes, each class's seeds summing to 1."""
    Y = np.zeros((n, n_classes))
    counts = np.bincount(y_labelled, minlength=n_classes)
    Y[labelled, y_labelled] = 1.0 / counts[y_labelled]
    return Y


def spread(
    S, labelled, y_labelled, n_classes: int, alpha: float = 0.99, iterations: int = SPREAD_ITERATIONS
) -> np.ndarray:
    """F after ``iterations`` of F <- alpha S F + (1 - alpha) Y."""
    Y = seeds(S.shape[0], np.asarray(labelled), np.asarray(y_labelled), n_classes)
    F = Y.copy()
    for _ in range(iterations):
        F = alpha * (S @ F) + (1 - alpha) * Y
    return F


def pseudo_labels(F: np.ndarray, labelled, y_labelled) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(pseudo-labels, certainties in [0, 1], sampling weights) from the spread scores ``F``."""
    n, c = F.shape
    P = np.clip(F, 0, None)
    total = P.sum(1, keepdims=True)
    P = np.where(total > 0, P / np.where(total > 0, total, 1), 1.0 / c)  # an unreached image: uniform, certainty 0
    entropy = -(P * np.log(np.clip(P, 1e-12, None))).sum(1)
    certainty = 1.0 - entropy / np.log(c) if c > 1 else np.ones(n)
    labels = P.argmax(1)
    labels[labelled], certainty[labelled] = y_labelled, 1.0
    weights = certainty / np.bincount(labels, minlength=c)[labels]
    return labels, np.clip(certainty, 0, 1), weights
