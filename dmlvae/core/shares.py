"""What each loss term weighs in the total: the metric loss beside the reconstruction and the KL.

A term's *weighted mean* over an epoch is the mean, over every step of the epoch, of the term as it enters the
loss: the routine's weight at that step (``routines.step_weights``: gamma or 1 - alpha for the metric loss, 1 or
alpha for L_U), times its weight inside L_U (``models.unsupervised_weights``: beta for the MetricVAE's KL), times
its value; a step that leaves a term out counts 0 for it. A term's *share* is its weighted mean over the sum of
all the terms' weighted means.

Training records the weighted means in every epoch of a run's history (``weighted``). Rows stored before that
record only each term's mean over the steps that computed it; :func:`derived` recovers the weighted means from
those and the routine's weights exactly (within an epoch a term's weight is the same at every step that uses it).
"""

from __future__ import annotations

import math

from dmlvae.core.config import RunConfig
from dmlvae.core.models import unsupervised_weights
from dmlvae.core.routines import step_weights

TERMS = ("metric", "recon", "kl")
LABELS = {"metric": "metric", "recon": "reconstruction", "kl": "KL"}


def derived(row: dict, epoch: int = -1) -> dict:
    """The weighted means of epoch ``epoch`` (an index into the history) from the recorded unweighted means and
    the routine's weights: for rows stored before training recorded them."""

    cfg = RunConfig.from_dict(row["config"])
    h = row["history"][epoch]
    if cfg.routine == "label-propagation":  # the metric loss alone, weight 1 at every step
        return {"metric": h.get("metric") or 0.0}
    steps = math.ceil(row["n_train"] / cfg.batch_size)
    weights = [step_weights(cfg, h["epoch"], h["epoch"] * steps + s, h.get("gamma"))[:2] for s in range(steps)]
    out = {"metric": (h.get("metric") or 0.0) * sum(w for w, _ in weights if w > 0) / steps}
    w_u = sum(w for _, w in weights if w > 0) / steps
    for term, inner in unsupervised_weights(cfg).items():
        out[term] = (h.get(term) or 0.0) * w_u * inner
    return out


def epoch_terms(row: dict, epoch: int = -1) -> dict:
    """The weighted means of one epoch's terms: as training recorded them, else :func:`derived`."""
    h = row["history"][epoch]
    return dict(h["weighted"]) if "weighted" in h else derived(row, epoch)


def shares(terms: dict) -> dict:
    """Each term's share of the total (of the weighted means ``terms``); NaN when the total is 0."""
    total = sum(terms.values())
    return {k: (v / total if total else float("nan")) for k, v in terms.items()}


def last_metric_epoch(row: dict) -> int:
    """The index of the last epoch whose weighted metric term is not 0 (the last supervised epoch of the
    alternating-epoch routine, which ends on an unsupervised one); the last epoch when none has it."""
    history = row.get("history") or []
    for i in range(len(history) - 1, -1, -1):
        if epoch_terms(row, i).get("metric"):
            return i
    return len(history) - 1


def of_epoch(row: dict, epoch: int = -1) -> dict:
    """{"epoch": its number, "terms": weighted means, "shares": shares} of one epoch of a stored row."""
    terms = epoch_terms(row, epoch)
    number = row["history"][epoch].get("epoch", epoch % len(row["history"]))
    return {"epoch": number, "terms": terms, "shares": shares(terms)}


def summary(row: dict) -> dict | None:
    """What a row records of its loss terms: the final epoch's weighted means and shares (``final``), and the last
    epoch's that weighs the metric term (``last_metric``; the same epoch except under the alternating-epoch
    routine). None for a run without a history, or with neither the weighted means nor its training size."""
    history = row.get("history")
    if not history or ("n_train" not in row and not all("weighted" in h for h in history)):
        return None  # nothing recorded, and nothing to derive the weighted means from
    return {"final": of_epoch(row, -1), "last_metric": of_epoch(row, last_metric_epoch(row))}


def columns(row: dict, at: str = "final") -> dict:
    """A table's columns for one row: each weighted term's share of the loss (``at``: "final" epoch or
    "last_metric"), from what the row records, else computed from its history."""
    s = row.get("loss_shares") or summary(row)
    if s is None:
        return {}
    return {f"{LABELS[k]} share": v for k, v in s[at]["shares"].items()}


def fmt_share(value: float) -> str:
    """A share as a percentage with the digits a small share needs (0.6 %, 0.004 %)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    pct = 100 * value
    if pct == 0 or pct >= 10:
        return f"{pct:.0f} %"
    digits = max(1, 1 - math.floor(math.log10(pct)))
    return f"{pct:.{digits}f} %"
