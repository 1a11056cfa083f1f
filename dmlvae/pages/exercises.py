"""Checks for the book's exercises: each takes a reader's answer (a function or a value) and says whether it
is right, comparing it with the package's own, tested implementation on fresh random inputs.

Every check returns ``(ok, message)`` and prints the message, so an exercise cell says at once whether the
answer is right. ``tests/pages/test_exercises.py`` runs every solution on the pages through these checks.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from dmlvae.core import data, losses, priors
from dmlvae.core.config import RunConfig
from dmlvae.core.train import run
from dmlvae.errors import DmlvaeError


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


# More predict-then-run exercises, one registry: the question's choices and answer, the reasons and the right one,
# a hint for a wrong prediction (no explanation) and for a wrong reason, and the explanation shown only when both are
# right. Each has an experiment (:func:`experiment`) whose outcome is the choice its data supports.
PREDICTIONS = {
    "alpha-labels": {
        "choices": ("alpha 0.5", "alpha 1", "the same"),
        "answer": "alpha 0.5",
        "reasons": {
            "a": "at alpha 0.5 the metric loss (weight 1 - alpha) pulls the labelled classes apart; at alpha 1 its "
            "weight is 0",
            "b": "alpha 0.5 trains for more epochs",
            "c": "alpha 1 reconstructs the images worse",
        },
        "reason": "a",
        "hint": "think about what the weight 1 - alpha multiplies",
        "reason_hint": "both runs train the same epochs, and reconstruction does not read labels",
        "why": "alpha 0.5: the labels reach the embedding only through the metric term, which alpha 1 switches off",
    },
    "paper-kl-samples": {
        "choices": ("yes", "no"),
        "answer": "no",
        "reasons": {
            "a": "more samples shrink only the noise of an estimate, and the printed algorithm estimates something "
            "else: no normalising constants, the nearest component only, and log p - log q, a negative KL",
            "b": "a million samples are not enough yet",
            "c": "float64 rounding errors add up over a million samples",
        },
        "reason": "a",
        "hint": "think about what a Monte-Carlo average converges to",
        "reason_hint": "the gap does not shrink from 10,000 to a million samples, and float64 is far from the limit",
        "why": "no: a Monte-Carlo average converges to the expectation of what it averages, and Algorithm 4 as printed "
        "averages a quantity whose expectation is not the KL",
    },
    "sampled-z": {
        "choices": ("higher", "lower", "about the same"),
        "answer": "lower",
        "reasons": {
            "a": "each sampled z adds the encoder's noise exp(logvar / 2) eps to mu, which blurs the classes",
            "b": "a sampled z has fewer dimensions than mu",
            "c": "kNN cannot be fitted on samples",
        },
        "reason": "a",
        "hint": "think about what z = mu + exp(logvar / 2) eps adds to mu",
        "reason_hint": "z and mu have the same dimension, and kNN fits any points",
        "why": "lower: the sampling noise is as large as the prior's where the posterior is close to it, so "
        "neighbours of a sampled z are nearly random",
    },
    "draw-coverage": {
        "choices": ("stratified", "uniform", "the same"),
        "answer": "stratified",
        "reasons": {
            "a": "a stratified draw takes one label per class by construction; a uniform draw can take a class twice "
            "and miss another",
            "b": "a stratified draw takes more labels",
            "c": "a uniform draw takes its labels from the test split",
        },
        "reason": "a",
        "hint": "think about what a uniform draw of 10 from 10 classes can do",
        "reason_hint": "both draws take 10 labels from the training split",
        "why": "stratified, every time: a uniform draw of 10 labels covers all 10 classes only rarely "
        "(10! / 10^10, about 0.04 %, for equal classes)",
    },
    "no-labels": {
        "choices": ("above chance", "at chance"),
        "answer": "above chance",
        "reasons": {
            "a": "reconstruction places images by their appearance, and digits of one class look alike, so "
            "neighbours tend to share a class",
            "b": "the labels leak into training at alpha 1",
            "c": "test-cv reads no labels",
        },
        "reason": "a",
        "hint": "think about which images an autoencoder puts near each other",
        "reason_hint": "at alpha 1 the metric loss has weight 0 (no label is read), and test-cv does fit its probe "
        "on test labels",
        "why": "above chance: an unsupervised embedding already groups digits by shape; the labels only sharpen it",
    },
    "path-length": {
        "choices": ("never", "sometimes"),
        "answer": "never",
        "reasons": {
            "a": "the decoded segments chain from g(a) to g(b), and by the triangle inequality a chain is never "
            "shorter than the straight line between its ends",
            "b": "the decoder is linear",
            "c": "the latent path is straight",
        },
        "reason": "a",
        "hint": "the decoded points g(z_0), ..., g(z_T) start at g(a) and end at g(b)",
        "reason_hint": "the decoder has a ReLU, and a straight latent path decodes to a curve",
        "why": "never: the length is a sum of segments from g(a) to g(b), at least ||g(b) - g(a)|| by the triangle "
        "inequality, for any decoder",
    },
}


def check_prediction(name: str, prediction, reason) -> tuple[bool, str]:
    """Check a predict-then-run answer of ``PREDICTIONS[name]``: the prediction first (a wrong one gets a hint, no
    explanation), then the reason; the explanation only when both are right."""
    q = PREDICTIONS[name]
    if prediction not in q["choices"] or reason not in q["reasons"]:
        return _report(
            False,
            "set prediction to one of "
            + ", ".join(f"'{c}'" for c in q["choices"])
            + " and reason to one of "
            + ", ".join(f"'{k}'" for k in q["reasons"]),
        )
    if prediction != q["answer"]:
        return _report(False, f"the prediction is not it: {q['hint']}")
    if reason != q["reason"]:
        return _report(False, f"the prediction is right, the reason is not: {q['reason_hint']}")
    return _report(True, f"{q['why']}; now run the experiment and see")


def experiment(name: str, seed: int = 0) -> str:
    """Run the experiment of ``PREDICTIONS[name]`` (at most about a minute on a laptop CPU), print what it measured,
    and return the choice its data supports."""

    if name == "alpha-labels":
        acc = {}
        for a in (0.5, 1.0):
            cfg = RunConfig(dataset="digits", model="dml_autoencoder", pl_pct=10, alpha=a, epochs=3, seed=seed)
            acc[a] = run(cfg)["metrics_by_protocol"]["labelled-to-test"]["knn_acc"]
            print(f"alpha {a:g}: labelled-to-test kNN accuracy {acc[a]:.3f}")
        return "the same" if abs(acc[0.5] - acc[1.0]) < 0.02 else "alpha 0.5" if acc[0.5] > acc[1.0] else "alpha 1"
    if name == "paper-kl-samples":
        g = torch.Generator().manual_seed(seed)
        means = torch.as_tensor(priors.hypercube_means(2), dtype=torch.float64)
        mu = torch.tensor([[0.5, -0.3]], dtype=torch.float64)
        logvar = torch.tensor([[-1.0, -0.5]], dtype=torch.float64)
        gaps = []
        for n in (100, 10_000, 1_000_000):
            z = mu + torch.exp(0.5 * logvar) * torch.randn(n, 2, dtype=torch.float64, generator=g)
            right = losses.kl_gmm_mc(z, mu, logvar, means, 1.0, "correct").item()
            printed = losses.kl_gmm_paper(z, mu, logvar, means, 1.0).item()
            gaps.append(abs(right - printed))
            print(f"{n:>9,} samples: correct {right:.4f}, Algorithm 4 as printed {printed:.4f}")
        return "yes" if gaps[-1] < 0.01 else "no"
    if name == "sampled-z":
        cfg = RunConfig(dataset="digits", model="mvae", routine="joint", pl_pct=10, epochs=3, seed=seed)
        m = run(cfg)["metrics_by_protocol"]
        mu, z = m["test-cv"]["knn_acc"], m["test-cv/sampled-z"]["knn_acc"]
        print(f"MetricVAE, kNN accuracy (test-cv): on mu {mu:.3f}, on a sampled z {z:.3f}")
        return "about the same" if abs(mu - z) < 0.02 else "higher" if z > mu else "lower"
    if name == "draw-coverage":
        y = data.load("digits").labels["train"]
        full = {}
        for policy in ("uniform", "stratified"):
            covered = [len(set(y[data.labelled_subset(y, 0, seed=s, policy=policy, n=10)].tolist())) for s in range(20)]
            full[policy] = sum(c == 10 for c in covered)
            print(f"{policy}: {full[policy]} of 20 draws cover all 10 classes (mean {np.mean(covered):.1f} classes)")
        return "the same" if full["uniform"] == full["stratified"] else max(full, key=full.get)
    if name == "no-labels":
        cfg = RunConfig(dataset="digits", model="dml_autoencoder", pl_pct=10, alpha=1.0, epochs=3, seed=seed)
        acc = run(cfg)["metrics"]["knn_acc"]
        print(f"alpha 1 (no label read): test-cv kNN accuracy {acc:.3f}; chance is 0.100")
        return "above chance" if acc > 0.1 + 0.05 else "at chance"
    if name == "path-length":
        g = torch.Generator().manual_seed(seed)
        decode = torch.nn.Sequential(torch.nn.Linear(2, 32), torch.nn.ReLU(), torch.nn.Linear(32, 64)).double()
        a, b = (
            torch.randn(1000, 2, generator=g, dtype=torch.float64),
            torch.randn(1000, 2, generator=g, dtype=torch.float64),
        )
        with torch.no_grad():
            length = losses.decoded_path_length(decode, a, b, segments=8)
            straight = (decode(b) - decode(a)).norm(dim=1)
        short = int((length < straight - 1e-9).sum())
        print(
            f"1,000 random pairs through a ReLU decoder: the decoded path is shorter than ||g(b) - g(a)|| for "
            f"{short}; the smallest length / ||g(b) - g(a)|| is {float((length / straight).min()):.4f}"
        )
        return "never" if short == 0 else "sometimes"
    raise DmlvaeError(f"unknown experiment {name!r}; allowed: {', '.join(PREDICTIONS)}")
