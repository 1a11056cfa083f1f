"""The plain VAE of model vae_graph (dmlvae.core.vae): its loss by hand, its cache."""

import numpy as np
import pytest
import torch

from dmlvae.core import vae


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
        vae.cache_key(x, 2, (16,), 2, 0, net="conv"),
    }
    assert len(keys) == 7
    assert vae.cache_key(x, 2, (16,), 2, 0) == vae.cache_key(x, 2, (16,), 2, 0, net="mlp")
    (tmp_path / "vae" / f"{vae.cache_key(x, 2, (16,), 2, 0)}.pt").write_bytes(b"damaged")
    _, info3 = vae.encoder(x, 2, (16,), 2, seed=0)  # a damaged entry is trained again, not an error
    assert not info3["vae_cached"]


@pytest.mark.parametrize("net", ["mlp", "conv"])
def test_vae_loss_is_bernoulli_nll_plus_the_closed_form_kl_by_hand(net):
    torch.manual_seed(0)
    from dmlvae.core.nets import Decoder, Encoder

    enc, dec = Encoder((1, 4, 4), 2, net, (8,), gaussian=True), Decoder((1, 4, 4), 2, net, (8,))
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


def test_the_conv_vae_trains_convolutions_and_is_cached_apart_from_the_mlp_one(tmp_path, monkeypatch):
    monkeypatch.setenv("DMLVAE_CACHE", str(tmp_path))
    x = torch.rand(64, 1, 8, 8)
    conv, _ = vae.encoder(x, 2, (16,), 2, seed=0, net="conv")
    mlp, _ = vae.encoder(x, 2, (16,), 2, seed=0)
    assert any(isinstance(m, torch.nn.Conv2d) for m in conv.modules())
    assert not any(isinstance(m, torch.nn.Conv2d) for m in mlp.modules())
    again, info = vae.encoder(x, 2, (16,), 2, seed=0, net="conv")  # read back from its own cache entry
    assert info["vae_cached"] and np.array_equal(vae.embed(conv, x), vae.embed(again, x))
    assert len(list((tmp_path / "vae").glob("*.pt"))) == 2
