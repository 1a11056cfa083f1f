"""One run end to end (dmlvae.core.train): its seeds, its history, the labels it may read, its splits."""

import fakes
import numpy as np
import pytest
import torch

from dmlvae.core import data, train
from dmlvae.core import train as T
from dmlvae.core.config import RunConfig
from dmlvae.core.train import run

FAST = dict(dataset="digits", epochs=2, lsdim=4, batch_size=128, n_pseudo=32, hidden=(64, 32))


def test_history_shows_embedding_norm_and_active_triplets():
    r = run(RunConfig(model="dml_gmm_prior", pl_pct=10, **FAST))
    for row in r["history"]:
        assert row["embedding_norm"] > 0
    sup = [row for row in r["history"] if row["phase"] == "supervised"]
    assert sup and 0.0 <= sup[0]["active_triplets"] <= 1.0
    assert [row["phase"] for row in r["history"]] == ["supervised", "unsupervised"]


def test_same_seed_same_numbers_on_cpu():
    cfg = RunConfig(model="mvae", routine="alternating-batch", pl_pct=1, device="cpu", **FAST)
    a, b = run(cfg), run(cfg)
    np.testing.assert_array_equal(a["z_test"], b["z_test"])
    assert a["metrics"] == b["metrics"]
    c = run(cfg.replace(seed=1))
    assert not np.array_equal(a["z_test"], c["z_test"])


@pytest.mark.parametrize(
    "model,routine",
    [
        ("dml", "supervised"),
        ("dml_autoencoder", "alternating-epoch"),
        ("dml_autoencoder", "alternating-batch"),
        ("mvae", "joint"),
        ("mvae", "dml-then-gmm"),
        ("dml_gmm_prior", "alternating-epoch"),
    ],
)
def test_labels_outside_the_labelled_subset_are_never_read(model, routine, monkeypatch):
    """Scrambling every label outside the labelled subset leaves every latent bit-identical; scrambling the
    labelled ones does not (so the test can fail)."""
    import dmlvae.core.train as T

    cfg = RunConfig(model=model, routine=routine, pl_pct=5, dml_epochs=1 if routine == "dml-then-gmm" else None, **FAST)
    base = T.run(cfg)["z_test"]
    original = T.prepare

    def scrambled(inside):
        def prep(c):
            ds, x, y, lab, xt, yt = original(c)
            mask = torch.zeros(len(y), dtype=torch.bool)
            mask[lab] = True
            if not inside:
                mask = ~mask
            idx = torch.nonzero(mask).flatten()
            y = y.clone()
            y[idx] = (y[idx] + 1 + torch.randint(9, (len(idx),), generator=torch.Generator().manual_seed(5))) % 10
            return ds, x, y, lab, xt, yt

        return prep

    monkeypatch.setattr(T, "prepare", scrambled(inside=False))
    np.testing.assert_array_equal(base, T.run(cfg)["z_test"])
    monkeypatch.setattr(T, "prepare", scrambled(inside=True))
    assert not np.array_equal(base, T.run(cfg)["z_test"])


def test_own_classifier_reads_only_the_labelled_training_labels():
    cfg = RunConfig(model="vae_graph", **fakes.VAE_GRAPH)
    ds, x, y, labelled, x_te, y_te = train.prepare(cfg)
    model = fakes.fitted(cfg)
    z_tr, z_te = model.embed(x), model.embed(x_te)
    args = (model, x_te, y_te, z_tr, z_te, labelled.numpy())
    a = train.own_classifier(*args, y.numpy(), 0)
    b = train.own_classifier(*args, fakes.scramble_unlabelled(y, labelled).numpy(), 0)
    assert a == b and set(a) == {"inferred-knn", "inferred-knn-vae", "vae-labelled-to-test"}


DIGITS = dict(dataset="digits", epochs=2, lsdim=8, hidden=(64,), batch_size=128, device="cpu")


# ------------------------------------------------------------------------------------------ validation split
def test_validation_split_is_held_out_and_replaces_the_test_split(monkeypatch):
    ds = data.load("digits")
    _, y_full = ds.split("train")
    cfg = RunConfig(**{**DIGITS, "pl_pct": 10, "validation": 300})
    keep, lab = T.training_indices(y_full, cfg)
    val = T.validation_indices(y_full, 300)
    assert len(val) == 300 and not set(val) & set(keep) and len(keep) == len(y_full) - 300
    assert len(lab) == data.n_labelled(len(y_full), 10)  # as many labels as without validation
    # the class proportions of the validation images follow the training split's (stratified)
    np.testing.assert_allclose(np.bincount(y_full[val]) / 300, np.bincount(y_full) / len(y_full), atol=0.01)
    real_split = data.Dataset.split

    def no_test(self, name):
        assert name != "test", "the test split was read"
        return real_split(self, name)

    monkeypatch.setattr(data.Dataset, "split", no_test)
    r = T.run(cfg.replace(epochs=1))
    assert r["n_test"] == 300 and r["n_train"] == len(y_full) - 300


def test_a_transductive_graph_sees_the_test_images_but_never_their_labels(monkeypatch):
    import dmlvae.core.train as T

    cfg = RunConfig(model="vae_graph", **fakes.VAE_GRAPH, graph_nodes="train+test")
    base = T.run(cfg)
    n_train, n_test = base["n_train"], base["n_test"]
    original = T.prepare

    def scrambled(c):  # every label but the labelled training images' changed, the test split's included
        ds, x, y, lab, xt, yt = original(c)
        return ds, x, fakes.scramble_unlabelled(y, lab), lab, xt, (np.asarray(yt) + 3) % 10

    monkeypatch.setattr(T, "prepare", scrambled)
    again = T.run(cfg)
    np.testing.assert_array_equal(base["z_test"], again["z_test"])
    # scored: the training images' inferred labels, and the anchors' way over every unlabelled node
    acc = base["transductive_acc"][0]
    assert 0 < acc <= 1 and again["transductive_acc"][0] != acc  # the score reads the (scrambled) test labels
    assert len(base["pseudo_label_acc"]) == 1 and n_test > 0 and n_train > 0
    inductive = T.run(cfg.replace(graph_nodes="train"))
    assert "transductive_acc" not in inductive and not np.array_equal(inductive["z_test"], base["z_test"])
