"""The unsupervised embedding of model ``vae_graph``: a plain VAE (Kingma & Welling 2014) as Calder et al. (2020)
train theirs for Poisson learning on MNIST: an MLP 784-400-20 with a Gaussian encoder, a N(0, I) prior, a Bernoulli
likelihood (binary cross-entropy summed over pixels) and the analytic KL, Adam at lr 1e-3, batches of 128; or the
same VAE with the book's convolutional encoder and decoder (``net="conv"``).

It reads no label, so the trained encoder of one (training images, settings, seed) is the same for every labelled
draw: it is cached on disk (``cache_dir``), keyed by a hash of the training images and every setting it depends on,
and a run that finds it reuses it (its row says so, with the seconds the training took).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from dmlvae.core.nets import Decoder, Encoder
from dmlvae.version import TRAINING_VERSION

BATCH_SIZE, LR = 128, 1e-3  # Calder et al.'s VAE (graphlearning.weightmatrix.vae's defaults)


def cache_dir() -> Path:
    """$DMLVAE_CACHE, else ~/.cache/dmlvae; the VAEs under ``vae/``."""
    return Path(os.environ.get("DMLVAE_CACHE") or Path.home() / ".cache" / "dmlvae") / "vae"


def cache_key(x: torch.Tensor, lsdim: int, hidden, epochs: int, seed: int, net: str = "mlp") -> str:
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(x.detach().cpu().numpy()).tobytes())
    settings = {
        "lsdim": lsdim,
        "hidden": list(hidden),
        "epochs": epochs,
        "seed": seed,
        "batch": BATCH_SIZE,
        "lr": LR,
        "training_version": TRAINING_VERSION,
    }
    if net != "mlp":  # the MLP VAEs' keys stay as they were before the conv VAE
        settings["net"] = net
    h.update(json.dumps(settings, sort_keys=True).encode())
    return h.hexdigest()[:20]


def loss(enc: Encoder, dec: Decoder, xb: torch.Tensor) -> torch.Tensor:
    """The negative ELBO per image: Bernoulli reconstruction summed over pixels + KL(q(z|x) || N(0, I))."""
    e = enc(xb)
    bce = F.binary_cross_entropy(dec(e.z), xb.clamp(0, 1), reduction="sum")
    kl = -0.5 * torch.sum(1 + e.logvar - e.mu**2 - e.logvar.exp())
    return (bce + kl) / len(xb)


def train(x: torch.Tensor, lsdim: int, hidden, epochs: int, seed: int, net: str = "mlp") -> tuple[Encoder, list[float]]:
    """A VAE (``net``: "mlp" with widths ``hidden``, or "conv") trained on ``x`` (N, 1, H, W); returns its encoder
    and each epoch's mean loss."""
    shape = tuple(x.shape[1:])
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        enc, dec = Encoder(shape, lsdim, net, hidden, gaussian=True), Decoder(shape, lsdim, net, hidden)
        enc, dec = enc.to(x.device), dec.to(x.device)
        opt = torch.optim.Adam([*enc.parameters(), *dec.parameters()], lr=LR)
        gen = torch.Generator().manual_seed(seed)
        losses = []
        for _ in range(epochs):
            perm = torch.randperm(len(x), generator=gen).to(x.device)
            total = 0.0
            for i in range(0, len(x), BATCH_SIZE):
                xb = x[perm[i : i + BATCH_SIZE]]
                lo = loss(enc, dec, xb)
                opt.zero_grad(set_to_none=True)
                lo.backward()
                opt.step()
                total += lo.item() * len(xb)
            losses.append(total / len(x))
    enc.eval()
    return enc, losses


def encoder(
    x: torch.Tensor, lsdim: int, hidden, epochs: int, seed: int, use_cache: bool = True, net: str = "mlp"
) -> tuple[Encoder, dict]:
    """The VAE encoder for these training images and settings (from the cache when there), and what to record:
    ``vae_seconds`` (the training's, also when reused), ``vae_cached``, ``vae_final_loss``."""
    key = cache_key(x, lsdim, hidden, epochs, seed, net)
    path = cache_dir() / f"{key}.pt"
    shape = tuple(x.shape[1:])
    if use_cache and path.exists():
        try:
            saved = torch.load(path, map_location=x.device, weights_only=False)
            enc = Encoder(shape, lsdim, net, hidden, gaussian=True).to(x.device)
            enc.load_state_dict(saved["state"])
            enc.eval()
            return enc, {"vae_seconds": saved["seconds"], "vae_cached": True, "vae_final_loss": saved["losses"][-1]}
        except Exception:  # a damaged cache file: train again and overwrite it
            pass
    t0 = time.perf_counter()
    enc, losses = train(x, lsdim, hidden, epochs, seed, net)
    seconds = time.perf_counter() - t0
    if use_cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.tmp{os.getpid()}")
        torch.save({"state": enc.state_dict(), "seconds": seconds, "losses": losses}, tmp)
        os.replace(tmp, path)  # atomic: a killed run leaves no half-written cache entry
    return enc, {"vae_seconds": seconds, "vae_cached": False, "vae_final_loss": losses[-1]}


@torch.no_grad()
def embed(enc: Encoder, x: torch.Tensor, batch_size: int = 4096) -> np.ndarray:
    """The posterior means mu of ``x``."""
    return torch.cat([enc(x[i : i + batch_size], sample=False).mu.cpu() for i in range(0, len(x), batch_size)]).numpy()
