"""What the paper's GMM KL did in stored runs: the posterior means sat at the centre, ran off, or settled elsewhere."""

from __future__ import annotations

from dmlvae.core.priors import paper_kl_at_centre

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
