"""Re-run a stored row and compare (``python -m dmlvae rerun KEY``): find it, train it again under its recorded thread
count, and report the drift and the numeric environment that differs.
"""

from __future__ import annotations

import torch

from dmlvae.core.config import RunConfig
from dmlvae.core.numeric import UNKNOWN, differences, drift, environment, recorded
from dmlvae.core.train import run
from dmlvae.errors import DmlvaeError


def find_row(rows: list, key: str) -> dict:
    """The stored, trained row of ``key`` (a unique prefix will do); a reused copy points to the row it copied."""

    hits = [r for r in rows if str(r.get("key", "")).startswith(key) and r.get("status") == "ok"]
    keys = sorted({r["key"] for r in hits})
    if not keys:
        raise DmlvaeError(f"no finished run with key {key!r} in the results file; `table` and the rows name the keys")
    if len(keys) > 1:
        raise DmlvaeError(f"key {key!r} names {len(keys)} runs ({', '.join(k[:12] for k in keys[:4])}, ...): give more")
    trained = [r for r in hits if not r.get("reused_from")]
    return (trained or hits)[0]


def rerun(row: dict, run_fn=None) -> dict:
    """Train ``row``'s configuration again under its recorded thread count; return the drift of each metric, the
    environment fields that differ here, and whether every metric is bit-identical."""

    cfg = RunConfig.from_dict(row["config"])
    threads = recorded(row)["threads"]
    before = torch.get_num_threads()
    if threads != UNKNOWN:
        torch.set_num_threads(int(threads))
    try:
        here = environment()
        again = (run_fn or run)(cfg)
    finally:
        torch.set_num_threads(before)
    d = drift(row, again)
    return {
        "key": row["key"],
        "grid": row.get("table"),
        "threads": threads,
        "drift": d,
        "identical": all(v == 0.0 for v in d.values()),
        "differences": differences(row, here),
    }


def report(out: dict) -> str:
    """``rerun``'s answer as text: ``bit-identical`` or each metric's drift, then the environment that differs."""
    head = f"run {out['key'][:12]} (grid {out['grid']}, {out['threads']} thread(s))"
    if out["identical"]:
        lines = [f"{head}: bit-identical ({len(out['drift'])} metrics)"]
    else:
        lines = [f"{head}: largest relative drift of each metric"]
        lines += [f"  {k}: {v:.2e}" for k, v in out["drift"].items()]
    diff = out["differences"]
    if diff:
        lines.append("recorded environment that differs here (recorded -> this machine):")
        lines += [f"  {k}: {w} -> {h}" for k, (w, h) in diff.items()]
    else:
        lines.append("recorded environment: the same here")
    return "\n".join(lines)
