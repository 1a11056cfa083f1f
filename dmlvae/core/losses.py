"""Metric losses (triplet, supervised contrastive, center) and KL terms (analytic, Monte-Carlo, paper).

Conventions: ``z`` is a (B, D) batch of embeddings and ``y`` its (B,) integer labels. Distances are
Euclidean and embeddings are not normalised (SupCon normalises, as Khosla et al. do). A batch with no
valid pair or triplet gives a zero loss that still depends on ``z`` (so ``backward`` works).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

LOG_2PI = math.log(2.0 * math.pi)


def _zero(z: torch.Tensor) -> torch.Tensor:
    return z.sum() * 0.0


def pairwise_distances(z: torch.Tensor) -> torch.Tensor:
    """Euclidean distances from exact differences (not the Gram-matrix shortcut, which makes identical rows
    slightly apart); the gradient at distance 0 is 0, not NaN."""
    return torch.cdist(z, z, compute_mode="donot_use_mm_for_euclid_dist")


def _masks(y: torch.Tensor):
    same = y[:, None] == y[None, :]
    eye = torch.eye(len(y), dtype=torch.bool, device=y.device)
    return same & ~eye, ~same


def _sorted_negatives(d: torch.Tensor, neg: torch.Tensor):
    """Per anchor, distances to its negatives sorted ascending (non-negatives set to +inf, past every
    threshold d(a,p) + margin whatever the margin), the number of negatives, and prefix sums with a leading 0.
    Only the first c <= (number of negatives) prefix sums are ever read, so the infinities never reach a loss
    or a gradient."""
    sorted_neg = d.masked_fill(~neg, float("inf")).sort(dim=1).values
    prefix = F.pad(sorted_neg.cumsum(1), (1, 0))
    return sorted_neg, neg.sum(1), prefix


def triplet_terms(z, y, margin: float = 0.2, mining: str = "all"):
    """(loss, fraction of the mined triplets with a positive loss). See :func:`triplet_loss`.

    ``all`` and ``semihard`` sort each anchor's negative distances once: for a pair (a, p) with threshold
    t = d(a,p) + margin, sum_n relu(t - d(a,n)) = c t - (sum of the c smallest d(a,n)), c the number of
    negatives nearer than t. That is exact, O(B^2 log B) time and O(B^2) memory instead of O(B^3).
    """
    if mining not in ("all", "hard", "semihard"):
        raise ValueError(f"unknown mining {mining!r}; allowed: all, hard, semihard")
    d = pairwise_distances(z)
    pos, neg = _masks(y)
    pos = pos & neg.any(1, keepdim=True)  # anchors without a negative form no triplet
    if not pos.any():
        return _zero(z), float("nan")
    if mining == "hard":
        has = pos.any(1)
        hardest_pos = d.masked_fill(~pos, float("-inf")).amax(1)
        hardest_neg = d.masked_fill(~neg, float("inf")).amin(1)
        losses = F.relu(hardest_pos - hardest_neg + margin)[has]
        return losses.mean(), float((losses > 0).float().mean())
    sorted_neg, n_neg, prefix = _sorted_negatives(d, neg)
    if mining == "all":
        t = d + margin
        c = torch.searchsorted(sorted_neg.detach(), t.detach().contiguous())  # negatives with d(a,n) < t
        pair_sums = (c * t - prefix.gather(1, c)) * pos
        n_triplets = (pos.sum(1) * n_neg).sum()
        return pair_sums.sum() / n_triplets, float((c * pos).sum() / n_triplets)
    # semihard: the nearest negative farther than the positive, else the farthest negative
    first_farther = torch.searchsorted(sorted_neg.detach(), d.detach().contiguous(), right=True)
    last = (n_neg - 1)[:, None].expand_as(d)
    chosen = sorted_neg.gather(1, torch.minimum(first_farther, last))
    losses = F.relu(d - chosen + margin)[pos]
    return losses.mean(), float((losses > 0).float().mean())


def triplet_loss(z, y, margin: float = 0.2, mining: str = "all") -> torch.Tensor:
    """Triplet margin loss (Schroff et al. 2015) on Euclidean distances.

    - ``all``: mean of relu(d(a,p) - d(a,n) + margin) over every valid triplet (a != p, y_a = y_p != y_n);
    - ``hard``: per anchor its farthest positive and nearest negative, mean over anchors having both;
    - ``semihard`` (FaceNet; as TensorFlow's ``triplet_semihard_loss``): per positive pair the nearest
      negative farther than the positive, else the farthest negative; mean over positive pairs.
    """
    return triplet_terms(z, y, margin, mining)[0]


def supcon_loss(z, y, temperature: float = 0.1) -> torch.Tensor:
    """Supervised contrastive loss (Khosla et al. 2020, L_out) on L2-normalised embeddings.

    Per anchor i with positives P(i): -1/|P(i)| sum_p log(exp(s_ip / t) / sum_{a != i} exp(s_ia / t)),
    s the cosine similarity; mean over the anchors that have a positive.
    """
    pos, neg = _masks(y)
    has = pos.any(1)
    if not has.any() or not neg.any():
        return _zero(z)
    u = F.normalize(z, dim=1)
    logits = (u @ u.T / temperature).masked_fill(torch.eye(len(y), dtype=torch.bool, device=z.device), float("-inf"))
    log_prob = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    mean_pos = log_prob.masked_fill(~pos, 0.0).sum(1) / pos.sum(1).clamp_min(1)
    return -mean_pos[has].mean()


def center_loss(z, y, centers) -> torch.Tensor:
    """Wen et al. (2016): 1/2 ||z_i - c_{y_i}||^2, mean over the batch."""
    return 0.5 * (z - centers[y]).pow(2).sum(1).mean()


class TripletLoss(nn.Module):
    def __init__(self, margin=0.2, mining="all"):
        super().__init__()
        self.margin, self.mining = margin, mining
        self.last_active_fraction = float("nan")

    def forward(self, z, y):
        loss, self.last_active_fraction = triplet_terms(z, y, self.margin, self.mining)
        return loss


def decoded_path_length(decode, a: torch.Tensor, b: torch.Tensor, segments: int = 8) -> torch.Tensor:
    """Length in image space of the decoded straight path from each row of ``a`` to the same row of ``b``:
    sum over t of ||g(z_{t+1}) - g(z_t)||, z_t = a + (t / T)(b - a), t = 0..T-1 (T = ``segments``).

    It approximates the geodesic distance under the Riemannian metric the decoder g pulls back to the latent
    space (Arvanitidis, Hauberg & Schölkopf 2020) by the length of one curve, the straight line, instead of the
    shortest one; so it is an upper bound of the polygonal geodesic through the same decoder, and by the triangle
    inequality never below ||g(b) - g(a)||. For a linear decoder g(z) = W z + c it is exactly ||W (b - a)||.
    """
    t = torch.linspace(0.0, 1.0, segments + 1, dtype=a.dtype, device=a.device)
    path = a[:, None, :] + t[None, :, None] * (b - a)[:, None, :]  # (P, T + 1, D)
    images = decode(path.reshape(-1, a.shape[1])).reshape(len(a), segments + 1, -1)
    return torch.linalg.vector_norm(images[:, 1:] - images[:, :-1], dim=2).sum(1)


def geodesic_triplet_terms(z, y, decode, margin: float = 0.2, segments: int = 8):
    """(loss, fraction of active triplets) of a triplet loss on decoded-path lengths (the paper's fourth
    proposal). The triplets are mined batch-hard on Euclidean latent distances (each anchor's farthest positive
    and nearest negative), then only those 2B pairs are decoded: mean of relu(L(a,p) - L(a,n) + margin),
    L = :func:`decoded_path_length`."""
    d = pairwise_distances(z.detach())
    pos, neg = _masks(y)
    has = pos.any(1) & neg.any(1)
    if not has.any():
        return _zero(z), float("nan")
    p = d.masked_fill(~pos, float("-inf")).argmax(1)[has]
    n = d.masked_fill(~neg, float("inf")).argmin(1)[has]
    a = z[has]
    lengths = decoded_path_length(decode, torch.cat([a, a]), torch.cat([z[p], z[n]]), segments)
    losses = F.relu(lengths[: len(a)] - lengths[len(a) :] + margin)
    return losses.mean(), float((losses > 0).float().mean())


class SupConLoss(nn.Module):
    def __init__(self, temperature=0.1):
        super().__init__()
        self.temperature = temperature

    def forward(self, z, y):
        return supcon_loss(z, y, self.temperature)


class CenterLoss(nn.Module):
    """Wen et al. (2016) joint supervision: softmax cross-entropy on a linear classifier of z plus
    ``weight`` times the center loss, with learnable centres (trained by the same optimiser). The centre
    term alone is degenerate (all embeddings and centres collapse to one point)."""

    def __init__(self, n_classes: int, lsdim: int, weight: float = 0.01):
        super().__init__()
        self.centers = nn.Parameter(torch.randn(n_classes, lsdim))
        self.classifier = nn.Linear(lsdim, n_classes)
        self.weight = weight

    def forward(self, z, y):
        return F.cross_entropy(self.classifier(z), y) + self.weight * center_loss(z, y, self.centers)


# --------------------------------------------------------------------------------------- KL terms
def log_normal_diag(x, mu, logvar) -> torch.Tensor:
    """log N(x; mu, diag(exp(logvar))), summed over the last dimension."""
    logvar = torch.as_tensor(logvar, dtype=x.dtype, device=x.device)
    return -0.5 * (LOG_2PI + logvar + (x - mu).pow(2) * torch.exp(-logvar)).sum(-1)


def kl_unit_gaussian(mu, logvar) -> torch.Tensor:
    """Analytic KL(N(mu, diag(exp(logvar))) || N(0, I)), summed over dimensions, mean over the batch."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1).mean()


def log_mixture(z, means, logvars, log_weights=None) -> torch.Tensor:
    """log sum_k w_k N(z; means_k, diag(exp(logvars_k))) for z of shape (..., D).

    ``means`` (K, D); ``logvars`` a scalar, (K,) or (K, D); ``log_weights`` (K,) or None (equal weights).
    Computed with matrix products, (N, K) memory, so 2^lsdim hypercube components stay affordable.
    """
    K, D = means.shape
    lv = torch.as_tensor(logvars, dtype=z.dtype, device=z.device)
    lv = lv.expand(K, D) if lv.dim() == 0 else (lv[:, None].expand(K, D) if lv.dim() == 1 else lv)
    prec = torch.exp(-lv)  # (K, D)
    flat = z.reshape(-1, D)
    quad = flat.pow(2) @ prec.T - 2.0 * flat @ (means * prec).T + (means.pow(2) * prec).sum(1)
    comp = -0.5 * (D * LOG_2PI + lv.sum(1) + quad.clamp_min(0.0))  # (N, K)
    comp = comp + (log_weights if log_weights is not None else -math.log(K))
    return torch.logsumexp(comp, dim=1).reshape(z.shape[:-1])


def kl_mixture_mc(z, mu, logvar, means, logvars, log_weights=None) -> torch.Tensor:
    """Monte-Carlo KL(q(z|x) || p(z)) for a Gaussian mixture p: mean of log q(z|x) - log p(z).

    ``z`` holds samples from q (shape (B, D), or (S, B, D) for S samples per input)."""
    return (log_normal_diag(z, mu, logvar) - log_mixture(z, means, logvars, log_weights)).mean()


def kl_gmm_mc(z, mu, logvar, means, logvar_prior, variant: str = "correct") -> torch.Tensor:
    """Monte-Carlo KL to an equal-weight mixture of N(means_k, exp(logvar_prior) I).

    ``variant="correct"``: mean over the batch of log q(z|x) - log p(z) with full normal densities and a
    log-sum-exp over the components. ``variant="paper"``: the paper's Algorithm 4 as printed, for
    comparison only; see :func:`kl_gmm_paper`.
    """
    if variant == "paper":
        return kl_gmm_paper(z, mu, logvar, means, logvar_prior)
    if variant != "correct":
        raise ValueError(f"unknown variant {variant!r}; allowed: correct, paper")
    return kl_mixture_mc(z, mu, logvar, means, logvar_prior)


def kl_gmm_paper(z, mu, logvar, means, logvar_prior) -> torch.Tensor:
    """PAPER VARIANT: the paper's Algorithm 4 exactly as printed (wrong; kept to show what it does).

    With ``sigma`` the log-variance (which the algorithm calls the variance) and densities without their
    normalising constants, the algorithm computes

        P(z | mu, sigma)     = -1/2 sum_d (z - mu)^2 / exp(sigma)         (the posterior term)
        Q(z | mu_p, sigma_p) = -1/2 sum_d (z - mu_p)^2 / exp(sigma_p)     (the prior term)

    and returns Q - P, i.e. log p - log q without normalisers: the *negative* KL. Consequences:

    - the posterior term is -eps^2 / 2 for the reparameterised z = mu + exp(sigma / 2) eps: it carries no
      gradient, so the encoder's variance is never regularised;
    - minimising -(z - mu_p)^2 pushes z *away* from its nearest prior mean: a z far outside the hypercube can run
      off; latents that start near it settle at its centre, equally far from every component (what the stored
      Figure 5 runs do: ``priors.paper_kl_outcome``).

    The algorithm passes one prior mean ``mu_p``; which one a mixture passes is not printed. Our reading: the
    component nearest to the sampled z (the most responsible one, since the components share one weight and
    one variance). ``logvar_prior`` is the prior's log-variance ``sigma_p`` (a scalar, or per component).
    """
    log_q = -0.5 * ((z - mu).pow(2) / torch.exp(logvar)).sum(-1)
    flat = z.reshape(-1, z.shape[-1])
    nearest_idx = torch.cdist(flat.detach(), means).argmin(1)
    nearest = means[nearest_idx].reshape(z.shape)
    lv_p = torch.as_tensor(logvar_prior, dtype=z.dtype, device=z.device)
    if lv_p.dim() >= 1 and lv_p.shape[0] == len(means):  # per-component log-variance
        lv_p = lv_p[nearest_idx].reshape(*z.shape[:-1], *lv_p.shape[1:])
        if lv_p.dim() == z.dim() - 1:
            lv_p = lv_p[..., None]
    log_p = -0.5 * ((z - nearest).pow(2) / torch.exp(lv_p)).sum(-1)
    return (log_p - log_q).mean()
