"""Graph-based label inference with the maintained ``graphlearning`` package (Calder et al., ICML 2020, "Poisson
learning: graph based semi-supervised learning at very low label rates").

- :func:`knn_weights`: graphlearning's kNN weight matrix (Gaussian kernel w_ij = exp(-4 |x_i - x_j|^2 / d_k(x_i)^2),
  symmetrised) from an exact neighbour search (scikit-learn), so the approximate search ``annoy`` is not needed;
- :func:`class_priors`: the class sizes Poisson-MBO keeps the classes at (and Poisson learning rebalances to);
- :func:`infer`: Poisson learning or Poisson-MBO from the labelled images' labels to every node of the graph.

Only the labelled images' labels are read: :func:`infer` takes their positions and their labels, nothing else.
"""

from __future__ import annotations

import numpy as np
from sklearn.neighbors import NearestNeighbors

from dmlvae.errors import DmlvaeError, choice

METHODS = ("poisson-mbo", "poisson")
# "uniform": every class 1/C (an assumption: MNIST's classes are 9-11 % each, Fashion-MNIST's exactly 10 %);
# "labelled": the labelled draw's own class frequencies, each count + 1 (reads the labelled budget only);
# "none": Poisson learning's plain argmax (Poisson-MBO needs priors)
PRIORS = ("uniform", "labelled", "none")


def check_method_priors(method: str, priors: str) -> None:
    """The graph method and class priors, each allowed, and together: Poisson-MBO needs priors."""
    choice("graph_method", method, METHODS)
    choice("graph_priors", priors, PRIORS)
    if method == "poisson-mbo" and priors == "none":
        raise DmlvaeError(
            "graph_method 'poisson-mbo' needs class priors; got graph_priors 'none'; allowed: uniform, labelled"
        )


def knn_weights(features: np.ndarray, k: int):
    """graphlearning's symmetrised kNN weight matrix (scipy sparse, zero diagonal) of ``features`` (N, D)."""
    import graphlearning as gl  # heavy optional dependency, imported on first use

    features = np.asarray(features, dtype=np.float64)
    k = int(min(k, len(features) - 1))
    dist, idx = NearestNeighbors(n_neighbors=k + 1).fit(features).kneighbors(features)
    return gl.weightmatrix.knn(None, k, knn_data=(idx, dist))


def class_priors(rule: str, y_labelled: np.ndarray, n_classes: int) -> np.ndarray | None:
    """The class priors ``rule`` gives (``PRIORS``), from the labelled labels only."""
    choice("graph_priors", rule, PRIORS)
    if rule == "none":
        return None
    if rule == "uniform":
        return np.full(n_classes, 1.0 / n_classes)
    counts = np.bincount(np.asarray(y_labelled), minlength=n_classes) + 1.0
    return counts / counts.sum()


def infer(
    W,
    labelled: np.ndarray,
    y_labelled: np.ndarray,
    n_classes: int,
    method: str = "poisson-mbo",
    priors: str = "uniform",
) -> np.ndarray:
    """Labels of every node of graph ``W`` inferred from the nodes ``labelled`` with labels ``y_labelled``; the
    labelled nodes keep their own labels.

    A class with no labelled node cannot be predicted (the solvers see only the classes present): the present
    classes are renumbered 0..m-1 for graphlearning and mapped back, and the priors restricted to them."""
    import graphlearning as gl  # heavy optional dependency, imported on first use

    check_method_priors(method, priors)
    labelled, y_labelled = np.asarray(labelled), np.asarray(y_labelled)
    if len(labelled) != len(y_labelled) or len(labelled) == 0:
        raise DmlvaeError(
            f"infer needs one label per labelled node and at least one; got {len(labelled)} nodes "
            f"and {len(y_labelled)} labels"
        )
    present = np.unique(y_labelled)
    if len(present) == 1:  # one class seen: it is every node's
        return np.full(W.shape[0], present[0])
    local = np.searchsorted(present, y_labelled)
    p = class_priors(priors, y_labelled, n_classes)
    p = None if p is None else p[present] / p[present].sum()
    solver = gl.ssl.poisson_mbo(W, class_priors=p) if method == "poisson-mbo" else gl.ssl.poisson(W, class_priors=p)
    pred = present[solver.fit_predict(labelled, local)]
    pred[labelled] = y_labelled
    return pred
