"""Plotly figures for the book's pages, and a renderer that puts real HTML into executed notebooks.

The book serves plotly.js itself (``book/_static/plotly.min.js``, copied from the plotly package at
build time and loaded on every page), so figures carry only their data: pages work offline.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.io._base_renderers import MimetypeRenderer
from plotly.subplots import make_subplots
from tqdm import TqdmWarning

from dmlvae.core import data
from dmlvae.core.data import Dataset, histogram, labelled_subset
from dmlvae.core.priors import pair_modes
from dmlvae.experiments.paper import weight_label


class BookRenderer(MimetypeRenderer):
    """Emit a ``text/html`` div without plotly.js (the book loads it once, from its own static files)."""

    def to_mimebundle(self, fig_dict):
        html = pio.to_html(
            fig_dict, include_plotlyjs=False, full_html=False, config={"responsive": True, "displaylogo": False}
        )
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
            grid[c * (h + 2) + 1 : c * (h + 2) + 1 + h, j * (w + 2) + 1 : j * (w + 2) + 1 + w] = x[i, 0]
    fig = go.Figure(go.Heatmap(z=grid[::-1], colorscale="gray", reversescale=True, showscale=False, hoverinfo="skip"))
    centres = [(ds.n_classes - 1 - c) * (h + 2) + (h + 2) / 2 for c in range(ds.n_classes)]
    names = [n if n == str(c) else f"{c}: {n}" for c, n in enumerate(ds.class_names)]
    fig.update_yaxes(tickvals=centres, ticktext=names, scaleanchor="x", showgrid=False, zeroline=False)
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False)
    fig.update_layout(
        title=dict(text=f"{ds.name}: random {split} images per class (seed {seed})", font_size=14),
        height=70 + 34 * ds.n_classes,
        width=max(520, 140 + 34 * per_class),
        margin=dict(l=120, r=10, t=50, b=10),
        plot_bgcolor="white",
    )
    return fig


def labelled_histograms(ds: Dataset, pl_pcts, seed: int = 0, policy: str = "uniform") -> go.Figure:
    """Label histogram of the labelled training subset, one panel per labelled percentage."""
    fig = make_subplots(rows=1, cols=len(pl_pcts), shared_yaxes=False, subplot_titles=[f"pl% = {p}" for p in pl_pcts])
    y = ds.labels["train"]
    for k, p in enumerate(pl_pcts, start=1):
        idx = labelled_subset(y, p, seed=seed, policy=policy)
        counts = histogram(y[idx], ds.n_classes)
        fig.add_bar(x=list(counts), y=list(counts.values()), name=f"{p}% ({len(idx)} labels)", row=1, col=k)
        fig.update_xaxes(title_text="class", type="category", row=1, col=k)
    fig.update_yaxes(title_text="labelled images", row=1, col=1)
    fig.update_layout(
        title=f"{ds.name}: labels in the labelled subset ({policy} draw, seed {seed})",
        height=380,
        showlegend=True,
        bargap=0.15,
    )
    return fig


def paper_vs_ours(cmp, title: str) -> go.Figure:
    """Ours (mean +- sd over seeds) against the paper's value for every reported number; the diagonal is
    perfect agreement."""
    df = cmp[cmp.n_seeds > 0].copy()
    fig = go.Figure()
    for metric, part in df.groupby("metric", sort=False):
        text = [
            f"{r.model} {weight_label(r)}<br>pl%={r.pl_pct:g} lsdim={r.lsdim}<br>seeds {r.seeds}<br>"
            f"ours {r.ours}<br>paper {r.paper:.3f}"
            for r in part.itertuples()
        ]
        fig.add_scatter(
            x=part.paper,
            y=part.ours_mean,
            mode="markers",
            name=metric,
            text=text,
            hovertemplate="%{text}<extra></extra>",
            error_y=dict(type="data", array=part.ours_sd.fillna(0), visible=True, thickness=1),
        )
    lo = float(min(df.paper.min(), (df.ours_mean - df.ours_sd.fillna(0)).min(), 0)) if len(df) else 0
    fig.add_scatter(
        x=[lo, 1], y=[lo, 1], mode="lines", line=dict(dash="dot", color="grey"), name="ours = paper", hoverinfo="skip"
    )
    fig.update_layout(title=title, xaxis_title="paper", yaxis_title="ours (mean ± sd over seeds)", height=450)
    return fig


def metric_bars(cmp, metric: str, title: str) -> go.Figure:
    """Grouped bars per labelled percentage: ours with sd error bars, the paper as diamonds."""
    df = cmp[cmp.metric == metric].copy()
    df["config"] = [f"{r.model} {weight_label(r)}" if r.model != "dml" else "DML" for r in df.itertuples()]
    dims = sorted(df.lsdim.unique())
    fig = make_subplots(rows=1, cols=len(dims), subplot_titles=[f"lsdim {d}" for d in dims], shared_yaxes=True)
    colours = {}
    for col, (lsdim, part) in enumerate(sorted(df.groupby("lsdim"), key=lambda kv: kv[0]), start=1):
        for config, cp in part.groupby("config", sort=False):
            colour = colours.setdefault(config, f"hsl({len(colours) * 47 % 360}, 60%, 45%)")
            x = [f"{p:g}%" for p in cp.pl_pct]
            fig.add_bar(
                x=x,
                y=cp.ours_mean,
                name=config,
                legendgroup=config,
                showlegend=col == 1,
                marker_color=colour,
                error_y=dict(type="data", array=cp.ours_sd.fillna(0)),
                customdata=cp.seeds,
                hovertemplate="%{y:.3f} (seeds %{customdata})",
                row=1,
                col=col,
            )
            fig.add_scatter(
                x=x,
                y=cp.paper,
                mode="markers",
                marker=dict(symbol="diamond-open", size=10, color=colour),
                name=f"{config} (paper)",
                legendgroup=config,
                showlegend=False,
                hovertemplate="paper %{y:.3f}",
                row=1,
                col=col,
            )
    fig.update_layout(title=title, barmode="group", height=420, yaxis_title=metric)
    fig.update_xaxes(title_text="labelled %")
    return fig


def latent_scatter(
    z: np.ndarray,
    y: np.ndarray,
    title: str,
    class_names=None,
    prior_means=None,
    unit_circle: bool = False,
    max_points: int = 3000,
    seed: int = 0,
) -> go.Figure:
    """Test latents coloured by class (UMAP to 2-d when lsdim > 2), optionally with the prior's components."""
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(z), size=min(max_points, len(z)), replace=False)
    z, y = np.asarray(z)[idx], np.asarray(y)[idx]
    axis = ("z1", "z2")
    if z.shape[1] > 2:
        with warnings.catch_warnings():  # umap's neighbour search imports tqdm.auto: no widgets in a built page
            warnings.simplefilter("ignore", TqdmWarning)
            import umap  # heavy optional dependency, imported on first use
        z = umap.UMAP(random_state=seed, n_jobs=1).fit_transform(z)
        axis = ("UMAP 1", "UMAP 2")
        prior_means = None
    elif z.shape[1] == 1:
        z = np.c_[z, rng.normal(0, 0.02, len(z))]
    fig = go.Figure()
    for c in np.unique(y):
        name = class_names[c] if class_names is not None else str(c)
        fig.add_scattergl(
            x=z[y == c, 0], y=z[y == c, 1], mode="markers", marker=dict(size=4, opacity=0.7), name=str(name)
        )
    if prior_means is not None:
        m = np.asarray(prior_means)
        fig.add_scatter(
            x=m[:, 0],
            y=m[:, 1],
            mode="markers",
            name="prior components",
            marker=dict(symbol="x", size=14, color="black", line=dict(width=2)),
        )
    if unit_circle:
        t = np.linspace(0, 2 * np.pi, 100)
        for r in (1, 2):
            fig.add_scatter(
                x=r * np.cos(t),
                y=r * np.sin(t),
                mode="lines",
                line=dict(color="black", dash="dot"),
                name=f"N(0, I): {r} sd",
                hoverinfo="skip",
            )
    fig.update_layout(title=title, xaxis_title=axis[0], yaxis_title=axis[1], height=480, width=560)
    if prior_means is not None or unit_circle:
        _scale_to_latents(fig, z, prior_means, unit_circle)
        fig.update_layout(margin=dict(t=140), title_y=0.92, title_yanchor="top")  # the title, then the note under it
    return fig


def _scale_to_latents(fig: go.Figure, z: np.ndarray, prior_means, unit_circle: bool) -> None:
    """Axes scaled to the latents (their 0.5-99.5 percentiles, padded), not to the prior drawn beside them: latents
    that collapsed to a point near 0 stay visible. What of the prior falls outside the view is named in a note."""
    lo, hi = np.percentile(z, [0.5, 99.5], axis=0)
    pad = 0.15 * np.maximum(hi - lo, 1e-3)
    lo, hi = lo - pad, hi + pad
    fig.update_xaxes(range=[float(lo[0]), float(hi[0])])
    fig.update_yaxes(range=[float(lo[1]), float(hi[1])])
    outside = []
    if prior_means is not None:
        m = np.asarray(prior_means)
        if ((m[:, :2] < lo) | (m[:, :2] > hi)).any():
            outside.append("the prior's components (crosses)")
    if unit_circle and (lo > -1).any() | (hi < 1).any():
        outside.append("N(0, I)'s 1 and 2 sd circles")
    if outside:
        span = float(np.abs(z).max())
        fig.add_annotation(
            text=f"scaled to the latents (|z| up to {span:.2g});<br>outside this view: {' and '.join(outside)}",
            xref="paper",
            yref="paper",
            x=0,
            y=1.02,
            yanchor="bottom",
            align="left",
            showarrow=False,
            font=dict(size=11),
            xanchor="left",
        )


def history_lines(rows, key: str, title: str, label=lambda r: "", yaxis: str | None = None) -> go.Figure:
    """One line per run of a per-epoch history value (e.g. the reconstruction loss, Figure 6)."""
    fig = go.Figure()
    for r in rows:
        pts = [(h["epoch"], h.get(key)) for h in r.get("history") or [] if h.get(key) is not None]
        if pts:
            fig.add_scatter(x=[p[0] for p in pts], y=[p[1] for p in pts], mode="lines+markers", name=label(r))
    fig.update_layout(title=title, xaxis_title="epoch", yaxis_title=yaxis or key, height=420)
    return fig


def prior_pairs(logvars=(1.0, 0.0, -1.0), title: str = "") -> go.Figure:
    """The 1-D factor 1/2 N(-1, s^2) + 1/2 N(+1, s^2) of the hypercube GMM prior for each log-variance, with
    its number of modes (``priors.pair_modes``)."""

    fig = go.Figure()
    t = np.linspace(-5, 5, 801)
    for lv in logvars:
        s = float(np.exp(0.5 * lv))
        dens = 0.5 * (np.exp(-0.5 * ((t + 1) / s) ** 2) + np.exp(-0.5 * ((t - 1) / s) ** 2)) / (s * np.sqrt(2 * np.pi))
        fig.add_scatter(
            x=t,
            y=dens,
            mode="lines",
            name=f"logvar {lv:g} (s = {s:.2f}): {pair_modes(lv)} mode{'s' if pair_modes(lv) > 1 else ''}",
        )
    fig.add_vline(x=-1, line_dash="dot", line_color="grey")
    fig.add_vline(x=1, line_dash="dot", line_color="grey")
    fig.update_layout(title=title, xaxis_title="z_d", yaxis_title="density of one factor", height=380)
    return fig


def forest(cells: pd.DataFrame, title: str = "") -> go.Figure:
    """Every cell's seed-paired difference with its 95 % interval, one row per (claim, cell), a marker colour per
    protocol; zero marked and the claim's side (positive: every difference is oriented so) shaded. ``cells``:
    rows with claim, protocol, difference, cell, mean, low, high and, where given, p and p_holm (the hover shows
    them; ``scorecard.cell_frame``)."""
    colours = {"test-cv": "#1f77b4", "labelled-to-test": "#d62728"}
    labels = [f"{c}: {cell}" for c, cell in zip(cells.claim, cells.cell)]
    order = list(dict.fromkeys(labels))
    fig = go.Figure()
    for protocol, g in cells.assign(label=labels).groupby("protocol", sort=False):
        fig.add_trace(
            go.Scatter(
                x=g["mean"],
                y=g["label"],
                mode="markers",
                name=protocol,
                marker=dict(color=colours.get(protocol)),
                error_x=dict(
                    type="data", symmetric=False, array=g["high"] - g["mean"], arrayminus=g["mean"] - g["low"]
                ),
                customdata=np.c_[g["difference"], g.get("p", np.nan), g.get("p_holm", np.nan)],
                hovertemplate="%{y}<br>%{customdata[0]}: %{x:+.3f}<br>p %{customdata[1]:.3f}, Holm "
                "%{customdata[2]:.3f}<extra>" + protocol + "</extra>",
            )
        )
    span = float(np.nanmax(np.abs(np.r_[cells["low"], cells["high"], 0.05]))) * 1.05
    fig.add_vrect(
        x0=0,
        x1=span,
        fillcolor="#1b7837",
        opacity=0.08,
        line_width=0,
        annotation_text="the claim's side",
        annotation_position="top right",
    )
    fig.add_vline(x=0, line_color="black", line_width=1)
    fig.update_yaxes(categoryorder="array", categoryarray=order[::-1], automargin=True, tickfont=dict(size=10))
    fig.update_xaxes(
        title="seed-paired difference (accuracy), mean and 95 % interval", range=[-span, span], zeroline=False
    )
    fig.update_layout(
        title=dict(text=title, y=0.995, yanchor="top"),
        height=160 + 18 * len(order),
        legend=dict(orientation="h", y=-0.06),
        margin=dict(l=10, r=10, t=90, b=40),
    )
    return fig


def _heatmap_panel(d: pd.DataFrame, contenders, seed_text: str):
    """One dataset's panel of :func:`difference_heatmap`: its labelled percentages and, per contender (rows) and
    percentage (columns), the colour value, the text written in the cell and the hover."""
    pcts = sorted(d.pl_pct.unique())
    cell = {(r.contender, r.pl_pct): r for r in d.itertuples()}
    z, text, hover = [], [], []
    for c in contenders:
        rows = [cell.get((c, p)) for p in pcts]
        z.append([None if r is None else r.mean for r in rows])
        text.append(["" if r is None else f"{r.mean:+.2f}" + ("*" if r.low > 0 or r.high < 0 else "") for r in rows])
        hover.append(
            [
                "no runs"
                if r is None
                else f"{c}<br>{p:g} % labelled: {r.mean:+.3f} [{r.low:+.3f}, {r.high:+.3f}]<br>p {r.p:.3g}; "
                f"{r.n} seeds ({seed_text})"
                for p, r in zip(pcts, rows)
            ]
        )
    return pcts, z, text, hover


def difference_heatmap(diffs: pd.DataFrame, title: str, seeds, labels_of=None) -> go.Figure:
    """One panel per dataset: contender (rows) by labelled percentage (columns), the colour each cell's
    seed-paired difference from the baseline (diverging, 0 white, one scale for every panel), its value written in
    the cell and marked * where the 95 % interval excludes 0; the hover gives the interval, p and the seeds.
    ``diffs``: rows with dataset, contender, pl_pct, mean, low, high, n and p (``analysis.beyond.versus_dml``);
    ``labels_of(dataset, pl_pct)``: the column's label count, its tick (else the percentage)."""
    datasets = list(dict.fromkeys(diffs.dataset))
    contenders = list(dict.fromkeys(diffs.contender))
    span = float(np.nanmax(np.abs(np.r_[diffs["mean"], 0.01])))
    fig = make_subplots(rows=1, cols=len(datasets), subplot_titles=datasets, shared_yaxes=True, horizontal_spacing=0.03)
    seed_text = ", ".join(map(str, seeds))
    for col, ds in enumerate(datasets, start=1):
        pcts, z, text, hover = _heatmap_panel(diffs[diffs.dataset == ds], contenders, seed_text)
        fig.add_trace(
            go.Heatmap(
                z=z,
                x=[labels_of(ds, p) if labels_of else f"{p:g} %" for p in pcts],
                y=contenders,
                text=text,
                texttemplate="%{text}",
                textfont=dict(size=10),
                customdata=hover,
                hovertemplate="%{customdata}<extra></extra>",
                colorscale="RdBu",
                zmid=0,
                zmin=-span,
                zmax=span,
                showscale=col == len(datasets),
                colorbar=dict(title="minus DML"),
                xgap=2,
                ygap=2,
            ),
            row=1,
            col=col,
        )
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(tickangle=0, tickfont=dict(size=10), title=dict(text="labels" if labels_of else "% labelled"))
    fig.update_layout(
        title=dict(text=title, x=0, xanchor="left", y=0.99, yanchor="top", font=dict(size=14)),
        height=170 + 40 * len(contenders),
        margin=dict(l=10, r=10, t=90, b=50),
    )
    return fig


def run_scatter(run: dict, name: str, seed: int = 0) -> go.Figure:
    """The test latents of a live run (``train.run``'s result), coloured by class with the dataset's class names:
    "NAME: test latents, N labels, seed S"."""

    title = f"{name}: test latents, {run['n_labelled']} labels, seed {run['config']['seed']}"
    names = data.load(run["dataset_used"]).class_names
    return latent_scatter(run["z_test"], run["y_test"], title, class_names=names, seed=seed)
