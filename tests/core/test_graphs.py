"""Graph label inference (dmlvae.core.graphs, graphlearning), the VAE it runs on (dmlvae.core.vae) and model
vae_graph."""

import fakes
import numpy as np
import pytest
import scipy.sparse as sp
import torch

from dmlvae import DmlvaeError
from dmlvae.core import graphs, train
from dmlvae.core.config import RunConfig


def three_clusters(seed=0, n=40):
    """Three Gaussian blobs close enough that an 8-NN graph of them is connected (Poisson learning needs that)."""
    rng = np.random.default_rng(seed)
    centres = np.array([[0, 0], [4, 0], [0, 4]])
    x = np.concatenate([c + rng.normal(size=(n, 2)) for c in centres])
    return x, np.repeat(np.arange(3), n)


def hand_poisson(W, labelled, y_labelled, k):
    """Poisson learning by hand (Calder et al. 2020, eq. 9): L u = sum_j (e_{y_j} - mean_j e_{y_j}) delta_j with
    L = D - W, the solution fixed by sum_i d_i u_i = 0, solved densely."""
    W = W.toarray()
    d = W.sum(1)
    L = np.diag(d) - W
    onehot = np.eye(k)[y_labelled]
    b = np.zeros((len(W), k))
    b[labelled] = onehot - onehot.mean(0)
    u = np.linalg.lstsq(L, b, rcond=None)[0]
    return u - (d @ u) / d.sum()


def test_poisson_solver_agrees_with_a_dense_hand_solution():
    import graphlearning as gl

    x, y = three_clusters()
    W = graphs.knn_weights(x, 8)
    assert sp.csgraph.connected_components(W)[0] == 1
    labelled = np.array([0, 1, 45, 90, 100])
    u_gl = gl.ssl.poisson(W, tol=1e-8).fit(labelled, y[labelled])
    u_hand = hand_poisson(W, labelled, y[labelled], 3)
    assert np.allclose(u_gl, u_hand, atol=1e-6 * np.abs(u_hand).max())
    assert (
        graphs.infer(W, labelled, y[labelled], 3, "poisson", "none")[np.setdiff1d(np.arange(120), labelled)]
        == u_hand.argmax(1)[np.setdiff1d(np.arange(120), labelled)]
    ).all()


def test_knn_weights_are_graphlearnings_gaussian_kernel_by_hand():
    x, _ = three_clusters(n=10)
    W = graphs.knn_weights(x, 3).toarray()
    D = ((x[:, None] - x[None]) ** 2).sum(-1)
    ref = np.zeros_like(D)
    for i in range(len(x)):
        order = np.argsort(D[i])[:4]  # itself and its 3 nearest
        for j in order[1:]:
            ref[i, j] = np.exp(-4 * D[i, j] / D[i, order[-1]])
    ref = (ref + ref.T) / 2
    assert np.allclose(W, ref)


@pytest.mark.parametrize("method,priors", [("poisson-mbo", "uniform"), ("poisson", "none"), ("poisson", "labelled")])
def test_inference_finds_clusters_and_keeps_the_given_labels(method, priors):
    x, y = three_clusters()
    W = graphs.knn_weights(x, 8)
    labelled = np.array([3, 50, 97])
    pred = graphs.infer(W, labelled, y[labelled], 3, method, priors)
    assert np.mean(pred == y) > 0.9
    swapped = graphs.infer(W, labelled, np.array([1, 2, 0]), 3, method, priors)  # given labels are kept
    assert list(swapped[labelled]) == [1, 2, 0] and np.mean(swapped == (y + 1) % 3) > 0.9


def test_a_class_without_labels_is_never_predicted_and_the_rest_still_are():
    x, y = three_clusters()
    W = graphs.knn_weights(x, 8)
    labelled = np.array([3, 4, 95, 96])  # classes 0 and 2 only
    pred = graphs.infer(W, labelled, y[labelled], 3, "poisson-mbo", "uniform")
    assert set(pred) == {0, 2}
    assert np.mean(pred[y == 0] == 0) > 0.9 and np.mean(pred[y == 2] == 2) > 0.9


def test_labelled_priors_are_the_labelled_counts_plus_one():
    p = graphs.class_priors("labelled", np.array([0, 0, 0, 2]), 4)
    assert np.allclose(p, np.array([4, 1, 2, 1]) / 8)
    assert np.allclose(graphs.class_priors("uniform", np.array([0]), 4), 0.25)
    assert graphs.class_priors("none", np.array([0]), 4) is None


def test_bad_graph_settings_name_the_value_and_the_allowed_ones():
    with pytest.raises(DmlvaeError, match="graph_method 'poisson-mbo' needs class priors"):
        RunConfig(model="vae_graph", graph_priors="none")
    with pytest.raises(DmlvaeError, match="'laplace'.*poisson-mbo, poisson"):
        RunConfig(model="vae_graph", graph_method="laplace")
    with pytest.raises(DmlvaeError, match="vae_graph with vae-graph"):
        RunConfig(model="vae_graph", routine="joint")
    with pytest.raises(DmlvaeError, match="vae_hidden"):
        RunConfig(model="vae_graph", vae_hidden="")


# each contender of the graph grid and its levers (issue 35), as the cell's fields that differ from the default
CONTENDERS = {
    "vae latents, uniform priors": {},
    "labelled priors": {"graph_priors": "labelled"},
    "umap": {"graph_embedding": "umap", "graph_umap_neighbors": 10, "graph_umap_dim": 3},
    "self-training": {"graph_rounds": 2},
    "conv vae": {"vae_net": "conv"},
}


@pytest.mark.parametrize("fields", CONTENDERS.values(), ids=CONTENDERS)
def test_vae_graph_reads_only_the_labelled_labels(fields):
    cfg = RunConfig(model="vae_graph", **fakes.VAE_GRAPH, **fields)
    a, b = fakes.fitted(cfg), fakes.fitted(cfg, fakes.scramble_unlabelled)
    assert a.graph["z_train"].shape[1] == (cfg.graph_umap_dim if cfg.graph_embedding == "umap" else cfg.vae_lsdim)
    assert np.array_equal(a.graph["labels"], b.graph["labels"])
    for (n, p), (_, q) in zip(a.state_dict().items(), b.state_dict().items()):
        assert torch.equal(p, q), n


def test_vae_graph_run_records_its_parts_and_inferred_labels_beat_the_labelled_vae_alone():
    r = train.run(RunConfig(model="vae_graph", **{**fakes.VAE_GRAPH, "vae_epochs": 20}))
    first = r["history"][0]
    assert {"vae_seconds", "vae_cached", "graph_seconds"} <= set(first)
    assert 0 < r["pseudo_label_acc"][0] <= 1
    own = r["own_classifier"]
    assert own["inferred-knn-vae"]["knn_acc"] > own["vae-labelled-to-test"]["knn_acc"]


def test_umap_is_fitted_on_the_training_latents_and_places_new_ones_by_their_cluster():
    rng = np.random.default_rng(1)
    y = np.repeat(np.arange(3), 60)
    x = np.array([[0, 0], [10, 0], [0, 10]])[y] + rng.normal(size=(180, 2))  # three blobs far apart
    pick = rng.permutation(len(x))
    train_, new = pick[:150], pick[150:]
    feats, place = graphs.embedding("umap", x[train_], neighbours=15, dim=2, seed=0)
    assert feats.shape == (150, 2) and feats.dtype == np.float32
    again, _ = graphs.embedding("umap", x[train_], neighbours=15, dim=2, seed=0)
    np.testing.assert_array_equal(feats, again)  # seeded: repeatable
    placed = place(x[new])
    nearest = ((placed[:, None] - feats[None]) ** 2).sum(-1).argmin(1)
    assert np.mean(y[train_][nearest] == y[new]) > 0.95
    same, ident = graphs.embedding("vae", x[train_])
    np.testing.assert_array_equal(same, x[train_].astype(np.float32))
    np.testing.assert_array_equal(ident(x[new]), x[new].astype(np.float32))
    with pytest.raises(DmlvaeError, match="'pca'.*vae, umap"):
        graphs.embedding("pca", x)


def test_a_second_round_infers_the_labels_again_over_the_first_rounds_dml_latents():
    cfg = RunConfig(model="vae_graph", **fakes.VAE_GRAPH)
    once, twice = fakes.fitted(cfg), fakes.fitted(cfg.replace(graph_rounds=2))
    ds, x, y, labelled, _, _ = train.prepare(cfg)
    lab = labelled.numpy()
    z = once.embed(x)
    W = graphs.connect_components(graphs.knn_weights(z, cfg.graph_k), z)
    by_hand = graphs.infer(W, lab, y[labelled].numpy(), ds.n_classes, "poisson-mbo")
    assert len(twice.pseudo_label_history) == 2
    np.testing.assert_array_equal(twice.pseudo_label_history[0], once.pseudo_label_history[0])
    np.testing.assert_array_equal(twice.pseudo_label_history[1], by_hand)
    np.testing.assert_array_equal(twice.graph["labels"], by_hand)
    assert not np.array_equal(twice.embed(x), once.embed(x))  # a second round of DML was trained


def test_components_are_joined_by_their_nearest_pair_with_the_weakest_kernel_weight():
    import scipy.sparse as sp

    rng = np.random.default_rng(0)
    x = np.concatenate(
        [rng.normal(size=(20, 2)), rng.normal(size=(12, 2)) + [30, 0], rng.normal(size=(5, 2)) + [0, 50]]
    )
    W = graphs.knn_weights(x, 4)
    assert sp.csgraph.connected_components(W)[0] == 3
    J = graphs.connect_components(W, x)
    assert sp.csgraph.connected_components(J)[0] == 1
    added = (J - W).tocoo()
    pairs = {tuple(sorted(p)) for p in zip(added.row, added.col)}
    assert len(pairs) == 2 and np.allclose(added.data, np.exp(-4))
    D = ((x[:, None] - x[None]) ** 2).sum(-1)

    def closest(a, b):  # the nearest pair between index sets a and b, by brute force
        i, j = np.unravel_index(D[np.ix_(a, b)].argmin(), (len(a), len(b)))
        return tuple(sorted((a[i], b[j])))

    first, second, third = np.arange(20), np.arange(20, 32), np.arange(32, 37)
    # the smallest blob (5 points) first, to its nearest node; then the 12-point blob to the rest
    assert pairs == {closest(third, np.arange(32)), closest(second, np.concatenate([first, third]))}
    same = graphs.connect_components(graphs.knn_weights(x[:20], 4), x[:20])
    assert (same != graphs.knn_weights(x[:20], 4)).nnz == 0  # a connected graph is left as it is
