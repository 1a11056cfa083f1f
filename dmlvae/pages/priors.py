"""Page 03's back-end (priors): the ablation table, mu beside sampled z, Figure 5 and the factorisation check."""

from __future__ import annotations

import torch
from IPython.display import Markdown

from dmlvae.analysis import paper_kl, statements, tables
from dmlvae.core import data
from dmlvae.core.losses import log_mixture
from dmlvae.core.priors import hypercube_factor_log_prob, hypercube_means
from dmlvae.experiments import grids, store
from dmlvae.pages import blocks, plots
from dmlvae.pages.page import cached

PAPERS_DATASET, PAPERS_FIGURE5 = "the paper's is OrganAMNIST", "the paper's Figure 5 is OrganAMNIST's"


# The priors page: each function takes the page (pages.Page), trains what the results file lacks (or, under the auto
# profile, names it) and gives one table, figure or paragraph.
def page_dataset(page) -> str:
    """The dataset Table 3, the ablation and Figure 5 run on: OrganAMNIST, or the page's dataset or stand-in."""
    return page.table_dataset(3)[0] or "organamnist"


def mu_and_z(page):
    """Table 3's prior models scored on the mean mu and on a sampled z (kNN, test-cv): mean ± sd per model, lsdim."""

    rows = [r for r in page.table_rows(3) if r["status"] == "ok" and r["config"]["model"] != "dml"]
    return tables.summary(
        tables.flatten(rows, ["model", "lsdim"], tables.MU_AND_Z), ["model", "lsdim"], ["mu", "sampled z"]
    )


def _stand_in_words(rows, words: str) -> str:
    """`` (a stand-in: WORDS)`` when any of ``rows`` ran on a stand-in dataset, else ''."""

    return f" (a stand-in: {words})" if any(grids.is_stand_in(r) for r in rows) else ""


def ablation(page) -> list:
    """The metric-input x alternating-order ablation at one Table 3 cell, the parts the page shows (Page.show): its
    caption and table, then (Markdown) whether the order changes Table 3's chance level, from the rows (only the
    caption and table when no run is stored)."""
    shown = []  # what the page shows, in order (Page.show displays it)

    used = page_dataset(page)
    rows = page.rows("priors-ablation", grids.cells("priors-ablation", dataset=used, alpha=page.p.figure_alpha))
    ab = tables.flatten(rows, ["model", "metric_on", "alternate_first"], tables.MU_AND_Z, last={"last phase": "phase"})
    ab = ab.rename(columns={"metric_on": "metric on", "alternate_first": "first phase"})
    shown += [
        Markdown(
            f"Dataset `{used}`{_stand_in_words(rows, PAPERS_DATASET)}, profile `{page.profile}`, seeds "
            f"{page.seed_list}; kNN accuracy, test-cv."
        )
    ]
    shown += [tables.summary(ab, ["model", "metric on", "first phase", "last phase"], ["mu", "sampled z"])]
    if not len(ab):
        return shown
    order = ab.groupby(["model", "first phase"])["mu"].mean().unstack()
    best = ab.groupby(["model", "metric on", "first phase"])["sampled z"].mean().max()
    return [
        *shown,
        Markdown(
            f"**Does the order change Table 3's chance level?** On a sampled *z*, no combination leaves chance "
            f"(the best mean is {best:.3f}, with {len(data.load(used).class_names)} classes). On *μ*, "
            "unsupervised-first (ending on a supervised epoch) against supervised-first: "
            + "; ".join(
                f"{m} {order.loc[m, 'unsupervised']:.3f} vs {order.loc[m, 'supervised']:.3f}" for m in order.index
            )
            + " (mean over both metric inputs and the seeds)."
        ),
    ]


def _figure5_configs(page):

    cells = grids.cells("figure5", dataset=page_dataset(page), alpha=page.p.figure_alpha)
    return page.configs("figure5", cells)


@cached
def figure5_rows(page) -> list[dict]:
    """Figure 5's rows (both priors at lsdim 2, the GMM prior under both KLs), their test latents kept."""
    return page.rows("figure5", cfgs=_figure5_configs(page), keep_latents=True)


def figure5_table(page) -> list:
    """Figure 5's runs: kNN on mu and on a sampled z, the final KL, the mean |mu| and any failure: its caption, then
    the table (Page.show)."""
    shown = []  # what the page shows, in order (Page.show displays it)

    rows = figure5_rows(page)
    shown += [
        Markdown(
            f"Dataset `{page_dataset(page)}`{_stand_in_words(rows, PAPERS_FIGURE5)}, alpha "
            f"{page.p.figure_alpha}, profile `{page.profile}`, seeds {page.seed_list}."
        )
    ]
    return [
        *shown,
        tables.flatten(
            rows,
            ["model", "kl"],
            tables.MU_AND_Z,
            last={"final KL": "kl", "mean |mu|": "embedding_norm"},
            keep=["reason"],
        ).round(3),
    ]


def figure5(page) -> list:
    """The parts the page shows (Page.show), in order: Figure 5: the test latents of the first seed's runs with the
    prior's components (a failed run is named instead)."""
    shown = []  # what the page shows, in order (Page.show displays it)

    used, alpha = page_dataset(page), page.p.figure_alpha
    names = data.load(used).class_names
    ok = {r["key"] for r in figure5_rows(page) if r["status"] == "ok"}
    for cfg in _figure5_configs(page):
        if cfg.seed != page.seed_list[0]:
            continue
        if cfg.key() not in ok:
            shown += [Markdown(f"*{cfg.model}, kl={cfg.kl}, seed {cfg.seed}: the run failed (see the table above).*")]
            continue
        z, y = store.load_latents(page.results, "figure5", page.profile, cfg)
        shown.append(
            plots.latent_scatter(
                z,
                y,
                f"{cfg.model}, kl={cfg.kl}<br>({used}, lsdim 2, 10 % labels, alpha {alpha:g}, seed {cfg.seed})",
                class_names=names,
                prior_means=hypercube_means(2) if cfg.model == "dml_gmm_prior" else None,
                unit_circle=cfg.model == "dml_unit_prior",
            )
        )
    return shown


def factorisation_check(n: int = 2000, d: int = 4, seed: int = 0) -> str:
    """Markdown: on ``n`` random points in ``d`` dimensions, the largest difference between the 2^d-component
    hypercube mixture's log-density and the product of its 1-D pairs (0 up to rounding)."""
    z = torch.randn(n, d, dtype=torch.float64, generator=torch.Generator().manual_seed(seed)) * 2
    means = torch.as_tensor(hypercube_means(d), dtype=torch.float64)
    gap = (hypercube_factor_log_prob(z, 1.0) - log_mixture(z, means, 1.0)).abs().max().item()
    return (
        f"Check on {n:,} random points in {d}-D: the largest difference between the {2**d}-component mixture's "
        f"log-density and the product of 1-D pairs is {gap:.1e}. How many modes one pair has is the first "
        "exercise below (its solution draws the pair)."
    )


def table3_at_chance(page) -> None:
    """The guard of the introduction's sentence about the paper's Table 3 (both prior models at chance everywhere):
    raises (and the page fails to build) when the paper's numbers stop supporting it."""
    statements.paper_table3_at_chance()


def kl_outcome(page):
    """What the paper's GMM KL did in Figure 5's runs (``paper_kl.paper_kl_outcome``), as Markdown."""
    return page.md(paper_kl.paper_kl_outcome(figure5_rows(page)))


def answer_box(page):
    """The box the page opens with (``blocks.claims_answer``): our numbers against the paper's and the
    scorecard's verdicts on claims 4 and 5 on Table 3 and Figure 5."""
    return blocks.claims_answer(page, (4, 5), (3,))
