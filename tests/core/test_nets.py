"""The networks (dmlvae.core.nets): the reparameterised sample, the heads, and the MLP and conv bodies, against hand
computations."""

import math

import numpy as np
import pytest
import torch

from dmlvae.core.nets import Decoder, Encoder, GaussianHead


def test_sampled_z_has_the_variance_exp_logvar():
    """z = mu + exp(logvar / 2) eps: with logvar = log 4 the samples' sd is 2 (exp(logvar) eps would give 4)."""
    head = GaussianHead(1, 1)
    with torch.no_grad():
        head.mu.weight.zero_()
        head.mu.bias.fill_(3.0)
        head.logvar.weight.zero_()
        head.logvar.bias.fill_(float(np.log(4.0)))
    torch.manual_seed(0)
    z = head(torch.zeros(200_000, 1), sample=True).z.detach()
    assert float(z.mean()) == pytest.approx(3.0, abs=0.02) and float(z.std()) == pytest.approx(2.0, abs=0.02)
    assert torch.equal(head(torch.zeros(5, 1), sample=False).z, torch.full((5, 1), 3.0))


def test_sampled_z_is_mu_plus_sd_times_the_same_noise():
    """Per coordinate z = mu + exp(logvar / 2) eps with the eps torch draws: recomputed by hand from that noise."""
    head = GaussianHead(3, 2)
    h = torch.randn(4, 3, generator=torch.Generator().manual_seed(1))
    torch.manual_seed(5)
    with torch.no_grad():
        e = head(h, sample=True)
    torch.manual_seed(5)
    eps = torch.randn_like(e.mu)
    with torch.no_grad():
        mu, logvar = h @ head.mu.weight.T + head.mu.bias, h @ head.logvar.weight.T + head.logvar.bias
    for i in range(4):
        for d in range(2):
            want = float(mu[i, d]) + math.exp(float(logvar[i, d]) / 2) * float(eps[i, d])
            assert float(e.z[i, d]) == pytest.approx(want, rel=1e-6, abs=1e-6)


@pytest.mark.parametrize("gaussian", [False, True])
def test_encoder_samples_only_in_training_mode(gaussian):
    enc = Encoder((1, 8, 8), 3, hidden=(16,), gaussian=gaussian)
    x = torch.rand(5, 1, 8, 8)
    enc.eval()
    e = enc(x)
    assert torch.equal(e.z, e.mu) and (e.logvar is not None) == gaussian
    enc.train()
    e = enc(x)
    assert torch.equal(e.z, e.mu) != gaussian  # a point encoder has nothing to sample


def test_mlp_encoder_is_the_hand_forward_pass():
    """Flatten, Linear+ReLU per hidden width, then the linear head: the same numbers by hand."""
    enc = Encoder((1, 4, 4), 2, hidden=(5, 3))
    x = torch.rand(6, 1, 4, 4)
    h = x.reshape(6, -1).numpy().astype(np.float64)
    linears = [m for m in enc.body.modules() if isinstance(m, torch.nn.Linear)] + [enc.head.linear]
    for j, lin in enumerate(linears):
        h = h @ lin.weight.detach().numpy().T.astype(np.float64) + lin.bias.detach().numpy()
        if j < len(linears) - 1:
            h = np.maximum(h, 0)
    assert np.allclose(enc(x).z.detach().numpy(), h, atol=1e-5)
    assert [lin.out_features for lin in linears] == [5, 3, 2]


@pytest.mark.parametrize("net", ["mlp", "conv"])
def test_decoder_mirrors_the_encoder_and_outputs_pixels_in_0_1(net):
    enc, dec = Encoder((1, 28, 28), 4, net=net, hidden=(32, 16)), Decoder((1, 28, 28), 4, net=net, hidden=(32, 16))
    out = dec(enc(torch.rand(3, 1, 28, 28)).z).detach()
    assert out.shape == (3, 1, 28, 28) and float(out.min()) >= 0 and float(out.max()) <= 1
    if net == "mlp":  # the decoder's widths are the encoder's reversed
        widths = [m.out_features for m in dec.net.modules() if isinstance(m, torch.nn.Linear)]
        assert widths == [16, 32, 784]
    with pytest.raises(ValueError, match="divisible by 4"):
        Decoder((1, 30, 30), 4, net="conv")
