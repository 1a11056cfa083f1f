"""Priors p(z) for Gaussian encoders; each gives the KL term of the unsupervised loss.

- :class:`UnitGaussianPrior`: N(0, I), analytic KL;
- :func:`hypercube_gmm`: 2^d fixed components at the vertices of [-1, 1]^d (the paper's GMM prior);
- :class:`VampPrior`: a mixture of the encoder's posteriors at K learnable pseudo-inputs (Tomczak 2018);
- :func:`fitted_gmm`: a diagonal GMM fitted to DML embeddings (the paper's future work).
Mixture KLs are Monte-Carlo estimates from the encoder's sampled z.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import torch
from sklearn.mixture import GaussianMixture
from torch import nn

from dmlvae.core.losses import kl_gmm_paper, kl_mixture_mc, kl_unit_gaussian, log_mixture, log_normal_diag
from dmlvae.core.nets import Encoding

MAX_HYPERCUBE_LSDIM = 16  # 2^16 components; beyond that the fixed GMM prior is not practical


class UnitGaussianPrior(nn.Module):
    def kl(self, enc: Encoding) -> torch.Tensor:
        return kl_unit_gaussian(enc.mu, enc.logvar)

    def log_prob(self, z):
        return log_normal_diag(z, torch.zeros_like(z), 0.0)


class MixturePrior(nn.Module):
    """A fixed Gaussian mixture with diagonal covariances (buffers: not trained)."""

    def __init__(self, means, logvars, log_weights=None, variant: str = "correct"):
        super().__init__()
        means = torch.as_tensor(np.asarray(means), dtype=torch.float32)
        self.register_buffer("means", means)
        self.register_buffer("logvars", torch.as_tensor(np.asarray(logvars), dtype=torch.float32))
        self.register_buffer(
            "log_weights",
            None if log_weights is None else torch.as_tensor(np.asarray(log_weights), dtype=torch.float32),
        )
        self.variant = variant

    def kl(self, enc: Encoding) -> torch.Tensor:
        if self.variant == "paper":
            return kl_gmm_paper(enc.z, enc.mu, enc.logvar, self.means, self.logvars)
        return kl_mixture_mc(enc.z, enc.mu, enc.logvar, self.means, self.logvars, self.log_weights)

    def log_prob(self, z):
        return log_mixture(z, self.means, self.logvars, self.log_weights)


def hypercube_means(lsdim: int) -> np.ndarray:
    return np.array(list(itertools.product((-1.0, 1.0), repeat=lsdim)), dtype=np.float32)


def hypercube_gmm(lsdim: int, logvar: float = 1.0, variant: str = "correct") -> MixturePrior:
    """Equal-weight mixture of N(v, exp(logvar) I) over the 2^lsdim vertices v of [-1, 1]^lsdim."""
    if lsdim > MAX_HYPERCUBE_LSDIM:
        raise ValueError(f"the hypercube GMM prior has 2^lsdim components; lsdim {lsdim} > {MAX_HYPERCUBE_LSDIM}")
    return MixturePrior(hypercube_means(lsdim), np.float32(logvar), variant=variant)


def hypercube_factor_log_prob(z: torch.Tensor, logvar: float = 1.0) -> torch.Tensor:
    """log p(z) of the hypercube GMM written as a product over dimensions: the equal-weight mixture of
    N(v, s^2 I) over the 2^d vertices v of [-1, 1]^d is exactly prod_d [1/2 N(z_d; -1, s^2) + 1/2 N(z_d; +1, s^2)],
    s^2 = exp(logvar). Each factor is a pair of 1-D Gaussians, so the prior has separate modes only where a
    pair has two: see :func:`pair_modes`."""
    lv = torch.as_tensor(logvar, dtype=z.dtype, device=z.device)
    pair = torch.stack([log_normal_diag(z[..., None], torch.full_like(z[..., None], m), lv) for m in (-1.0, 1.0)])
    return (torch.logsumexp(pair, dim=0) - np.log(2.0)).sum(-1)


def pair_modes(logvar: float, grid: int = 20001) -> int:
    """Number of modes of 1/2 N(-1, s^2) + 1/2 N(+1, s^2), s^2 = exp(logvar), counted on a fine grid.
    Closed form: one mode when s >= 1 (the means are at most 2 s apart), two when s < 1."""
    s = float(np.exp(0.5 * logvar))
    t = np.linspace(-1 - 4 * s, 1 + 4 * s, grid)
    dens = np.exp(-0.5 * ((t + 1) / s) ** 2) + np.exp(-0.5 * ((t - 1) / s) ** 2)
    inner = dens[1:-1]
    return int(np.sum((inner > dens[:-2]) & (inner >= dens[2:])))


def fitted_gmm(z: np.ndarray, n_components: int, seed: int = 0) -> MixturePrior:
    """Fit a diagonal-covariance GMM to embeddings ``z`` (sklearn) and freeze it as a prior."""

    gm = GaussianMixture(n_components, covariance_type="diag", random_state=seed, reg_covar=1e-4).fit(z)
    return MixturePrior(gm.means_, np.log(gm.covariances_), np.log(gm.weights_))


class VampPrior(nn.Module):
    """p(z) = 1/K sum_k q(z | u_k): the encoder's posteriors at K learnable pseudo-inputs u_k in [0, 1]
    (stored as logits, initialised from K training images)."""

    def __init__(self, encoder: nn.Module, init_images: torch.Tensor):
        super().__init__()
        self._encoder = [encoder]  # a reference, not a submodule: its weights belong to the model
        x = init_images.clamp(1e-3, 1 - 1e-3)
        self.pseudo_logits = nn.Parameter(torch.log(x) - torch.log1p(-x))

    @property
    def n_pseudo(self) -> int:
        return len(self.pseudo_logits)

    def components(self):
        enc = self._encoder[0](torch.sigmoid(self.pseudo_logits), sample=False)
        return enc.mu, enc.logvar

    def kl(self, enc: Encoding) -> torch.Tensor:
        means, logvars = self.components()
        return kl_mixture_mc(enc.z, enc.mu, enc.logvar, means, logvars)

    def log_prob(self, z):
        means, logvars = self.components()
        return log_mixture(z, means, logvars)


def paper_kl_at_centre(lsdim: int, logvar: float = 1.0) -> float:
    """The value of the paper's Algorithm 4 (``kl="paper"``, log p - log q without normalisers, the nearest
    component as the prior mean) for latents at the centre of the hypercube with a vanishing posterior variance:
    the prior term is -lsdim / (2 exp(logvar)) (every vertex is lsdim away, squared), the posterior term -lsdim / 2
    in expectation, so the value is lsdim / 2 * (1 - exp(-logvar)): 0.632 nats at lsdim 2 with logvar 1."""
    return lsdim / 2 * (1 - math.exp(-logvar))
