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


def test_difference_heatmap_colours_each_cell_by_its_mean_and_stars_only_intervals_that_exclude_zero():
    import pandas as pd

    diffs = pd.DataFrame(
        [
            ("mnist", "A", 0.01, 0.30, 0.20, 0.40, 5, 0.001),
            ("mnist", "A", 0.10, -0.05, -0.10, -0.01, 5, 0.02),
            ("mnist", "B", 0.01, 0.02, -0.01, 0.05, 5, 0.2),
            ("fashion-mnist", "A", 0.01, 0.10, 0.05, 0.15, 4, 0.01),
        ],
        columns=["dataset", "contender", "pl_pct", "mean", "low", "high", "n", "p"],
    )
    fig = plots.difference_heatmap(diffs, "t", [0, 1, 2, 3, 4], lambda ds, p: f"{int(p * 600)}")
    left, right = fig.data
    assert list(left.y) == ["A", "B"] and list(left.x) == ["6", "60"]
    assert [list(r) for r in left.z] == [[0.30, -0.05], [0.02, None]]  # B has no run at 0.1 %
    assert [list(r) for r in left.text] == [["+0.30*", "-0.05*"], ["+0.02", ""]]
    assert left.customdata[1][1] == "no runs" and "[+0.200, +0.400]" in left.customdata[0][0]
    assert "5 seeds (0, 1, 2, 3, 4)" in left.customdata[0][0] and "p 0.001" in left.customdata[0][0]
    assert left.zmid == 0 and left.zmin == -0.30 and left.zmax == 0.30  # one symmetric scale for every panel
    assert (right.zmin, right.zmax) == (left.zmin, left.zmax) and right.showscale and not left.showscale
    assert [list(r) for r in right.z] == [[0.10], [None]] and "4 seeds" in right.customdata[0][0]
