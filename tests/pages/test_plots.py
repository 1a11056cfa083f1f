"""Figures (dmlvae.pages.plots) whose scale or content a reader depends on."""

import numpy as np

from dmlvae.core import priors
from dmlvae.pages import plots


def test_figure5_is_scaled_to_its_latents_and_names_the_prior_outside_the_view():
    """Latents collapsed near 0 (|z| < 0.05) beside hypercube components at ±1: the axes follow the latents, not the
    components, and a note says the components lie outside the view."""
    rng = np.random.default_rng(0)
    z, y = rng.normal(0, 0.01, (500, 2)), rng.integers(0, 3, 500)
    fig = plots.latent_scatter(z, y, "collapsed", prior_means=priors.hypercube_means(2))
    x0, x1 = fig.layout.xaxis.range
    y0, y1 = fig.layout.yaxis.range
    assert -0.1 < x0 < 0 < x1 < 0.1 and -0.1 < y0 < 0 < y1 < 0.1
    assert "outside this view: the prior's components" in fig.layout.annotations[0].text
    spread = rng.normal(0, 1.5, (500, 2))  # latents that reach the components: every component in view, no note
    fig = plots.latent_scatter(spread, y, "spread", prior_means=priors.hypercube_means(2))
    assert fig.layout.xaxis.range[0] < -1 < 1 < fig.layout.xaxis.range[1] and not fig.layout.annotations
    fig = plots.latent_scatter(z, y, "unit", unit_circle=True)
    assert "N(0, I)'s 1 and 2 sd circles" in fig.layout.annotations[0].text
