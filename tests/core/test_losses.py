"""Each loss and KL term against an independent reference: brute-force loops, closed forms,
pytorch-metric-learning (test-only dependency) with matching settings."""

import itertools
import math

import numpy as np
import pytest
import torch
from pytorch_metric_learning import losses as pml_losses
from pytorch_metric_learning import miners as pml_miners
from pytorch_metric_learning.distances import LpDistance
from pytorch_metric_learning.reducers import MeanReducer

from dmlvae.core import losses, models
from dmlvae.core.config import RunConfig
from dmlvae.core.losses import decoded_path_length, geodesic_triplet_terms
from dmlvae.core.nets import Decoder

EUCLIDEAN = LpDistance(normalize_embeddings=False, p=2)  # dmlvae does not normalise embeddings


@pytest.fixture(autouse=True)
def _float64():
    """References are compared to 1e-10, not to float32 noise."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


def batch(n=24, d=5, classes=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=g), torch.randint(classes, (n,), generator=g)


def dist(z, i, j):
    return math.sqrt(sum((float(z[i, k]) - float(z[j, k])) ** 2 for k in range(z.shape[1])))


# ----------------------------------------------------------------------------------------- triplet
def triplet_all_loop(z, y, margin):
    vals = []
    for a, p, n in itertools.permutations(range(len(y)), 3):
        if y[a] == y[p] and y[a] != y[n]:
            vals.append(max(0.0, dist(z, a, p) - dist(z, a, n) + margin))
    return sum(vals) / len(vals)


def triplet_hard_loop(z, y, margin):
    vals = []
    for a in range(len(y)):
        dp = [dist(z, a, p) for p in range(len(y)) if p != a and y[p] == y[a]]
        dn = [dist(z, a, n) for n in range(len(y)) if y[n] != y[a]]
        if dp and dn:
            vals.append(max(0.0, max(dp) - min(dn) + margin))
    return sum(vals) / len(vals)


def triplet_semihard_loop(z, y, margin):
    vals = []
    for a in range(len(y)):
        negs = [dist(z, a, n) for n in range(len(y)) if y[n] != y[a]]
        if not negs:
            continue
        for p in range(len(y)):
            if p == a or y[p] != y[a]:
                continue
            dap = dist(z, a, p)
            farther = [d for d in negs if d > dap]
            dan = min(farther) if farther else max(negs)
            vals.append(max(0.0, dap - dan + margin))
    return sum(vals) / len(vals)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("margin", [0.2, 1.0])
def test_triplet_all_matches_loop(seed, margin):
    z, y = batch(seed=seed)
    assert losses.triplet_loss(z, y, margin, "all").item() == pytest.approx(triplet_all_loop(z, y, margin), rel=1e-9)


@pytest.mark.parametrize("scale", [0.1, 1.0])
@pytest.mark.parametrize("margin", [0.05, 0.2, 0.5, 1.0, 2.0, 5.0])
@pytest.mark.parametrize("mining", ["all", "semihard"])
def test_triplet_large_margins_match_loop(scale, margin, mining):
    """Margins larger than every distance: a non-negative must never be counted as a negative."""
    z, y = batch(seed=3)
    z = z * scale
    loop = triplet_all_loop if mining == "all" else triplet_semihard_loop
    got = losses.triplet_terms(z, y, margin, mining)
    assert got[0].item() == pytest.approx(loop(z, y, margin), rel=1e-9)
    if mining == "all":  # every triplet is active once the margin exceeds every distance
        d = losses.pairwise_distances(z)
        if margin > float(d.max()):
            assert got[1] == pytest.approx(1.0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_triplet_hard_matches_loop(seed):
    z, y = batch(seed=seed)
    assert losses.triplet_loss(z, y, 0.5, "hard").item() == pytest.approx(triplet_hard_loop(z, y, 0.5), rel=1e-9)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_triplet_semihard_matches_loop(seed):
    z, y = batch(seed=seed)
    got = losses.triplet_loss(z, y, 0.5, "semihard").item()
    assert got == pytest.approx(triplet_semihard_loop(z, y, 0.5), rel=1e-9)


@pytest.mark.parametrize("seed", [0, 1])
def test_triplet_all_matches_pytorch_metric_learning(seed):
    z, y = batch(n=40, seed=seed)
    ref = pml_losses.TripletMarginLoss(
        margin=0.2, triplets_per_anchor="all", reducer=MeanReducer(), distance=EUCLIDEAN
    )(z, y)
    assert losses.triplet_loss(z, y, 0.2, "all").item() == pytest.approx(ref.item(), rel=1e-6)


@pytest.mark.parametrize("seed", [0, 1])
def test_triplet_hard_matches_pml_batch_hard_miner(seed):
    z, y = batch(n=40, seed=seed)
    mined = pml_miners.BatchHardMiner(distance=EUCLIDEAN)(z, y)
    ref = pml_losses.TripletMarginLoss(margin=0.2, reducer=MeanReducer(), distance=EUCLIDEAN)(z, y, mined)
    assert losses.triplet_loss(z, y, 0.2, "hard").item() == pytest.approx(ref.item(), rel=1e-6)


def test_triplet_gradients_finite_with_duplicate_samples():
    z, y = batch(n=6)
    z = z[torch.tensor([0, 0, 1, 1, 2, 3, 3, 4])].clone().requires_grad_()  # labelled batch drawn with replacement
    y = y[torch.tensor([0, 0, 1, 1, 2, 3, 3, 4])]
    for mining in ("all", "hard", "semihard"):
        z.grad = None
        losses.triplet_loss(z, y, 0.2, mining).backward()
        assert torch.isfinite(z.grad).all()


def test_triplet_without_negatives_is_zero_with_grad():
    z = torch.randn(5, 3, requires_grad=True)
    loss = losses.triplet_loss(z, torch.zeros(5, dtype=torch.long))
    loss.backward()
    assert loss.item() == 0.0 and z.grad is not None


def test_active_fraction_counts_positive_triplets():
    z, y = batch()
    loss, frac = losses.triplet_terms(z, y, 0.2, "all")
    d = losses.pairwise_distances(z)
    count = total = 0
    for a, p, n in itertools.permutations(range(len(y)), 3):
        if y[a] == y[p] and y[a] != y[n]:
            total += 1
            count += float(d[a, p] - d[a, n] + 0.2) > 0
    assert frac == pytest.approx(count / total)


# ------------------------------------------------------------------------------------------ SupCon
def supcon_loop(z, y, t):
    u = [row / math.sqrt(sum(float(v) ** 2 for v in row)) for row in z]
    s = lambda i, j: float(sum(u[i][k] * u[j][k] for k in range(len(u[i])))) / t  # noqa: E731
    vals = []
    for i in range(len(y)):
        pos = [p for p in range(len(y)) if p != i and y[p] == y[i]]
        if not pos:
            continue
        denom = sum(math.exp(s(i, a)) for a in range(len(y)) if a != i)
        vals.append(-sum(math.log(math.exp(s(i, p)) / denom) for p in pos) / len(pos))
    return sum(vals) / len(vals)


@pytest.mark.parametrize("t", [0.1, 0.5])
def test_supcon_matches_loop_and_pml(t):
    z, y = batch(n=20, classes=5, seed=3)
    y[0] = 99  # an anchor without positives is left out
    got = losses.supcon_loss(z, y, t).item()
    assert got == pytest.approx(supcon_loop(z, y, t), rel=1e-9)
    ref = pml_losses.SupConLoss(temperature=t)(z, y)  # default reducer: mean over anchors with positives
    assert got == pytest.approx(ref.item(), rel=1e-6)


# ------------------------------------------------------------------------------------------ center
def test_center_loss_matches_loop():
    z, y = batch()
    centers = torch.randn(4, 5)
    ref = sum(
        0.5 * sum((float(z[i, k]) - float(centers[y[i], k])) ** 2 for k in range(5)) for i in range(len(y))
    ) / len(y)
    assert losses.center_loss(z, y, centers).item() == pytest.approx(ref, rel=1e-12)


def test_center_loss_module_is_softmax_ce_plus_weighted_centres_loop():
    """Wen et al. (2016): mean softmax cross-entropy of a linear classifier + weight * centre term, by hand."""
    z, y = batch()
    m = losses.CenterLoss(4, 5, weight=0.3)
    W, b, C = m.classifier.weight.tolist(), m.classifier.bias.tolist(), m.centers.tolist()
    total = 0.0
    for i in range(len(y)):
        zi = z[i].tolist()
        logits = [sum(W[k][j] * zi[j] for j in range(5)) + b[k] for k in range(4)]
        ce = math.log(sum(math.exp(v) for v in logits)) - logits[int(y[i])]
        centre = 0.5 * sum((zi[j] - C[int(y[i])][j]) ** 2 for j in range(5))
        total += ce + 0.3 * centre
    assert m(z, y).item() == pytest.approx(total / len(y), rel=1e-10)


# --------------------------------------------------------------------------------------------- KL
def gaussian_batch(n=64, d=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=g), torch.randn(n, d, generator=g) * 0.5


def test_kl_unit_gaussian_closed_form_loop():
    mu, logvar = gaussian_batch()
    ref = np.mean(
        [
            sum(0.5 * (m**2 + math.exp(lv) - 1 - lv) for m, lv in zip(mr.tolist(), lr.tolist()))
            for mr, lr in zip(mu, logvar)
        ]
    )
    assert losses.kl_unit_gaussian(mu, logvar).item() == pytest.approx(ref, rel=1e-12)


def test_kl_unit_gaussian_vs_monte_carlo():
    mu, logvar = gaussian_batch(n=8)
    g = torch.Generator().manual_seed(1)
    z = mu + torch.exp(0.5 * logvar) * torch.randn(20000, *mu.shape, generator=g)
    mc = (losses.log_normal_diag(z, mu, logvar) - losses.log_normal_diag(z, torch.zeros_like(z), 0.0)).mean()
    assert mc.item() == pytest.approx(losses.kl_unit_gaussian(mu, logvar).item(), rel=0.01)


def test_gmm_mc_one_component_at_zero_equals_unit_kl():
    mu, logvar = gaussian_batch(n=8)
    g = torch.Generator().manual_seed(2)
    z = mu + torch.exp(0.5 * logvar) * torch.randn(20000, *mu.shape, generator=g)
    mc = losses.kl_gmm_mc(z, mu, logvar, torch.zeros(1, 3), 0.0)
    assert mc.item() == pytest.approx(losses.kl_unit_gaussian(mu, logvar).item(), rel=0.01)
    # and with a single sample per input it is exactly log q - log N(0, I), no noise from the mixture code
    exact = (losses.log_normal_diag(z[0], mu, logvar) - losses.log_normal_diag(z[0], 0 * z[0], 0.0)).mean()
    assert losses.kl_gmm_mc(z[0], mu, logvar, torch.zeros(1, 3), 0.0).item() == pytest.approx(exact.item(), rel=1e-9)


def log_mixture_loop(z, means, logvar):
    out = []
    for row in z.tolist():
        comps = []
        for m in means.tolist():
            comps.append(
                sum(-0.5 * (math.log(2 * math.pi) + logvar + (a - b) ** 2 / math.exp(logvar)) for a, b in zip(row, m))
            )
        top = max(comps)
        out.append(top + math.log(sum(math.exp(c - top) for c in comps)) - math.log(len(comps)))
    return out


@pytest.mark.parametrize("logvar", [0.0, 1.0, -1.5])
def test_log_mixture_matches_loop_on_hypercube(logvar):
    from dmlvae.core.priors import hypercube_means

    means = torch.as_tensor(hypercube_means(3), dtype=torch.float64)
    assert means.shape == (8, 3) and set(means.flatten().tolist()) == {-1.0, 1.0}
    z = torch.randn(10, 3) * 2
    got = losses.log_mixture(z, means, logvar)
    np.testing.assert_allclose(got.numpy(), log_mixture_loop(z, means, logvar), rtol=1e-10)


def test_log_mixture_per_component_variances_and_weights():
    g = torch.Generator().manual_seed(5)
    means, lv, z = torch.randn(4, 2, generator=g), torch.randn(4, 2, generator=g), torch.randn(7, 2, generator=g)
    w = torch.tensor([0.1, 0.2, 0.3, 0.4])
    ref = []
    for row in z:
        p = sum(float(w[k]) * math.exp(float(losses.log_normal_diag(row, means[k], lv[k]))) for k in range(4))
        ref.append(math.log(p))
    np.testing.assert_allclose(losses.log_mixture(z, means, lv, torch.log(w)).numpy(), ref, rtol=1e-10)


def test_gmm_mc_is_mean_of_log_q_minus_log_p():
    from dmlvae.core.priors import hypercube_means

    mu, logvar = gaussian_batch(n=6)
    z = mu + torch.exp(0.5 * logvar) * torch.randn(6, 3)
    means = torch.as_tensor(hypercube_means(3), dtype=torch.float64)
    ref = np.mean(
        [
            float(losses.log_normal_diag(z[i], mu[i], logvar[i])) - log_mixture_loop(z[i : i + 1], means, 1.0)[0]
            for i in range(6)
        ]
    )
    assert losses.kl_gmm_mc(z, mu, logvar, means, 1.0).item() == pytest.approx(ref, rel=1e-10)


def algorithm4_literal(z, mu, logvar, means, logvar_prior):
    """The paper's Algorithm 4 line by line, one sample at a time: sigma is the log-variance and divides as
    exp(sigma); the prior mean passed is the mixture component nearest to z (our documented reading);
    returns Q(z | mu_p, sigma_p) - P(z | mu, sigma), averaged over the batch."""
    out = []
    for i in range(len(z)):
        zi = [float(v) for v in z[i]]
        dists = [sum((a - float(b)) ** 2 for a, b in zip(zi, m)) for m in means]
        mu_p = [float(v) for v in means[dists.index(min(dists))]]
        P = -0.5 * sum((a - float(m)) ** 2 / math.exp(float(s)) for a, m, s in zip(zi, mu[i], logvar[i]))
        Q = -0.5 * sum((a - m) ** 2 / math.exp(logvar_prior) for a, m in zip(zi, mu_p))
        out.append(Q - P)
    return sum(out) / len(out)


@pytest.mark.parametrize("lsdim", [2, 3])
def test_paper_variant_is_algorithm4_as_printed(lsdim):
    from dmlvae.core.priors import hypercube_means

    mu, logvar = gaussian_batch(n=7, d=lsdim)
    z = mu + torch.exp(0.5 * logvar) * torch.randn(7, lsdim)
    means = torch.as_tensor(hypercube_means(lsdim), dtype=torch.float64)
    for lv_p in (1.0, -0.5):
        got = losses.kl_gmm_mc(z, mu, logvar, means, lv_p, variant="paper").item()
        assert got == pytest.approx(algorithm4_literal(z, mu, logvar, means, lv_p), rel=1e-12)


def test_paper_variant_posterior_term_has_no_gradient_and_pushes_z_away():
    """Read literally, P(z | mu, sigma) = -eps^2 / 2 for the reparameterised z: no gradient reaches mu or
    sigma through it, and minimising Q - P moves z away from the prior mean."""
    mu = torch.tensor([[0.5, 0.3], [-0.2, 0.8]], requires_grad=True)
    logvar = torch.tensor([[0.1, -0.3], [0.4, 0.0]], requires_grad=True)
    eps = torch.tensor([[0.7, -1.1], [0.2, 0.5]])
    z = mu + torch.exp(0.5 * logvar) * eps
    means = torch.tensor([[1.0, 1.0], [-1.0, 1.0], [1.0, -1.0], [-1.0, -1.0]])
    log_q = -0.5 * ((z - mu).pow(2) / torch.exp(logvar)).sum(-1)
    assert torch.allclose(log_q, -0.5 * eps.pow(2).sum(-1))
    g_mu, g_lv = torch.autograd.grad(log_q.sum(), (mu, logvar))
    assert g_mu.abs().max() < 1e-12 and g_lv.abs().max() < 1e-12
    # one gradient step on the paper's quantity: every z moves farther from its nearest component
    zz = z.detach().clone().requires_grad_(True)
    loss = losses.kl_gmm_paper(zz, mu.detach(), logvar.detach(), means, 1.0)
    (g,) = torch.autograd.grad(loss, zz)
    before = torch.cdist(zz.detach(), means).min(1).values
    after = torch.cdist(zz.detach() - 0.01 * g, means).min(1).values
    assert (after > before).all()
    # the correct estimator pulls them in instead
    loss = losses.kl_gmm_mc(zz, mu.detach(), logvar.detach(), means, 1.0)
    (g,) = torch.autograd.grad(loss, zz)
    assert (torch.cdist(zz.detach() - 0.01 * g, means).min(1).values < before).any()


DIGITS = dict(dataset="digits", epochs=2, lsdim=8, hidden=(64,), batch_size=128, device="cpu")


# ------------------------------------------------------------------------------------------ geodesic distance
def test_decoded_path_length_equals_the_scaled_euclidean_distance_for_a_linear_decoder():
    torch.manual_seed(0)
    q, _ = torch.linalg.qr(torch.randn(784, 6, dtype=torch.float64))  # orthonormal columns
    scale = 3.5
    a, b = torch.randn(20, 6, dtype=torch.float64), torch.randn(20, 6, dtype=torch.float64)
    for T_ in (1, 4, 16):
        got = decoded_path_length(lambda z: scale * z @ q.T + 0.3, a, b, T_)
        torch.testing.assert_close(got, scale * (b - a).norm(dim=1))


def test_decoded_path_length_is_never_below_the_endpoints_distance_and_grows_with_refinement():
    torch.manual_seed(1)
    dec = Decoder((1, 28, 28), 5, "mlp", (32, 64)).double()
    a, b = torch.randn(50, 5, dtype=torch.float64) * 2, torch.randn(50, 5, dtype=torch.float64) * 2
    with torch.no_grad():
        chord = (dec(b) - dec(a)).flatten(1).norm(dim=1)
        lengths = [decoded_path_length(dec, a, b, T_) for T_ in (1, 2, 4, 8)]
    torch.testing.assert_close(lengths[0], chord)
    for short, fine in zip(lengths[:-1], lengths[1:]):  # halving each segment: triangle inequality
        assert (fine >= short - 1e-12).all()
    assert (lengths[-1] > chord + 1e-6).any()  # a curved decoder: strictly longer somewhere


def test_geodesic_triplet_loss_against_a_loop():
    torch.manual_seed(2)
    dec = Decoder((1, 8, 8), 3, "mlp", (16,)).double()
    z = torch.randn(24, 3, dtype=torch.float64)
    y = torch.randint(0, 3, (24,))
    got, frac = geodesic_triplet_terms(z, y, dec, margin=0.5, segments=4)
    losses = []
    for a in range(24):
        pos = [p for p in range(24) if p != a and y[p] == y[a]]
        neg = [n for n in range(24) if y[n] != y[a]]
        if not pos or not neg:
            continue
        p = max(pos, key=lambda j: (z[a] - z[j]).norm())
        n = min(neg, key=lambda j: (z[a] - z[j]).norm())
        length = lambda j: decoded_path_length(dec, z[a : a + 1], z[j : j + 1], 4)[0]  # noqa: E731
        losses.append(torch.relu(length(p) - length(n) + 0.5))
    ref = torch.stack(losses)
    torch.testing.assert_close(got, ref.mean())
    assert frac == pytest.approx(float((ref > 0).double().mean()))


def test_geodesic_loss_moves_the_latents_not_the_decoder():
    cfg = RunConfig(**{**DIGITS, "model": "dml_autoencoder", "distance": "geodesic", "mining": "hard"})
    model = models.build(cfg, (1, 8, 8), 10)
    x, y = torch.rand(64, 1, 8, 8), torch.arange(64) % 4
    model.supervised_terms(x, y)["metric"].backward()
    assert all(p.grad is None for p in model.decoder.parameters())
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.encoder.parameters())


# ------------------------------------------------- edges and defaults (the mutants that survived the tests above)
def test_pairwise_distances_are_exact_for_near_identical_rows_in_a_large_batch():
    """40 rows 1e-3 apart around 100: the Gram-matrix shortcut (cdist's default beyond 25 rows) is off by ~0.1."""
    g = torch.Generator().manual_seed(0)
    z = 100 + 1e-3 * torch.randn(40, 5, generator=g)
    ref = torch.tensor([[dist(z, i, j) for j in range(40)] for i in range(40)])
    assert (losses.pairwise_distances(z) - ref).abs().max() < 1e-5


def test_the_losses_defaults_are_the_documented_run_defaults():
    import inspect

    cfg = RunConfig()
    default = lambda f, name: inspect.signature(f).parameters[name].default  # noqa: E731
    for f in (losses.triplet_terms, losses.triplet_loss, losses.TripletLoss, losses.geodesic_triplet_terms):
        assert default(f, "margin") == cfg.margin
    for f in (losses.triplet_terms, losses.triplet_loss, losses.TripletLoss):
        assert default(f, "mining") == cfg.mining
    assert default(losses.supcon_loss, "temperature") == default(losses.SupConLoss, "temperature") == cfg.temperature
    assert default(losses.CenterLoss, "weight") == cfg.center_weight
    for f in (losses.decoded_path_length, losses.geodesic_triplet_terms):
        assert default(f, "segments") == cfg.geodesic_segments
    z, y = batch()
    assert losses.triplet_loss(z, y).item() == pytest.approx(triplet_all_loop(z, y, cfg.margin), rel=1e-6)
    t = losses.TripletLoss()
    t(z, y)
    assert t.last_active_fraction == losses.triplet_terms(z, y, cfg.margin, cfg.mining)[1]
    assert math.isnan(losses.TripletLoss().last_active_fraction)  # nothing measured before a batch


def test_unknown_mining_and_kl_variant_are_one_error_naming_the_allowed():
    z, y = batch()
    with pytest.raises(ValueError, match=r"unknown mining 'nope'; allowed: all, hard, semihard"):
        losses.triplet_terms(z, y, mining="nope")
    with pytest.raises(ValueError, match=r"unknown variant 'nope'; allowed: correct, paper"):
        losses.kl_gmm_mc(z, z, z, z[:2], 0.0, variant="nope")


@pytest.mark.parametrize("mining", ["hard", "semihard"])
def test_active_fraction_of_hard_and_semihard_mining_by_hand(mining):
    """Two classes on a line, 0 1 | 3 10: with margin 1.5, hard mining's four anchors have losses
    relu(1 - 3 + 1.5) = 0, relu(1 - 2 + 1.5) = 0.5, relu(7 - 2 + 1.5) = 6.5, relu(7 - 9 + 1.5) = 0: 2 of 4 active,
    the zeros not counted."""
    z = torch.tensor([[0.0], [1.0], [3.0], [10.0]])
    y = torch.tensor([0, 0, 1, 1])
    loss, frac = losses.triplet_terms(z, y, margin=1.5, mining=mining)
    if mining == "hard":
        assert loss.item() == pytest.approx((0.0 + 0.5 + 6.5 + 0.0) / 4) and frac == pytest.approx(2 / 4)
    else:  # semihard: the nearest negative farther than the positive, else the farthest negative
        # anchor 0 (p=1, d=1): negatives at 3, 10 -> 3 -> relu(1-3+1.5)=0; anchor 1 (p=0, d=1): negs 2, 9 -> 2 ->
        # 0.5; anchor 2 (p=3, d=7): negs 3, 2 -> none farther than 7, the farthest 3 -> 5.5; anchor 3 (p=2, d=7):
        # negs 10, 9 -> 9 -> 0
        assert loss.item() == pytest.approx((0.0 + 0.5 + 5.5 + 0.0) / 4) and frac == pytest.approx(2 / 4)


def test_semihard_takes_a_negative_exactly_as_far_as_the_positive_as_not_farther():
    """A negative at exactly d(a, p) is not 'farther than the positive': the next one is chosen."""
    z = torch.tensor([[0.0], [2.0], [-2.0], [5.0]])
    y = torch.tensor([0, 0, 1, 1])
    loss, _ = losses.triplet_terms(z, y, margin=0.5, mining="semihard")
    # anchor 0: p at 2, negatives at 2 (tie) and 5 -> 5: relu(2 - 5 + 0.5) = 0; anchor 1: p at 2, negatives at 4, 3
    # -> 3: 0; anchor 2: p at 7, negatives 2, 4 -> none farther, the farthest 4: 3.5; anchor 3: p 7, negatives 5, 3
    # -> the farthest 5: 2.5
    assert loss.item() == pytest.approx((0.0 + 0.0 + 3.5 + 2.5) / 4)


def test_supcon_with_a_one_positive_anchor_and_without_positives():
    z, y = batch(n=12, classes=6, seed=5)
    y = torch.tensor([0, 0, 1, 1, 1, 2, 2, 2, 2, 3, 4, 5])  # class 0: each anchor has exactly one positive
    assert losses.supcon_loss(z, y, 0.5).item() == pytest.approx(supcon_loop(z, y, 0.5), rel=1e-9)
    zg = z.clone().requires_grad_()
    zero = losses.supcon_loss(zg, torch.arange(12), 0.5)  # every label distinct: no anchor has a positive
    assert zero.item() == 0.0 and zero.requires_grad


def test_geodesic_triplet_without_a_positive_or_negative_is_zero_with_grad():
    torch.manual_seed(0)
    dec = Decoder((1, 8, 8), 3, "mlp", (16,)).double()
    z = torch.randn(6, 3, dtype=torch.float64, requires_grad=True)
    for y in (torch.arange(6), torch.zeros(6, dtype=torch.long)):  # no positives; no negatives
        loss, frac = geodesic_triplet_terms(z, y, dec)
        assert loss.item() == 0.0 and loss.requires_grad and math.isnan(frac)
    # one class of two, the others alone: only anchors with both a positive and a negative count
    y = torch.tensor([0, 0, 1, 2, 3, 4])
    got, _ = geodesic_triplet_terms(z, y, dec, margin=0.5, segments=2)
    length = lambda a, b: decoded_path_length(dec, z[a : a + 1], z[b : b + 1], 2)[0]  # noqa: E731
    want = []
    for a, p in ((0, 1), (1, 0)):
        n = min((j for j in range(6) if y[j] != y[a]), key=lambda j: (z[a] - z[j]).norm())
        want.append(torch.relu(length(a, p) - length(a, n) + 0.5))
    torch.testing.assert_close(got, torch.stack(want).mean())


def test_log_mixture_with_one_log_variance_per_component_matches_a_loop():
    g = torch.Generator().manual_seed(1)
    z = torch.randn(5, 3, generator=g, dtype=torch.float64)
    means = torch.randn(4, 3, generator=g, dtype=torch.float64)
    lv = torch.tensor([0.3, -0.7, 1.1, 0.0], dtype=torch.float64)  # (K,): one per component
    got = losses.log_mixture(z, means, lv)
    for i in range(5):
        terms = [
            sum(-0.5 * (math.log(2 * math.pi) + float(lv[k]) + (float(z[i, d] - means[k, d])) ** 2 / math.exp(lv[k]))
                for d in range(3))
            for k in range(4)
        ]  # fmt: skip
        m = max(terms)
        assert float(got[i]) == pytest.approx(m + math.log(sum(math.exp(t - m) for t in terms)) - math.log(4))


def test_kl_mixture_mc_uses_the_mixture_weights():
    g = torch.Generator().manual_seed(2)
    mu, logvar = torch.randn(6, 2, generator=g, dtype=torch.float64), 0.1 * torch.randn(6, 2, generator=g)
    z = mu + torch.exp(0.5 * logvar) * torch.randn(6, 2, generator=g, dtype=torch.float64)
    means = torch.tensor([[1.0, 1.0], [-1.0, -1.0]], dtype=torch.float64)
    w = torch.log(torch.tensor([0.9, 0.1], dtype=torch.float64))
    got = losses.kl_mixture_mc(z, mu, logvar, means, 0.0, w)
    want = (losses.log_normal_diag(z, mu, logvar) - losses.log_mixture(z, means, 0.0, w)).mean()
    equal = losses.kl_mixture_mc(z, mu, logvar, means, 0.0)
    torch.testing.assert_close(got, want)
    assert abs(float(got - equal)) > 1e-3  # the weights matter here


def test_the_paper_kl_on_several_samples_per_input_is_the_mean_of_each_samples():
    """z of shape (S, B, D): the same as the mean over the S draws of shape (B, D), each summed over D."""
    from dmlvae.core.priors import hypercube_means

    mu, logvar = gaussian_batch(n=5, d=2)
    z = mu + torch.exp(0.5 * logvar) * torch.randn(3, 5, 2, dtype=torch.float64)
    means = torch.as_tensor(hypercube_means(2), dtype=torch.float64)
    for lv_p in (1.0, torch.tensor([0.5, 1.0, -0.5, 0.0], dtype=torch.float64)):
        got = losses.kl_gmm_paper(z, mu, logvar, means, lv_p)
        each = torch.stack([losses.kl_gmm_paper(z[s], mu, logvar, means, lv_p) for s in range(3)]).mean()
        torch.testing.assert_close(got, each)


# ------------------------------------ second round: defaults by behaviour, float64 exactness, singleton classes
# (mutmut keeps each function's signature on its trampoline, so a default is checked by calling without it)
def test_calling_without_the_optional_arguments_is_calling_with_the_documented_defaults():
    cfg = RunConfig()
    z, y = batch(16, 3, 3, seed=5)
    torch.testing.assert_close(losses.triplet_terms(z, y)[0], losses.triplet_terms(z, y, cfg.margin, cfg.mining)[0])
    torch.testing.assert_close(losses.supcon_loss(z, y), losses.supcon_loss(z, y, cfg.temperature))
    assert losses.CenterLoss(3, 3).weight == cfg.center_weight
    nonlinear = torch.nn.Sequential(torch.nn.Linear(3, 7), torch.nn.Tanh(), torch.nn.Linear(7, 5))
    a, b = z[:4], z[4:8]  # a curved decoder: the length depends on the number of segments
    assert not torch.allclose(decoded_path_length(nonlinear, a, b, 8), decoded_path_length(nonlinear, a, b, 9))
    torch.testing.assert_close(
        decoded_path_length(nonlinear, a, b), decoded_path_length(nonlinear, a, b, cfg.geodesic_segments)
    )
    torch.testing.assert_close(
        geodesic_triplet_terms(z, y, nonlinear)[0],
        geodesic_triplet_terms(z, y, nonlinear, cfg.margin, cfg.geodesic_segments)[0],
    )


@pytest.mark.parametrize("mining", ["hard", "semihard", "all"])
def test_the_triplet_module_passes_its_mining_on(mining):
    z, y = batch(20, 3, 3, seed=6)
    module = losses.TripletLoss(margin=0.3, mining=mining)
    torch.testing.assert_close(module(z, y), losses.triplet_terms(z, y, 0.3, mining)[0])
    assert module.last_active_fraction == losses.triplet_terms(z, y, 0.3, mining)[1]


def test_hard_mining_skips_an_anchor_whose_class_has_no_other_member():
    z, y = batch(12, 3, 3, seed=7)
    y[0] = 9  # a class of one: no positive for it, so no triplet has it as anchor
    loss, _ = losses.triplet_terms(z, y, 0.2, "hard")
    assert float(loss) == pytest.approx(triplet_hard_loop(z, y, 0.2), abs=1e-12)


def test_the_geodesic_active_fraction_counts_only_triplets_with_a_positive_loss():
    z = torch.tensor([[0.0, 0.0], [0.1, 0.0], [5.0, 0.0], [5.1, 0.0], [0.0, 0.3], [5.0, 0.3]])
    y = torch.tensor([0, 0, 1, 1, 0, 1])
    identity = torch.nn.Identity()  # lengths are Euclidean: every far negative satisfies the margin
    loss, active = geodesic_triplet_terms(z, y, identity, margin=0.2)
    assert float(loss) == 0.0 and active == 0.0
    # per anchor, d(nearest negative) - d(farthest positive): 4.70, 4.58, 4.60, 4.68, 4.68, 4.59
    loss, active = geodesic_triplet_terms(z, y, identity, margin=4.65)
    assert active == pytest.approx(3 / 6) and float(loss) > 0


def _log_normal_loop(x, mu, lv: float) -> list[float]:
    """log N(x_i; mu_i, exp(lv) I) row by row, in Python floats."""
    return [
        sum(
            -0.5 * (math.log(2 * math.pi) + lv + (float(x[i, k]) - float(mu[i, k])) ** 2 * math.exp(-lv))
            for k in range(x.shape[1])
        )
        for i in range(x.shape[0])
    ]


def test_log_densities_keep_float64_python_float_log_variances_exact():
    """A Python-float log-variance is taken in the latents' dtype: rounding it to float32 moves a float64 density
    by ~1e-8, far above float64 noise."""
    g = torch.Generator().manual_seed(3)
    x, mu = torch.randn(5, 4, generator=g), torch.randn(5, 4, generator=g)
    lv = 0.1
    ref = _log_normal_loop(x, mu, lv)
    np.testing.assert_allclose(losses.log_normal_diag(x, mu, lv).numpy(), ref, rtol=1e-14, atol=1e-14)
    means = torch.randn(3, 4, generator=g)
    mix = [
        math.log(
            sum(
                math.exp(r) / 3
                for r in (float(losses.log_normal_diag(x[i], means[k], torch.tensor(lv))) for k in range(3))
            )
        )
        for i in range(5)
    ]
    np.testing.assert_allclose(losses.log_mixture(x, means, lv).numpy(), mix, rtol=1e-13, atol=1e-13)
    logvar = 0.05 * torch.randn(5, 4, generator=g)
    z = mu + torch.exp(0.5 * logvar) * torch.randn(5, 4, generator=g)
    nearest = means[torch.cdist(z, means).argmin(1)]
    q = -0.5 * ((z - mu) ** 2 / torch.exp(logvar)).sum(1)
    p = -0.5 * ((z - nearest) ** 2).sum(1) / math.exp(lv)
    assert float(losses.kl_gmm_paper(z, mu, logvar, means, lv)) == pytest.approx(float((p - q).mean()), abs=1e-13)


def test_the_paper_kl_with_a_log_variance_per_component_and_dimension_uses_the_nearest_components_row():
    g = torch.Generator().manual_seed(4)
    means = torch.tensor([[-1.0, -1.0], [1.0, 1.0], [1.0, -1.0]])
    lv_prior = torch.tensor([[0.0, 0.5], [1.0, -0.5], [0.3, 0.3]])
    mu = torch.randn(6, 2, generator=g)
    logvar = 0.1 * torch.randn(6, 2, generator=g)
    z = mu + torch.exp(0.5 * logvar) * torch.randn(6, 2, generator=g)
    k = torch.cdist(z, means).argmin(1)
    q = -0.5 * ((z - mu) ** 2 / torch.exp(logvar)).sum(1)
    p = -0.5 * ((z - means[k]) ** 2 / torch.exp(lv_prior[k])).sum(1)
    torch.testing.assert_close(losses.kl_gmm_paper(z, mu, logvar, means, lv_prior), (p - q).mean())


def test_float64_latents_stay_float64_exact_when_torchs_default_dtype_is_float32():
    """What a run does: float64 latents (the float64 checks) while torch's default dtype is float32. A Python-float
    log-variance or path grid taken in the default dtype would be rounded to float32 (~1e-8 off)."""
    torch.set_default_dtype(torch.float32)  # the autouse fixture restores float64 for the other tests
    g = torch.Generator().manual_seed(8)
    x = torch.randn(4, 3, generator=g, dtype=torch.float64)
    mu = torch.randn(4, 3, generator=g, dtype=torch.float64)
    lv = 0.1
    ref = _log_normal_loop(x, mu, lv)
    np.testing.assert_allclose(losses.log_normal_diag(x, mu, lv).numpy(), ref, rtol=1e-14, atol=1e-14)
    means = torch.randn(2, 3, generator=g, dtype=torch.float64)
    lv64 = torch.tensor(lv, dtype=torch.float64)
    ref_mix = torch.logsumexp(torch.stack([losses.log_normal_diag(x, m, lv64) for m in means]), dim=0) - math.log(2)
    torch.testing.assert_close(losses.log_mixture(x, means, lv), ref_mix, rtol=1e-14, atol=1e-14)
    nearest = means[torch.cdist(x, means).argmin(1)]
    logvar = torch.zeros_like(x)
    ref_paper = (-0.5 * ((x - nearest) ** 2).sum(1) / math.exp(lv) + 0.5 * ((x - mu) ** 2).sum(1)).mean()
    torch.testing.assert_close(losses.kl_gmm_paper(x, mu, logvar, means, lv), ref_paper, rtol=1e-14, atol=1e-14)
    from dmlvae.core import priors

    cube = torch.as_tensor(priors.hypercube_means(3), dtype=torch.float64)
    torch.testing.assert_close(
        priors.hypercube_factor_log_prob(x, lv), losses.log_mixture(x, cube, lv64), rtol=1e-13, atol=1e-13
    )
    curve = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh()).double()
    a, b = x[:2], x[2:]
    t = torch.linspace(0.0, 1.0, 8, dtype=torch.float64)[:, None, None]  # k / 7: not exact in float32
    points = curve(a[None] + t * (b - a)[None])
    ref_len = (points[1:] - points[:-1]).norm(dim=-1).sum(0)
    torch.testing.assert_close(decoded_path_length(curve, a, b, 7), ref_len, rtol=1e-14, atol=1e-14)
