"""The priors (dmlvae.core.priors) against closed forms, loops and scikit-learn."""

import math

import numpy as np
import pytest
import torch

from dmlvae.core import losses, priors
from dmlvae.core.nets import Encoder


def test_fitted_gmm_log_prob_matches_sklearn():
    from sklearn.mixture import GaussianMixture

    rng = np.random.default_rng(0)
    z = np.concatenate([rng.normal(-2, 0.5, (200, 2)), rng.normal(2, 1.0, (100, 2))]).astype(np.float32)
    p = priors.fitted_gmm(z, 2, seed=0)
    ref = GaussianMixture(2, covariance_type="diag", random_state=0, reg_covar=1e-4).fit(z).score_samples(z)
    np.testing.assert_allclose(p.log_prob(torch.as_tensor(z)).numpy(), ref, rtol=1e-4, atol=1e-4)


def test_vampprior_kl_is_mc_kl_to_the_encoded_pseudo_inputs():
    torch.manual_seed(0)
    enc = Encoder((1, 8, 8), 3, hidden=(16,), gaussian=True)
    vp = priors.VampPrior(enc, torch.rand(5, 1, 8, 8))
    x = torch.rand(4, 1, 8, 8)
    e = enc(x, sample=True)
    with torch.no_grad():
        kl = vp.kl(e).item()
        pe = enc(torch.sigmoid(vp.pseudo_logits), sample=False)
        ref = []
        for i in range(4):
            log_q = losses.log_normal_diag(e.z[i], e.mu[i], e.logvar[i]).item()
            comps = [losses.log_normal_diag(e.z[i], pe.mu[k], pe.logvar[k]).item() for k in range(5)]
            log_p = math.log(sum(math.exp(c) for c in comps) / 5)
            ref.append(log_q - log_p)
    assert kl == pytest.approx(float(np.mean(ref)), rel=1e-4)
    assert len(list(vp.parameters())) == 1  # only the pseudo-inputs: the encoder is not registered twice


def test_unit_prior_kl_is_the_closed_form_loop():
    e = Encoder((1, 8, 8), 2, hidden=(8,), gaussian=True)(torch.rand(3, 1, 8, 8))
    ref = np.mean(
        [
            sum(0.5 * (m * m + math.exp(lv) - 1 - lv) for m, lv in zip(mr, lr))
            for mr, lr in zip(e.mu.tolist(), e.logvar.tolist())
        ]
    )
    assert priors.UnitGaussianPrior().kl(e).item() == pytest.approx(ref, rel=1e-5)


def test_hypercube_gmm_factorises_into_1d_pairs():
    """The 2^d-component hypercube GMM equals a product of d independent pairs 1/2 N(-1, s^2) + 1/2 N(+1, s^2)."""
    z = torch.randn(50, 3, dtype=torch.float64) * 2
    for logvar in (1.0, 0.0, -1.5):
        gmm = priors.hypercube_gmm(3, logvar)
        means = gmm.means.double()
        np.testing.assert_allclose(
            priors.hypercube_factor_log_prob(z, logvar).numpy(),
            losses.log_mixture(z, means, logvar).numpy(),
            rtol=1e-10,
        )


@pytest.mark.parametrize("logvar,modes", [(1.0, 1), (0.5, 1), (0.0, 1), (-0.1, 2), (-1.0, 2), (-3.0, 2)])
def test_pair_modes_matches_closed_form(logvar, modes):
    """Two equal Gaussians at -1 and +1 with sd s: one mode iff s >= 1; the paper's logvar 1 gives s = 1.65."""
    assert priors.pair_modes(logvar) == modes
    assert (math.exp(0.5 * logvar) >= 1) == (modes == 1)


def test_paper_kl_at_the_centre_is_its_closed_form():
    """Algorithm 4 as printed, for latents at the hypercube's centre with a vanishing posterior variance, against
    lsdim / 2 * (1 - exp(-logvar)): the value the stored kl="paper" runs end at."""
    from dmlvae.core import priors

    for lsdim, lv in ((2, 1.0), (4, 0.0), (3, -1.0)):
        mu = torch.zeros(200_000, lsdim, dtype=torch.float64)
        logvar = torch.full_like(mu, -30.0)  # a vanishing posterior variance
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        means = torch.as_tensor(priors.hypercube_means(lsdim), dtype=torch.float64)
        got = losses.kl_gmm_paper(z, mu, logvar, means, lv).item()
        assert got == pytest.approx(priors.paper_kl_at_centre(lsdim, lv), abs=0.01), (lsdim, lv)


# ------------------------------------------------- edges and defaults (the mutants that survived the tests above)
def test_the_priors_defaults_are_the_documented_run_defaults():
    import inspect

    from dmlvae.core.config import RunConfig

    cfg = RunConfig()
    for f in (priors.hypercube_gmm, priors.hypercube_factor_log_prob, priors.paper_kl_at_centre):
        assert inspect.signature(f).parameters["logvar"].default == cfg.gmm_logvar
    assert inspect.signature(priors.hypercube_gmm).parameters["variant"].default == cfg.kl == "correct"
    assert priors.MixturePrior([[0.0]], 0.0).variant == "correct"


def test_the_hypercube_prior_keeps_its_variant_log_variance_and_float32_buffers():
    gmm = priors.hypercube_gmm(2, 0.5, variant="paper")
    assert gmm.variant == "paper" and float(gmm.logvars) == 0.5
    assert gmm.means.dtype == gmm.logvars.dtype == torch.float32 and priors.hypercube_means(2).dtype == np.float32
    g = torch.Generator().manual_seed(0)
    mu, logvar = torch.randn(6, 2, generator=g), 0.1 * torch.randn(6, 2, generator=g)
    z = mu + torch.exp(0.5 * logvar) * torch.randn(6, 2, generator=g)
    from dmlvae.core.nets import Encoding

    enc = Encoding(z, mu, logvar)
    means = torch.as_tensor(priors.hypercube_means(2))
    torch.testing.assert_close(gmm.kl(enc), losses.kl_gmm_paper(z, mu, logvar, means, 0.5))
    correct = priors.hypercube_gmm(2, 0.5)
    torch.testing.assert_close(correct.kl(enc), losses.kl_mixture_mc(z, mu, logvar, means, 0.5))
    w = priors.MixturePrior(means, 0.5, np.log([0.7, 0.1, 0.1, 0.1]))
    assert w.log_weights.dtype == torch.float32 and w.kl(enc).dtype == torch.float32


def test_the_hypercube_prior_stops_at_its_largest_lsdim_with_one_clear_error():
    assert len(priors.hypercube_means(3)) == 8
    biggest = priors.MAX_HYPERCUBE_LSDIM
    with pytest.raises(ValueError, match=rf"2\^lsdim components; lsdim {biggest + 1} > {biggest}"):
        priors.hypercube_gmm(biggest + 1)
    import unittest.mock as mock

    with mock.patch.object(priors, "hypercube_means", lambda d: np.zeros((1, d), np.float32)):
        assert priors.hypercube_gmm(biggest).means.shape == (1, biggest)  # the largest itself is allowed


def test_fitted_gmm_is_seeded():
    g = np.random.default_rng(0)
    z = np.r_[g.normal(0, 1, (60, 2)), g.normal(1.5, 1, (60, 2))].astype(np.float32)  # overlapping: init matters
    a, b = priors.fitted_gmm(z, 3), priors.fitted_gmm(z, 3, seed=0)
    torch.testing.assert_close(a.means, b.means)
    from sklearn.mixture import GaussianMixture

    ref = GaussianMixture(3, covariance_type="diag", random_state=0, reg_covar=1e-4).fit(z)
    np.testing.assert_allclose(a.means.numpy(), ref.means_.astype(np.float32), rtol=1e-6)


def test_vamp_prior_pseudo_inputs_start_at_the_images_and_are_deterministic():
    enc = Encoder((1, 8, 8), 3, hidden=(16,), gaussian=True)
    images = torch.rand(4, 1, 8, 8)
    images[0, 0, 0, 0], images[1, 0, 0, 0] = 0.0, 1.0  # the ends of [0, 1]: clamped to 1e-3 and 1 - 1e-3
    vamp = priors.VampPrior(enc, images)
    back = torch.sigmoid(vamp.pseudo_logits.detach())
    assert torch.isfinite(vamp.pseudo_logits).all()
    torch.testing.assert_close(back, images.clamp(1e-3, 1 - 1e-3), atol=1e-6, rtol=0)
    (m1, v1), (m2, v2) = vamp.components(), vamp.components()
    assert torch.equal(m1, m2) and torch.equal(v1, v2)  # the components are the posteriors' means, not samples


# ------------------------------------ second round: defaults by behaviour, buffer dtypes, weights, several samples
# (mutmut keeps each function's signature on its trampoline, so a default is checked by calling without it)
def test_calling_without_the_optional_arguments_is_calling_with_the_documented_defaults():
    from dmlvae.core.config import RunConfig

    cfg = RunConfig()
    gmm = priors.hypercube_gmm(2)
    assert float(gmm.logvars) == cfg.gmm_logvar and gmm.variant == cfg.kl
    z = torch.randn(5, 3, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(priors.hypercube_factor_log_prob(z), priors.hypercube_factor_log_prob(z, cfg.gmm_logvar))
    assert priors.paper_kl_at_centre(3) == priors.paper_kl_at_centre(3, cfg.gmm_logvar)


def test_mixture_buffers_are_float32_whatever_the_input_dtype():
    prior = priors.MixturePrior([[0.0, 1.0], [1.0, 0.0]], np.array([0.5, 0.25]), [math.log(0.3), math.log(0.7)])
    assert prior.means.dtype == prior.logvars.dtype == prior.log_weights.dtype == torch.float32


def test_the_mixture_priors_kl_and_log_prob_use_its_weights():
    from dmlvae.core.nets import Encoding

    g = torch.Generator().manual_seed(1)
    means = torch.tensor([[-1.0, 0.0], [1.0, 0.0]])
    weights = torch.tensor([0.9, 0.1])
    prior = priors.MixturePrior(means, 0.0, weights.log())
    mu, logvar = torch.randn(8, 2, generator=g), 0.1 * torch.randn(8, 2, generator=g)
    z = mu + torch.exp(0.5 * logvar) * torch.randn(8, 2, generator=g)
    ref_p = torch.log(sum(w * torch.exp(losses.log_normal_diag(z, m, 0.0)) for w, m in zip(weights, means)))
    torch.testing.assert_close(prior.log_prob(z), ref_p)
    ref_kl = (losses.log_normal_diag(z, mu, logvar) - ref_p).mean()
    torch.testing.assert_close(prior.kl(Encoding(z, mu, logvar)), ref_kl)


def test_the_factorised_hypercube_density_on_several_samples_per_input():
    z = torch.randn(3, 4, 2, generator=torch.Generator().manual_seed(2))  # (samples, batch, lsdim)
    means = torch.as_tensor(priors.hypercube_means(2))
    torch.testing.assert_close(priors.hypercube_factor_log_prob(z, 0.3), losses.log_mixture(z, means, 0.3))


def test_the_vamp_priors_components_draw_no_random_numbers():
    """The components are the posteriors' means and log-variances at the pseudo-inputs; computing them must not
    sample (which would consume the global generator and change every later draw of a seeded run)."""
    enc = Encoder((1, 8, 8), 3, hidden=(16,), gaussian=True)  # a fresh module: in training mode
    vamp = priors.VampPrior(enc, torch.rand(4, 1, 8, 8))
    torch.manual_seed(0)
    vamp.components()
    after = torch.rand(3)
    torch.manual_seed(0)
    torch.testing.assert_close(after, torch.rand(3))
