"""Plotly figures for the book's pages, and a renderer that puts real HTML into executed notebooks.

The book serves plotly.js itself (``book/_static/plotly.min.js``, copied from the plotly package at
build time and loaded on every page), so figures carry only their data: pages work offline.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from plotly.io._base_renderers import MimetypeRenderer
from plotly.subplots import make_subplots

from .data import Dataset, histogram, labelled_subset


class BookRenderer(MimetypeRenderer):
    """Emit a ``text/html`` div without plotly.js (the book loads it once, from its own static files)."""

    def to_mimebundle(self, fig_dict):
        html = pio.to_html(fig_dict, include_plotlyjs=False, full_html=False,
                           config={"responsive": True, "displaylogo": False})
        return {"text/html": html}


def setup() -> None:
    """Make ``fig.show()`` write book-ready HTML (call once at the top of a page)."""
    pio.renderers["dmlvae-book"] = BookRenderer()
    pio.renderers.default = "dmlvae-book"


def sample_grid(ds: Dataset, split: str = "train", per_class: int = 8, seed: int = 0) -> go.Figure:
    """One row per class of ``per_class`` random images of ``split`` (drawn with ``seed``)."""
    x, y = ds.split(split)
    rng = np.random.default_rng(seed)
    h, w = x.shape[-2:]
    grid = np.ones((ds.n_classes * (h + 2), per_class * (w + 2)), dtype=np.float32)
    for c in range(ds.n_classes):
        members = np.flatnonzero(y == c)
        pick = rng.choice(members, size=min(per_class, len(members)), replace=False) if len(members) else []
        for j, i in enumerate(pick):
            grid[c * (h + 2) + 1:c * (h + 2) + 1 + h, j * (w + 2) + 1:j * (w + 2) + 1 + w] = x[i, 0]
    fig = go.Figure(go.Heatmap(z=grid[::-1], colorscale="gray", reversescale=True, showscale=False,
                               hoverinfo="skip"))
    centres = [(ds.n_classes - 1 - c) * (h + 2) + (h + 2) / 2 for c in range(ds.n_classes)]
    fig.update_yaxes(tickvals=centres, ticktext=[n if n == str(c) else f"{c}: {n}" for c, n in enumerate(ds.class_names)],
                     scaleanchor="x", showgrid=False, zeroline=False)
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False)
    fig.update_layout(title=dict(text=f"{ds.name}: random {split} images per class (seed {seed})", font_size=14),
                      height=70 + 34 * ds.n_classes, width=max(520, 140 + 34 * per_class),
                      margin=dict(l=120, r=10, t=50, b=10), plot_bgcolor="white")
    return fig


def labelled_histograms(ds: Dataset, pl_pcts, seed: int = 0, policy: str = "uniform") -> go.Figure:
    """Label histogram of the labelled training subset, one panel per labelled percentage."""
    fig = make_subplots(rows=1, cols=len(pl_pcts), shared_yaxes=False,
                        subplot_titles=[f"pl% = {p}" for p in pl_pcts])
    y = ds.labels["train"]
    for k, p in enumerate(pl_pcts, start=1):
        idx = labelled_subset(y, p, seed=seed, policy=policy)
        counts = histogram(y[idx], ds.n_classes)
        fig.add_bar(x=list(counts), y=list(counts.values()), name=f"{p}% ({len(idx)} labels)",
                    row=1, col=k)
        fig.update_xaxes(title_text="class", type="category", row=1, col=k)
    fig.update_yaxes(title_text="labelled images", row=1, col=1)
    fig.update_layout(title=f"{ds.name}: labels in the labelled subset ({policy} draw, seed {seed})",
                      height=380, showlegend=True, bargap=0.15)
    return fig
