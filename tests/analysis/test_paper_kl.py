"""What the paper's GMM KL did in stored runs (dmlvae.analysis.paper_kl)."""

from dmlvae.analysis import paper_kl


def _paper_rows(norm, kl, status="ok", reason=None):
    return [
        {
            "config": {"model": "dml_gmm_prior", "kl": "paper", "lsdim": 2, "gmm_logvar": 1.0},
            "status": status,
            "reason": reason,
            "history": [{"embedding_norm": norm, "kl": kl}],
        },
        {
            "config": {"model": "dml_gmm_prior", "kl": "correct", "lsdim": 2, "gmm_logvar": 1.0},
            "status": "ok",
            "history": [{"embedding_norm": 50.0, "kl": 0.3}],
        },
    ]  # the correct KL's run is not the paper's


def test_paper_kl_outcome_follows_the_rows():

    centre = paper_kl.paper_kl_outcome(_paper_rows(0.018, 0.640))
    assert "mean |mu| of 0.018 to 0.018 and a final value of 0.640 to 0.640" in centre
    assert "The latents settle at the centre" in centre and "0.632" in centre
    assert paper_kl.paper_kl_outcome(_paper_rows(250.0, -9000.0)).endswith("the latents run off.")
    failed = paper_kl.paper_kl_outcome(_paper_rows(None, None, "failed", "DivergedError: mean embedding norm"))
    assert failed == "1 run(s) failed as diverged; the latents run off."
    assert paper_kl.paper_kl_outcome(_paper_rows(1.5, 0.1)).endswith(
        "neither run off nor settle at the centre of the hypercube."
    )
    assert "No run" in paper_kl.paper_kl_outcome([])
