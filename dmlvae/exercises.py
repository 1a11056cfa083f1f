"""Checks for the book's exercises: each takes a reader's answer (a function or a value) and says whether it
is right, comparing it with the package's own, tested implementation on fresh random inputs.

Every check returns ``(ok, message)`` and prints the message, so an exercise cell says at once whether the
answer is right. ``tests/test_exercises.py`` runs every solution on the pages through these checks.
"""

from __future__ import annotations

import math

import torch

from . import losses, priors


class Verdict(tuple):
    """``(ok, message)``, which a notebook does not display again as a value: the message is already printed (the
    pages' sources are formatted by ruff, which drops the trailing ``;`` that would hide it)."""

    def _ipython_display_(self):
        pass


def _report(ok: bool, message: str) -> tuple[bool, str]:
    print(("Right: " if ok else "Not yet: ") + message)
    return Verdict((ok, message))


def _batches(n=5, seed=0, dim=4):
    g = torch.Generator().manual_seed(seed)
    for _ in range(n):
        yield torch.randn(32, dim, generator=g, dtype=torch.float64), torch.randint(4, (32,), generator=g)


def check_batch_hard(fn) -> tuple[bool, str]:
    """``fn(z, y, margin)``: batch-hard triplet loss (per anchor, its farthest positive and nearest negative;
    mean over anchors that have both), against ``losses.triplet_loss(..., mining="hard")``."""
    for z, y in _batches():
        got = fn(z, y, 0.2)
        if got is None:
            return _report(False, "the function returns None: write it first")
        want = losses.triplet_loss(z, y, 0.2, "hard").item()
        if not math.isclose(float(got), want, rel_tol=1e-6, abs_tol=1e-9):
            return _report(False, f"got {float(got):.6f}, expected {want:.6f} on a random batch")
    return _report(True, "your batch-hard loss equals losses.triplet_loss(mining='hard') on 5 random batches")


def check_alpha_one(prediction) -> tuple[bool, str]:
    """What happens to the DML autoencoder's latents at alpha = 1 when every label is shuffled?"""
    if prediction not in ("same", "different"):
        return _report(False, "set prediction to 'same' or 'different'")
    if prediction == "same":
        return _report(
            True,
            "at alpha = 1 the metric loss has weight 1 - alpha = 0, so no label is ever read: the "
            "latents are bit-identical (the test suite checks)",
        )
    return _report(
        False,
        "look at the weight the metric loss (the only part that reads labels) gets at alpha = 1, then predict again",
    )


def check_pair_modes(fn) -> tuple[bool, str]:
    """``fn(logvar)``: the number of modes of 1/2 N(-1, s^2) + 1/2 N(+1, s^2), s^2 = exp(logvar)."""
    for lv in (1.0, 0.5, 0.0, -0.2, -1.0, -3.0):
        got = fn(lv)
        if got is None:
            return _report(False, "the function returns None: write it first")
        if int(got) != priors.pair_modes(lv):
            return _report(False, f"logvar {lv}: got {got}, expected {priors.pair_modes(lv)}")
    return _report(True, "one mode for s >= 1, two below: the paper's logvar 1 (s = 1.65) has one")


def check_mc_kl(fn) -> tuple[bool, str]:
    """``fn(z, mu, logvar, means, logvar_prior)``: the Monte-Carlo KL to an equal-weight Gaussian mixture, mean
    over the batch of log q(z|x) - log p(z), against ``losses.kl_gmm_mc``."""
    means = torch.as_tensor(priors.hypercube_means(3), dtype=torch.float64)
    for z, _ in _batches(dim=3):
        mu, logvar = z * 0.5, torch.full_like(z, -0.5)
        got = fn(z, mu, logvar, means, 1.0)
        if got is None:
            return _report(False, "the function returns None: write it first")
        want = losses.kl_gmm_mc(z, mu, logvar, means, 1.0).item()
        if not math.isclose(float(got), want, rel_tol=1e-6, abs_tol=1e-9):
            return _report(False, f"got {float(got):.6f}, expected {want:.6f}")
    return _report(True, "your estimator equals the package's correct Monte-Carlo KL")


def check_image_sum(fn) -> tuple[bool, str]:
    """``fn(x_hat, x)``: squared error summed over each image's pixels, mean over the batch."""
    g = torch.Generator().manual_seed(1)
    x, x_hat = torch.rand(8, 1, 28, 28, generator=g), torch.rand(8, 1, 28, 28, generator=g)
    got = fn(x_hat, x)
    if got is None:
        return _report(False, "the function returns None: write it first")
    want = ((x_hat - x) ** 2).flatten(1).sum(1).mean().item()
    if not math.isclose(float(got), want, rel_tol=1e-6):
        return _report(False, f"got {float(got):.4f}, expected {want:.4f} (per-pixel mean x 784 = per-image sum)")
    return _report(True, f"{want:.1f} per image, {want / 784:.4f} per pixel: 784 times apart")


def check_unit_kl(fn) -> tuple[bool, str]:
    """``fn(mu, logvar)``: the analytic KL(N(mu, exp(logvar)) || N(0, I)), summed over dimensions, mean over
    the batch, against ``losses.kl_unit_gaussian``; and it must be 0 for a collapsed posterior (mu 0, logvar 0)."""
    for z, _ in _batches():
        got = fn(z, z * 0.3)
        if got is None:
            return _report(False, "the function returns None: write it first")
        want = losses.kl_unit_gaussian(z, z * 0.3).item()
        if not math.isclose(float(got), want, rel_tol=1e-6, abs_tol=1e-9):
            return _report(False, f"got {float(got):.6f}, expected {want:.6f}")
    zero = float(fn(torch.zeros(4, 3, dtype=torch.float64), torch.zeros(4, 3, dtype=torch.float64)))
    if abs(zero) > 1e-12:
        return _report(False, f"a posterior equal to the prior must have KL 0; got {zero}")
    return _report(True, "a collapsed posterior (q = prior) costs 0 nats: the KL alone cannot tell classes apart")


# Predict-then-run exercises: a prediction and a reason, each a choice, checked before any explanation is shown
# (the explanation comes only with the right answers).
MINING_REASONS = {
    "a": "batch-hard mining takes each anchor's farthest positive and nearest negative, the triplets most likely to "
    "violate the margin",
    "b": "batch-hard mining uses a larger margin",
    "c": "batch-hard mining trains for more steps",
}


def check_mining_active(prediction, reason) -> tuple[bool, str]:
    """After training with mining="hard" instead of "all", is the fraction of active triplets "higher" or "lower"?
    And why (a key of ``MINING_REASONS``)?"""
    if prediction not in ("higher", "lower") or reason not in MINING_REASONS:
        return _report(
            False,
            "set prediction to 'higher' or 'lower' and reason to one of " + ", ".join(f"'{k}'" for k in MINING_REASONS),
        )
    if prediction != "higher":
        return _report(False, "the prediction is not it: think about which triplets each mining averages over")
    if reason != "a":
        return _report(
            False, "the prediction is right, the reason is not: both minings share the margin and the number of steps"
        )
    return _report(
        True,
        "higher: of all valid triplets most are easy (loss 0) once classes separate, while each "
        "anchor's hardest pair usually still violates the margin; now run it and see",
    )
