"""The paper's models as compositions of an encoder, an optional decoder, an optional prior and a metric
loss. A model returns its loss terms by name; routines (``dmlvae.core.routines``) decide how to weight them.

| model             | encoder   | unsupervised loss L_U                          |
|-------------------|-----------|-----------------------------------------------|
| `dml`             | point     | none (labelled data only)                      |
| `dml_autoencoder` | point     | reconstruction MSE (proposal 1)                |
| `dml_unit_prior`  | Gaussian  | KL(q(z|x) || N(0, I)), analytic (proposal 2)   |
| `dml_gmm_prior`   | Gaussian  | Monte-Carlo KL to the hypercube GMM (proposal 2) |
| `mvae`            | Gaussian  | MSE + beta KL to a VampPrior (proposal 3)      |
| `dml_labelprop`   | point     | none: the metric loss sees propagated pseudo-labels (beyond the paper) |
| `vae_graph`       | point     | none: a VAE first; the metric loss sees labels inferred over its latents' graph |
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from dmlvae.core.config import DECODER_MODELS, PRIOR_MODELS, RunConfig
from dmlvae.core.losses import CenterLoss, SupConLoss, TripletLoss, geodesic_triplet_terms
from dmlvae.core.nets import Decoder, Encoder, Encoding
from dmlvae.core.priors import UnitGaussianPrior, VampPrior, hypercube_gmm


def build_metric_loss(cfg: RunConfig, n_classes: int) -> nn.Module:
    if cfg.loss == "triplet":
        return TripletLoss(cfg.margin, cfg.mining)
    if cfg.loss == "supcon":
        return SupConLoss(cfg.temperature)
    return CenterLoss(n_classes, cfg.lsdim, cfg.center_weight)


class SemiSupervisedModel(nn.Module):
    def __init__(self, cfg: RunConfig, in_shape, n_classes: int, init_images: torch.Tensor | None = None):
        super().__init__()
        self.cfg = cfg
        self.encoder = Encoder(in_shape, cfg.lsdim, cfg.net, cfg.hidden, gaussian=cfg.gaussian)
        self.decoder = Decoder(in_shape, cfg.lsdim, cfg.net, cfg.hidden) if cfg.model in DECODER_MODELS else None
        if cfg.model == "dml_unit_prior":
            self.prior = UnitGaussianPrior()
        elif cfg.model == "dml_gmm_prior":
            self.prior = hypercube_gmm(cfg.lsdim, cfg.gmm_logvar, variant=cfg.kl)
        elif cfg.model == "mvae":
            if init_images is None:
                raise ValueError("mvae needs init_images for its VampPrior pseudo-inputs")
            self.prior = VampPrior(self.encoder, init_images[: cfg.n_pseudo])
        else:
            self.prior = None
        self.metric = build_metric_loss(cfg, n_classes)

    @property
    def has_unsupervised_loss(self) -> bool:
        return self.decoder is not None or self.prior is not None

    @property
    def unsupervised_weights(self) -> dict:
        return unsupervised_weights(self.cfg)

    def supervised_terms(self, x, y, enc: Encoding | None = None) -> dict:
        """The metric loss on a labelled batch (``enc``: its encoding, when already computed)."""
        enc = self.encoder(x) if enc is None else enc
        emb = enc.z if self.cfg.metric_on == "z" else enc.mu
        if self.cfg.distance == "geodesic":
            loss, self.metric.last_active_fraction = geodesic_triplet_terms(
                emb, y, self.frozen_decode, self.cfg.margin, self.cfg.geodesic_segments
            )
            return {"metric": loss}
        return {"metric": self.metric(emb, y)}

    def frozen_decode(self, z: torch.Tensor) -> torch.Tensor:
        """The decoder with its weights detached: the geodesic triplet loss moves the latents through it, not the
        decoder (the metric is the one reconstruction learns, not one shaped to separate classes)."""
        params = {k: v.detach() for k, v in self.decoder.named_parameters()}
        return torch.func.functional_call(self.decoder, params, (z,))

    def both_terms(self, x_lab, y_lab, x_unl) -> tuple[dict, dict]:
        """(supervised, unsupervised) terms of a step that needs both, with ONE encoder pass over the labelled
        and unlabelled batches together (the encoders have no batch statistics, so each image's encoding is
        the same as in two passes; only the passes' overhead is saved)."""
        enc = self.encoder(torch.cat([x_lab, x_unl]))
        n = len(x_lab)

        def part(a, b):
            return Encoding(
                enc.z[a:b],
                enc.mu[a:b],
                None if enc.logvar is None else enc.logvar[a:b],
            )

        return self.supervised_terms(x_lab, y_lab, part(0, n)), self.unsupervised_terms(x_unl, part(n, len(enc.z)))

    def unsupervised_terms(self, x, enc: Encoding | None = None) -> dict:
        """Reconstruction and/or KL on an (unlabelled) batch, and their weighted sum ``L_U``."""
        enc = self.encoder(x) if enc is None else enc
        terms = {"embedding_norm": enc.mu.detach().norm(dim=1).mean()}
        weights = self.unsupervised_weights
        total = 0.0
        if self.decoder is not None:
            err = F.mse_loss(self.decoder(enc.z), x, reduction="none")
            recon = err.mean() if self.cfg.recon == "pixel-mean" else err.flatten(1).sum(1).mean()
            terms["recon"] = recon
            total = total + weights["recon"] * recon
        if self.prior is not None:
            kl = self.prior.kl(enc)
            terms["kl"] = kl
            total = total + weights["kl"] * kl
        terms["L_U"] = total
        return terms

    @torch.no_grad()
    def embed(self, x: torch.Tensor, batch_size: int = 4096, sample: bool = False) -> np.ndarray:
        """Embeddings of ``x``: mu for Gaussian encoders (or a sampled z with ``sample=True``)."""
        was = self.training
        self.eval()
        out = [self.encoder(x[i : i + batch_size], sample=sample).z.cpu() for i in range(0, len(x), batch_size)]
        self.train(was)
        return torch.cat(out).numpy()

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        if self.decoder is None:
            raise ValueError(f"model {self.cfg.model!r} has no decoder")
        return self.decoder(self.encoder(x, sample=False).z)


def unsupervised_weights(cfg: RunConfig) -> dict:
    """The weight of each term inside a model's ``L_U`` (only the terms it has): the reconstruction 1 (models with a
    decoder), the KL beta for the MetricVAE and 1 for the prior models."""
    w = {}
    if cfg.model in DECODER_MODELS:
        w["recon"] = 1.0
    if cfg.model in PRIOR_MODELS:
        w["kl"] = cfg.beta if cfg.model == "mvae" else 1.0
    return w


def build(cfg: RunConfig, in_shape, n_classes: int, init_images=None) -> SemiSupervisedModel:
    return SemiSupervisedModel(cfg, in_shape, n_classes, init_images)
