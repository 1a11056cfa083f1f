"""Graph label inference (dmlvae.core.graphs, graphlearning), the VAE it runs on (dmlvae.core.vae) and model
vae_graph."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from dmlvae import DmlvaeError
from dmlvae.core import graphs, routines, train, vae
from dmlvae.core.config import RunConfig
from dmlvae.core.models import build

FAST = dict(
    dataset="digits",
    pl_pct=5,
    epochs=2,
    vae_epochs=3,
    hidden=(32,),
    batch_size=64,
    test_subset=300,
    protocol="labelled-to-test",
)


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


def test_graph_and_vae_fields_enter_only_vae_graphs_key():
    assert RunConfig(model="dml", graph_k=30, vae_epochs=5).key() == RunConfig(model="dml").key()
    base = RunConfig(model="vae_graph")
    for change in (
        {"graph_k": 30},
        {"vae_epochs": 5},
        {"graph_method": "poisson", "graph_priors": "none"},
        {"vae_hidden": (100,)},
    ):
        assert RunConfig(model="vae_graph", **change).key() != base.key(), change


def fitted(cfg, y_change=None):
    ds, x, y, labelled, _, _ = train.prepare(cfg)
    if y_change is not None:
        y = y_change(y, labelled)
    torch.manual_seed(cfg.seed)
    model = build(cfg, ds.image_shape, ds.n_classes)
    routines.fit(model, x, y, labelled, cfg, n_classes=ds.n_classes)
    return model


def scramble_unlabelled(y, labelled):
    y = y.clone()
    rest = np.setdiff1d(np.arange(len(y)), labelled.numpy())
    y[rest] = torch.as_tensor(np.random.default_rng(1).permutation(y[rest].numpy())) + 100
    return y


def test_vae_graph_reads_only_the_labelled_labels():
    cfg = RunConfig(model="vae_graph", **FAST)
    a, b = fitted(cfg), fitted(cfg, scramble_unlabelled)
    assert np.array_equal(a.graph["labels"], b.graph["labels"])
    for (n, p), (_, q) in zip(a.state_dict().items(), b.state_dict().items()):
        assert torch.equal(p, q), n


def test_own_classifier_reads_only_the_labelled_training_labels():
    cfg = RunConfig(model="vae_graph", **FAST)
    ds, x, y, labelled, x_te, y_te = train.prepare(cfg)
    model = fitted(cfg)
    z_tr, z_te = model.embed(x), model.embed(x_te)
    args = (model, x_te, y_te, z_tr, z_te, labelled.numpy())
    a = train.own_classifier(*args, y.numpy(), 0)
    b = train.own_classifier(*args, scramble_unlabelled(y, labelled).numpy(), 0)
    assert a == b and set(a) == {"inferred-knn", "inferred-knn-vae", "vae-labelled-to-test"}


def test_vae_graph_run_records_its_parts_and_inferred_labels_beat_the_labelled_vae_alone():
    r = train.run(RunConfig(model="vae_graph", **{**FAST, "vae_epochs": 20}))
    first = r["history"][0]
    assert {"vae_seconds", "vae_cached", "graph_seconds"} <= set(first)
    assert 0 < r["pseudo_label_acc"][0] <= 1
    own = r["own_classifier"]
    assert own["inferred-knn-vae"]["knn_acc"] > own["vae-labelled-to-test"]["knn_acc"]


def test_vae_cache_reuses_the_same_encoder_and_keys_every_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("DMLVAE_CACHE", str(tmp_path))
    x = torch.rand(64, 1, 8, 8)
    enc, info = vae.encoder(x, 2, (16,), 2, seed=0)
    again, info2 = vae.encoder(x, 2, (16,), 2, seed=0)
    assert not info["vae_cached"] and info2["vae_cached"] and info2["vae_seconds"] == info["vae_seconds"]
    assert np.array_equal(vae.embed(enc, x), vae.embed(again, x))
    keys = {
        vae.cache_key(x, 2, (16,), 2, 0),
        vae.cache_key(x, 3, (16,), 2, 0),
        vae.cache_key(x, 2, (8,), 2, 0),
        vae.cache_key(x, 2, (16,), 3, 0),
        vae.cache_key(x, 2, (16,), 2, 1),
        vae.cache_key(x * 0.5, 2, (16,), 2, 0),
    }
    assert len(keys) == 6
    (tmp_path / "vae" / f"{vae.cache_key(x, 2, (16,), 2, 0)}.pt").write_bytes(b"damaged")
    _, info3 = vae.encoder(x, 2, (16,), 2, seed=0)  # a damaged entry is trained again, not an error
    assert not info3["vae_cached"]


def test_vae_loss_is_bernoulli_nll_plus_the_closed_form_kl_by_hand():
    torch.manual_seed(0)
    from dmlvae.core.nets import Decoder, Encoder

    enc, dec = Encoder((1, 4, 4), 2, "mlp", (8,), gaussian=True), Decoder((1, 4, 4), 2, "mlp", (8,))
    x = torch.rand(5, 1, 4, 4)
    torch.manual_seed(1)
    got = vae.loss(enc, dec, x)
    torch.manual_seed(1)
    with torch.no_grad():
        e = enc(x)
        p = dec(e.z)
    total = 0.0
    for i in range(5):
        nll = -sum(
            float(
                x[i].flatten()[j] * torch.log(p[i].flatten()[j])
                + (1 - x[i].flatten()[j]) * torch.log(1 - p[i].flatten()[j])
            )
            for j in range(16)
        )
        kl = sum(0.5 * float(e.mu[i, d] ** 2 + e.logvar[i, d].exp() - 1 - e.logvar[i, d]) for d in range(2))
        total += nll + kl
    assert abs(got.item() - total / 5) < 1e-4


def test_graph_grid_reuses_the_beyond_cells_and_counts_its_labels():
    from dmlvae.core.data import n_labelled
    from dmlvae.experiments import grids

    cells = grids.cells("graph")
    assert {n_labelled(60000, c["pl_pct"]) for c in cells} == {10, 60}
    assert {(c["dataset"], n_labelled(60000, c["pl_pct"]), c["policy"]) for c in cells} == {
        ("mnist", 60, "uniform"),
        ("mnist", 60, "stratified"),
        ("mnist", 10, "stratified"),
        ("fashion-mnist", 60, "uniform"),
        ("fashion-mnist", 60, "stratified"),
    }
    beyond_keys = {RunConfig(**c).key() for c in grids.cells("beyond")}
    dml60 = [c for c in cells if c["model"] == "dml" and c["policy"] == "uniform" and c["dataset"] == "mnist"]
    assert dml60 and all(RunConfig(**c).key() in beyond_keys for c in dml60)
    assert [grids.graph_contender(RunConfig(**c)) for c in grids.cells("graph", contenders="vae-poisson")][
        0
    ] == "VAE + Poisson learning + DML"
    with pytest.raises(DmlvaeError, match="'vae'.*vae-poisson-mbo"):
        grids.cells("graph", contenders="vae")
