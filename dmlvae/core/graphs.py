"""Graph-based label inference with the maintained ``graphlearning`` package (Calder et al., ICML 2020, "Poisson
learning: graph based semi-supervised learning at very low label rates").

- :func:`embedding`: what the graph is built on: the VAE's latents as they are, or UMAP of them (the N2D step,
  McConville et al. 2019, umap-learn), fitted on the training latents only, with a transform for new ones;
- :func:`knn_weights`: graphlearning's kNN weight matrix (Gaussian kernel w_ij = exp(-4 |x_i - x_j|^2 / d_k(x_i)^2),
  symmetrised) from an exact neighbour search (scikit-learn), so the approximate search ``annoy`` is not needed;
- :func:`class_priors`: the class sizes Poisson-MBO keeps the classes at (and Poisson learning rebalances to);
- :func:`infer`: Poisson learning or Poisson-MBO from the labelled images' labels to every node of the graph.

Only the labelled images' labels are read: :func:`infer` takes their positions and their labels, nothing else.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.neighbors import NearestNeighbors

from dmlvae.errors import DmlvaeError, choice

METHODS = ("poisson-mbo", "poisson")
# "uniform": every class 1/C (an assumption: MNIST's classes are 9-11 % each, Fashion-MNIST's exactly 10 %);
# "labelled": the labelled draw's own class frequencies, each count + 1 (reads the labelled budget only);
# "none": Poisson learning's plain argmax (Poisson-MBO needs priors)
PRIORS = ("uniform", "labelled", "none")
# what the kNN graph is built on: "vae" (the latents as they are, Calder et al.) or "umap" (UMAP of them, N2D)
EMBEDDINGS = ("vae", "umap")
# the graph's nodes: "train" (the training images: inductive, the book's protocol) or "train+test" (the test images
# too, unlabelled: transductive, as Calder et al. ran it; never a target contender)
NODES = ("train", "train+test")


def check_method_priors(method: str, priors: str) -> None:
    """The graph method and class priors, each allowed, and together: Poisson-MBO needs priors."""
    choice("graph_method", method, METHODS)
    choice("graph_priors", priors, PRIORS)
    if method == "poisson-mbo" and priors == "none":
        raise DmlvaeError(
            "graph_method 'poisson-mbo' needs class priors; got graph_priors 'none'; allowed: uniform, labelled"
        )


def embedding(
    rule: str, z_train: np.ndarray, neighbours: int = 20, dim: int = 10, min_dist: float = 0.0, seed: int = 0
):
    """The features the graph is built on (``rule``, ``EMBEDDINGS``) and a function placing new latents beside them.

    "umap": umap-learn's UMAP fitted on ``z_train`` alone (no label read; N2D's settings by default: 20 neighbours,
    ``dim`` = 10 components, min_dist 0, Euclidean), seeded (so single-threaded and repeatable); its ``transform``
    places new latents (the test images') in the fitted embedding without refitting it."""
    choice("graph_embedding", rule, EMBEDDINGS)
    z_train = np.asarray(z_train, dtype=np.float32)
    if rule == "vae":
        return z_train, lambda z: np.asarray(z, dtype=np.float32)
    import umap  # heavy optional dependency (numba), imported on first use

    reducer = umap.UMAP(
        n_neighbors=int(min(neighbours, len(z_train) - 1)),
        n_components=dim,
        min_dist=min_dist,
        metric="euclidean",
        random_state=seed,
        n_jobs=1,
    )
    features = reducer.fit_transform(z_train)
    return np.asarray(features, dtype=np.float32), lambda z: np.asarray(reducer.transform(z), dtype=np.float32)


def knn_weights(features: np.ndarray, k: int):
    """graphlearning's symmetrised kNN weight matrix (scipy sparse, zero diagonal) of ``features`` (N, D)."""
    import graphlearning as gl  # heavy optional dependency, imported on first use

    features = np.asarray(features, dtype=np.float64)
    k = int(min(k, len(features) - 1))
    dist, idx = NearestNeighbors(n_neighbors=k + 1).fit(features).kneighbors(features)
    return gl.weightmatrix.knn(None, k, knn_data=(idx, dist))


JOIN_WEIGHT = float(np.exp(-4.0))  # the kernel's weight of a node's k-th neighbour: the weakest kNN edge


def connect_components(W, features: np.ndarray):
    """``W`` with each connected component but the largest joined to its nearest node outside it (Euclidean, in
    ``features``), by an edge of weight ``JOIN_WEIGHT``, until one component is left (as scikit-learn's Isomap
    joins a disconnected neighbour graph). Poisson learning needs this: on a component that holds some of the
    labelled nodes but not all, its source term does not sum to zero and the solver cannot converge. A connected
    ``W`` is returned unchanged. Reads no label."""
    features = np.asarray(features, dtype=np.float64)
    W = sp.csr_matrix(W)
    while True:
        n, comp = sp.csgraph.connected_components(W, directed=False)
        if n == 1:
            return W
        small = np.argsort(np.bincount(comp))[0]  # the smallest component first
        inside, outside = np.flatnonzero(comp == small), np.flatnonzero(comp != small)
        dist, idx = NearestNeighbors(n_neighbors=1).fit(features[outside]).kneighbors(features[inside])
        i = inside[dist[:, 0].argmin()]
        j = outside[idx[dist[:, 0].argmin(), 0]]
        join = sp.csr_matrix(([JOIN_WEIGHT, JOIN_WEIGHT], ([i, j], [j, i])), shape=W.shape)
        W = (W + join).tocsr()


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
