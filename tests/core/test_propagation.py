"""Label propagation (dmlvae.core.propagation, Iscen et al. 2019) by hand and in closed form."""

import numpy as np
import pytest

from dmlvae.core import propagation


# ------------------------------------------------------------------------------------------ propagation
def test_knn_graph_is_the_normalised_symmetric_affinity_of_a_loop():
    rng = np.random.default_rng(0)
    f = rng.normal(size=(40, 3))
    k = 4
    S = propagation.knn_graph(f, k).toarray()
    d = np.linalg.norm(f[:, None] - f[None], axis=2)
    nbrs = [np.argsort(d[i])[1 : k + 1] for i in range(40)]
    sigma = np.median([d[i, nbrs[i][-1]] for i in range(40)])
    W = np.zeros((40, 40))
    for i in range(40):
        for j in nbrs[i]:
            W[i, j] += np.exp(-((d[i, j] / sigma) ** 2))
    W = W + W.T
    deg = W.sum(1)
    ref = W / np.sqrt(deg[:, None] * deg[None, :])
    np.testing.assert_allclose(S, ref, rtol=1e-5, atol=1e-7)


def test_spread_converges_to_the_closed_form():
    rng = np.random.default_rng(1)
    S = propagation.knn_graph(rng.normal(size=(60, 2)), 5)
    labelled, y_lab = np.array([0, 5, 9, 20]), np.array([0, 1, 1, 2])
    Y = np.zeros((60, 3))
    Y[labelled, y_lab] = [1, 0.5, 0.5, 1]  # each class's seeds sum to 1
    alpha = 0.9
    closed = (1 - alpha) * np.linalg.solve(np.eye(60) - alpha * S.toarray(), Y)
    np.testing.assert_allclose(propagation.spread(S, labelled, y_lab, 3, alpha, iterations=400), closed, atol=1e-10)


def test_a_class_with_more_seeds_does_not_flood_the_graph():
    """Two separated clusters, 1 seed in one and 5 in the other: balanced seeds label each cluster its own."""
    rng = np.random.default_rng(2)
    f = np.concatenate([rng.normal(0, 1, (50, 2)), rng.normal(0, 1, (50, 2)) + [3.0, 0]])
    S = propagation.knn_graph(f, 10)
    labelled = np.array([0, 50, 51, 52, 53, 54])
    y_lab = np.array([0, 1, 1, 1, 1, 1])
    seeds = propagation.seeds(100, labelled, y_lab, 2)
    np.testing.assert_allclose(seeds.sum(0), [1, 1])
    labels, _, _ = propagation.pseudo_labels(propagation.spread(S, labelled, y_lab, 2), labelled, y_lab)
    truth = np.repeat([0, 1], 50)
    assert (labels == truth).mean() > 0.9


def test_pseudo_label_certainty_and_weights_by_hand():
    F = np.array([[0.9, 0.1, 0.0], [0.2, 0.2, 0.2], [0.0, 0.3, 0.1], [0.5, 0.0, 0.5], [0.0, 0.0, 0.0]])
    labels, cert, w = propagation.pseudo_labels(F, np.array([3]), np.array([2]))
    assert labels.tolist()[:3] == [0, 0, 1] and labels[3] == 2  # a labelled image keeps its own label
    for i in range(3):
        p = F[i] / F[i].sum()
        h = -sum(q * np.log(q) for q in p if q > 0)
        assert cert[i] == pytest.approx(1 - h / np.log(3))
    assert cert[1] == pytest.approx(0) and cert[3] == 1 and cert[4] == pytest.approx(0)  # unreached: no weight
    sizes = np.bincount(labels, minlength=3)
    np.testing.assert_allclose(w, cert / sizes[labels])
