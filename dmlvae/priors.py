"""Priors p(z) for Gaussian encoders; each gives the KL term of the unsupervised loss.

- :class:`UnitGaussianPrior`: N(0, I), analytic KL;
- :func:`hypercube_gmm`: 2^d fixed components at the vertices of [-1, 1]^d (the paper's GMM prior);
- :class:`VampPrior`: a mixture of the encoder's posteriors at K learnable pseudo-inputs (Tomczak 2018);
- :func:`fitted_gmm`: a diagonal GMM fitted to DML embeddings (the paper's future work).
Mixture KLs are Monte-Carlo estimates from the encoder's sampled z.
"""

from __future__ import annotations

import functools
import itertools
import math

import numpy as np
import torch
from torch import nn

from .losses import kl_gmm_paper, kl_mixture_mc, kl_unit_gaussian, log_mixture, log_normal_diag
from .nets import Encoding

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
    from sklearn.mixture import GaussianMixture

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


CENTRE_NORM = 0.1  # a mean |mu| below this is "at the centre" (the hypercube's vertices are sqrt(lsdim) away)
CENTRE_KL_TOL = 0.05  # and a final paper-KL within this of paper_kl_at_centre
RUN_OFF_NORM = 10.0  # a mean |mu| above this (or a run failed on its embeddings) has run off


def paper_kl_outcome(rows) -> str:
    """What the paper's Algorithm 4 did to the latents of ``rows`` (runs of the GMM prior with ``kl="paper"``), in
    one sentence from their last epoch: they settled at the centre of the hypercube (mean |mu| below
    ``CENTRE_NORM`` and a final value within ``CENTRE_KL_TOL`` of :func:`paper_kl_at_centre`), ran off (a mean |mu|
    above ``RUN_OFF_NORM``, or a run that failed as diverged), or neither."""
    rows = [r for r in rows if r["config"].get("kl") == "paper" and r["config"]["model"] == "dml_gmm_prior"]
    ok = [r for r in rows if r.get("status") == "ok" and r.get("history")]
    diverged = [r for r in rows if r.get("status") != "ok" and "Diverged" in (r.get("reason") or "")]
    if not ok and not diverged:
        return "No run of the GMM prior with the paper's KL is stored yet."
    norms = [r["history"][-1]["embedding_norm"] for r in ok]
    kls = [r["history"][-1].get("kl") for r in ok]
    centres = [paper_kl_at_centre(r["config"]["lsdim"], r["config"]["gmm_logvar"]) for r in ok]
    seen = (
        f'The {len(ok)} `kl="paper"` runs end with a mean |mu| of {min(norms):.3f} to {max(norms):.3f} and a '
        f"final value of {min(kls):.3f} to {max(kls):.3f} nats"
        if ok
        else ""
    )
    if diverged or any(n > RUN_OFF_NORM for n in norms):
        return (
            (seen + "; " if seen else "")
            + (f"{len(diverged)} run(s) failed as diverged; " if diverged else "")
            + "the latents run off."
        )
    if all(n < CENTRE_NORM and k is not None and abs(k - c) <= CENTRE_KL_TOL for n, k, c in zip(norms, kls, centres)):
        return (
            seen + f": the printed algorithm's value at the centre of the hypercube with no posterior noise is "
            f"{centres[0]:.3f}. The latents settle at the centre, equally far from every component: the "
            "paper's KL collapses them instead of spreading them over the prior's components."
        )
    return seen + ": the latents neither run off nor settle at the centre of the hypercube."


# The priors page: each function takes the page (pages.Page), trains what the results file lacks (or, under the auto
# profile, names it) and gives one table, figure or paragraph.
def page_dataset(page) -> str:
    """The dataset Table 3, the ablation and Figure 5 run on: OrganAMNIST, or the page's dataset or stand-in."""
    return page.table_dataset(3)[0] or "organamnist"


def mu_and_z(page):
    """Table 3's prior models scored on the mean mu and on a sampled z (kNN, test-cv): mean ± sd per model, lsdim."""
    from . import tables

    rows = [r for r in page.table_rows(3) if r["status"] == "ok" and r["config"]["model"] != "dml"]
    return tables.summary(
        tables.flatten(rows, ["model", "lsdim"], tables.MU_AND_Z), ["model", "lsdim"], ["mu", "sampled z"]
    )


PAPERS_DATASET, PAPERS_FIGURE5 = "the paper's is OrganAMNIST", "the paper's Figure 5 is OrganAMNIST's"


def _stand_in_words(rows, words: str) -> str:
    """`` (a stand-in: WORDS)`` when any of ``rows`` ran on a stand-in dataset, else ''."""
    from . import grids

    return f" (a stand-in: {words})" if any(grids.is_stand_in(r) for r in rows) else ""


def ablation(page):
    """The metric-input x alternating-order ablation at one Table 3 cell: shows its caption and table, and returns
    (Markdown) whether the order changes Table 3's chance level, from the rows (None when no run is stored)."""
    from IPython.display import Markdown, display

    from . import data, grids, tables

    used = page_dataset(page)
    rows = page.rows("priors-ablation", grids.cells("priors-ablation", dataset=used, alpha=page.p.figure_alpha))
    ab = tables.flatten(rows, ["model", "metric_on", "alternate_first"], tables.MU_AND_Z, last={"last phase": "phase"})
    ab = ab.rename(columns={"metric_on": "metric on", "alternate_first": "first phase"})
    display(
        Markdown(
            f"Dataset `{used}`{_stand_in_words(rows, PAPERS_DATASET)}, profile `{page.profile}`, seeds "
            f"{page.seed_list}; kNN accuracy, test-cv."
        )
    )
    display(tables.summary(ab, ["model", "metric on", "first phase", "last phase"], ["mu", "sampled z"]))
    if not len(ab):
        return None
    order = ab.groupby(["model", "first phase"])["mu"].mean().unstack()
    best = ab.groupby(["model", "metric on", "first phase"])["sampled z"].mean().max()
    return Markdown(
        f"**Does the order change Table 3's chance level?** On a sampled *z*, no combination leaves chance "
        f"(the best mean is {best:.3f}, with {len(data.load(used).class_names)} classes). On *μ*, unsupervised-first "
        "(ending on a supervised epoch) against supervised-first: "
        + "; ".join(f"{m} {order.loc[m, 'unsupervised']:.3f} vs {order.loc[m, 'supervised']:.3f}" for m in order.index)
        + " (mean over both metric inputs and the seeds)."
    )


def _figure5_configs(page):
    from . import grids

    cells = grids.cells("figure5", dataset=page_dataset(page), alpha=page.p.figure_alpha)
    return page.configs("figure5", cells)


@functools.lru_cache(maxsize=None)
def figure5_rows(page) -> list[dict]:
    """Figure 5's rows (both priors at lsdim 2, the GMM prior under both KLs), their test latents kept."""
    return page.rows("figure5", cfgs=_figure5_configs(page), keep_latents=True)


def figure5_table(page):
    """Figure 5's runs: kNN on mu and on a sampled z, the final KL, the mean |mu| and any failure; shows its caption."""
    from IPython.display import Markdown, display

    from . import tables

    rows = figure5_rows(page)
    display(
        Markdown(
            f"Dataset `{page_dataset(page)}`{_stand_in_words(rows, PAPERS_FIGURE5)}, alpha "
            f"{page.p.figure_alpha}, profile `{page.profile}`, seeds {page.seed_list}."
        )
    )
    return tables.flatten(
        rows, ["model", "kl"], tables.MU_AND_Z, last={"final KL": "kl", "mean |mu|": "embedding_norm"}, keep=["reason"]
    ).round(3)


def figure5(page) -> None:
    """Shows Figure 5: the test latents of the first seed's runs with the prior's components (a failed run is
    named instead)."""
    from IPython.display import Markdown, display

    from . import data, plots, store

    used, alpha = page_dataset(page), page.p.figure_alpha
    names = data.load(used).class_names
    ok = {r["key"] for r in figure5_rows(page) if r["status"] == "ok"}
    for cfg in _figure5_configs(page):
        if cfg.seed != page.seed_list[0]:
            continue
        if cfg.key() not in ok:
            display(Markdown(f"*{cfg.model}, kl={cfg.kl}, seed {cfg.seed}: the run failed (see the table above).*"))
            continue
        z, y = store.load_latents(page.results, "figure5", page.profile, cfg)
        plots.latent_scatter(
            z,
            y,
            f"{cfg.model}, kl={cfg.kl}<br>({used}, lsdim 2, 10 % labels, alpha {alpha:g}, seed {cfg.seed})",
            class_names=names,
            prior_means=hypercube_means(2) if cfg.model == "dml_gmm_prior" else None,
            unit_circle=cfg.model == "dml_unit_prior",
        ).show()


def factorisation_check(n: int = 2000, d: int = 4, seed: int = 0) -> str:
    """Markdown: on ``n`` random points in ``d`` dimensions, the largest difference between the 2^d-component
    hypercube mixture's log-density and the product of its 1-D pairs (0 up to rounding)."""
    z = torch.randn(n, d, dtype=torch.float64, generator=torch.Generator().manual_seed(seed)) * 2
    means = torch.as_tensor(hypercube_means(d), dtype=torch.float64)
    gap = (hypercube_factor_log_prob(z, 1.0) - log_mixture(z, means, 1.0)).abs().max().item()
    return (
        f"Check on {n:,} random points in {d}-D: the largest difference between the {2**d}-component mixture's "
        f"log-density and the product of 1-D pairs is {gap:.1e}. How many modes one pair has is the first "
        "exercise below (its solution draws the pair)."
    )
