"""Encoders and decoders: MLP (default; fast on CPU) and convolutional, for (1, H, W) images.

An encoder returns an :class:`Encoding`: ``z`` (the embedding the metric loss and decoder see), and for
Gaussian encoders ``mu``, ``logvar`` with ``z = mu + exp(logvar / 2) * eps`` (reparameterisation).
Deterministic encoders set ``mu = z`` and ``logvar = None``. Decoders end in a sigmoid (pixels in [0, 1]).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

CONV_CHANNELS = (32, 64)  # two stride-2 convolutions: 28 -> 14 -> 7, 8 -> 4 -> 2


@dataclass
class Encoding:
    z: torch.Tensor
    mu: torch.Tensor
    logvar: torch.Tensor | None = None


class GaussianHead(nn.Module):
    """Linear maps to the mean and log-variance of q(z|x); samples z in training mode."""

    def __init__(self, width: int, lsdim: int):
        super().__init__()
        self.mu = nn.Linear(width, lsdim)
        self.logvar = nn.Linear(width, lsdim)

    def forward(self, h: torch.Tensor, sample: bool = True) -> Encoding:
        mu, logvar = self.mu(h), self.logvar(h)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu) if sample else mu
        return Encoding(z, mu, logvar)


class PointHead(nn.Module):
    def __init__(self, width: int, lsdim: int):
        super().__init__()
        self.linear = nn.Linear(width, lsdim)

    def forward(self, h: torch.Tensor, sample: bool = True) -> Encoding:
        z = self.linear(h)
        return Encoding(z, z, None)


def _mlp(widths) -> nn.Sequential:
    layers = []
    for a, b in zip(widths[:-1], widths[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers)


class Encoder(nn.Module):
    """``body`` (MLP or conv) followed by a point or Gaussian head."""

    def __init__(self, in_shape, lsdim: int, net: str = "mlp", hidden=(512, 256), gaussian: bool = False):
        super().__init__()
        self.in_shape, self.lsdim, self.gaussian = tuple(in_shape), lsdim, gaussian
        if net == "mlp":
            self.body = nn.Sequential(nn.Flatten(), _mlp((math.prod(in_shape), *hidden)))
            width = hidden[-1] if hidden else math.prod(in_shape)
        else:
            c = in_shape[0]
            convs = []
            for out in CONV_CHANNELS:
                convs += [nn.Conv2d(c, out, 3, stride=2, padding=1), nn.ReLU()]
                c = out
            self.body = nn.Sequential(*convs, nn.Flatten())
            with torch.no_grad():
                width = self.body(torch.zeros(1, *in_shape)).shape[1]
        self.head = (GaussianHead if gaussian else PointHead)(width, lsdim)

    def forward(self, x: torch.Tensor, sample: bool | None = None) -> Encoding:
        """``sample`` defaults to ``self.training``: sampled z while training, z = mu when evaluating."""
        return self.head(self.body(x), self.training if sample is None else sample)


class Decoder(nn.Module):
    def __init__(self, out_shape, lsdim: int, net: str = "mlp", hidden=(512, 256)):
        super().__init__()
        self.out_shape = tuple(out_shape)
        if net == "mlp":
            widths = (lsdim, *reversed(hidden))
            self.net = nn.Sequential(
                _mlp(widths), nn.Linear(widths[-1], math.prod(out_shape)), nn.Sigmoid(), nn.Unflatten(1, out_shape)
            )
        else:
            c, h, w = out_shape
            if h % 4 or w % 4:
                raise ValueError(f"the conv decoder needs H and W divisible by 4; got {out_shape}")
            c1, c2 = CONV_CHANNELS
            self.net = nn.Sequential(
                nn.Linear(lsdim, c2 * (h // 4) * (w // 4)),
                nn.ReLU(),
                nn.Unflatten(1, (c2, h // 4, w // 4)),
                nn.ConvTranspose2d(c2, c1, 4, stride=2, padding=1),
                nn.ReLU(),
                nn.ConvTranspose2d(c1, c, 4, stride=2, padding=1),
                nn.Sigmoid(),
            )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)
