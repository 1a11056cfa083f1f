"""Page 05's back-end (beyond the paper): the shares grid against DML, the label-propagation baseline, the uniform draw
and the graph grid under the realistic protocol.
"""

from __future__ import annotations

import pandas as pd
from IPython.display import Markdown

from dmlvae.analysis import realistic, tables
from dmlvae.analysis.beyond import (
    AUTOENCODER_ALONE,
    _sentences,
    PROTOCOLS,
    answer,
    answer_table,
    ceiling,
    chosen_setting,
    frame,
    labels_answer,
    labels_word,
    short_answer,
    show,
    validation_source,
    versus,
    versus_dml,
)
from dmlvae.analysis.realistic import SECONDS, anchors, configs, findings_parts, header, shown_table, summary
from dmlvae.core.config import RunConfig
from dmlvae.experiments import grids, paper, profiles, store, sweep
from dmlvae.pages import plots
from dmlvae.pages.blocks import answer_box as box
from dmlvae.pages.blocks import toggle
from dmlvae.pages.geodesic import show_failed
from dmlvae.pages.page import cached


# The beyond page: each function takes the page (pages.Page with the beyond page's parameters), trains what the
# results file lacks (or, under the auto profile, names it) and shows one table, figure or paragraph.
def page_datasets(page) -> list[str]:
    """The page's dataset (MNIST by default), then its stand-in (``grids.beyond_datasets``)."""
    return grids.beyond_datasets(page.profile, page.p.dataset or "mnist", page.p.stand_in)


def page_configs(page) -> list:
    """The beyond grid's RunConfigs on each of the page's datasets, at its lsdim, alpha and gamma."""
    p = page.p
    return [
        c
        for d in page_datasets(page)
        for c in page.configs("beyond", grids.cells("beyond", dataset=d, lsdim=p.lsdim, alpha=p.alpha, gamma=p.gamma))
    ]


@cached
def page_runs(page) -> pd.DataFrame:
    """Every run of the beyond grid the page shows (:func:`frame`), trained first when missing; read once per page
    (the tables, differences, answers, figure and uniform-draw cells share it, and none changes it in place)."""
    return frame(page.rows("beyond", cfgs=page_configs(page)))


def accuracy_tables(page) -> list:
    """The parts the page shows (Page.show), in order: the failed runs (if any), then kNN accuracy per dataset,
    contender and labelled percentage under each protocol (mean ± sd over seeds)."""
    shown = []  # what the page shows, in order (Page.show displays it)

    runs = page_runs(page)
    shown += show_failed(runs)
    ok = runs[runs.status == "ok"]
    order = [n for n, _ in grids.BEYOND_CONTENDERS]
    shown += [
        Markdown(
            f"Profile `{page.profile}`, seeds {page.seed_list}, lsdim {page.p.lsdim}, alpha {page.p.alpha}, "
            f"gamma {page.p.gamma}; kNN accuracy, mean ± sd over seeds; columns: percent of the training "
            "images labelled."
        )
    ]
    for protocol in PROTOCOLS:
        table = ok.pivot_table(index=["dataset", "contender"], columns="pl_pct", values=protocol, aggfunc=paper.mean_sd)
        table = table.reindex([(d, n) for d in page_datasets(page) for n in order])
        summary = f"kNN accuracy, {protocol}: every contender (mean ± sd over seeds)"
        shown += [Markdown(toggle(summary, table.to_html()))]
    return shown


@cached
def page_differences(page) -> dict:
    """{protocol: each contender minus DML, seed-paired (:func:`versus_dml`)}."""
    return {p: versus_dml(page_runs(page), p) for p in PROTOCOLS}


def show_differences(page) -> list:
    """The parts the page shows (Page.show), in order: each contender minus DML under each protocol (:func:`show`)."""
    shown = []  # what the page shows, in order (Page.show displays it)

    for protocol, d in page_differences(page).items():
        shown += [Markdown(toggle(f"Minus DML, {protocol}: mean [95 % interval] over seeds", show(d).to_html()))]
    return shown


def difference_heatmaps(page) -> list:
    """One heatmap per protocol: contender by labels, coloured by the seed-paired difference from DML, * where
    the 95 % interval excludes 0 (``plots.difference_heatmap``)."""
    runs = page_runs(page)
    labels = runs.groupby(["dataset", "pl_pct"])["labels"].median()
    labels_of = lambda ds, p: f"{int(labels.get((ds, p), 0)):,}"  # noqa: E731
    return [
        plots.difference_heatmap(
            d,
            f"Minus DML, {protocol}",
            page.seed_list,
            labels_of,
        )
        for protocol, d in page_differences(page).items()
    ]


def answer_box(page) -> Markdown:
    """The box the page opens with: the open question's answer under each protocol (the reconstruction models
    against DML, Holm-corrected; :func:`analysis.beyond.short_answer`'s sentences) and how many of its targets the
    model built for 60 labels meets under the realistic protocol (part 3), from the rows."""
    sentences = _sentences(page_differences(page))
    sentences.insert(0, "**Does a VAE component help DML when few labels exist?**")
    met = realistic.targets_met_for(page.results)
    if met is not None:
        sentences.append(
            f"Under the realistic protocol (part 3), {realistic.METHOD} meets {met[0]} of its {met[1]} targets "
            f"(seeds {met[2]})."
        )
    return box(sentences)


def answers(page) -> list:
    """The parts the page shows (Page.show), in order: the answer in words (against DML), one heatmap per protocol
    of every contender minus DML, the tables behind the answer, the answer against the autoencoder alone, then
    (behind a toggle) every contender's comparison in words, and the caveats, all from the runs."""
    shown = []  # what the page shows, in order (Page.show displays it)

    diffs, runs, cfgs = page_differences(page), page_runs(page), page_configs(page)
    shown += [Markdown(short_answer(diffs))]
    shown += [
        Markdown(
            "Each contender minus DML, seed-paired, in kNN accuracy: the colour and the number are the mean over "
            f"seeds {page.seed_list}, * marks a cell whose 95 % t-interval excludes 0 (uncorrected; the hover "
            "gives the interval, p and the seeds)."
        )
    ]
    shown += difference_heatmaps(page)
    shown += [
        Markdown(
            "In detail, per dataset and labelled percentage (*helps*: some of those models beat DML and none "
            "loses to it; *hurts*: the reverse; *mixed*: both; each after Holm's correction over the models, "
            "which the counts below follow):"
        ),
        answer_table(diffs),
    ]
    alone = {p: versus(runs, p, AUTOENCODER_ALONE) for p in PROTOCOLS}
    shown += [Markdown(labels_answer(alone))]
    shown += [
        Markdown("Per dataset and labelled percentage, against the autoencoder alone:"),
        answer_table(alone, labels_word),
    ]
    sentences = [answer(d, p) for p, d in diffs.items()]
    n = sum(t.count("\n- ") + t.startswith("- ") for t in sentences)
    shown += [
        Markdown(
            toggle(
                f"The heatmaps in words: every contender's comparison on its own ({n} sentences)",
                "Every contender, the autoencoder alone and label propagation included, each comparison on its "
                "own (uncorrected 95 % intervals: read one model at a time, not which of them clears zero):\n\n"
                + "\n\n".join(sentences),
            )
        )
    ]
    shown += [
        Markdown(
            f"**Caveats.** {len(page.seed_list)} seeds; one architecture (MLP {'-'.join(map(str, cfgs[0].hidden))}, "
            f"lsdim {page.p.lsdim}), one alpha and gamma, {cfgs[0].epochs} epochs per run (profile `{page.profile}`); "
            "kNN with k = 5 (at most the labels per class under labelled-to-test). The autoencoder alone uses no "
            "label, so its `labelled-to-test` score is that of the labelled images' positions in an unsupervised "
            "embedding. A VAE component 'helps' here only where its interval clears DML's at that label count."
        )
    ]
    return shown


def accuracy_figure(page):
    """kNN accuracy (labelled-to-test) against the labelled percentage, one line per contender, a panel per dataset."""
    import plotly.express as px  # heavy optional dependency, imported on first use

    runs = page_runs(page)
    ok = runs[runs.status == "ok"]
    summary = ok.groupby(["dataset", "contender", "pl_pct"], sort=False)["labelled-to-test"].agg(["mean", "std"])
    return px.line(
        summary.reset_index(),
        x="pl_pct",
        y="mean",
        error_y="std",
        color="contender",
        facet_col="dataset",
        log_x=True,
        markers=True,
        title=f"kNN accuracy (labelled-to-test), mean ± sd over seeds {page.seed_list}",
        labels={"mean": "kNN accuracy", "pl_pct": "% labelled"},
    )


def validation(page) -> list:
    """The parts the page shows (Page.show), in order: the label-propagation settings' validation table (from the
    shipped paper-scale rows when complete, else trained here) then (Markdown) the best setting against the model's
    defaults."""
    shown = []  # what the page shows, in order (Page.show displays it)

    main = page.p.dataset or "mnist"
    val_profile, val_results = validation_source(page.profile, page.results, main)
    cfgs = profiles.profile_configs(
        grids.cells("labelprop-validation", dataset=main),
        val_profile,
        2,
        grid="labelprop-validation",
        device=page.device,
    )
    sweep.run_configs(
        "labelprop-validation",
        val_profile,
        cfgs,
        val_results,
        progress=False,
        backend=page.backend,
        may_train=page.may_train,
    )
    best, table = chosen_setting(store.rows_for(val_results, "labelprop-validation", val_profile, cfgs))
    default = {k: getattr(RunConfig(model="dml_labelprop"), k) for k in best}
    shown += [
        Markdown(
            f"Validation kNN accuracy (labelled-to-test on the {cfgs[0].validation:,} held-out images, "
            f"{main}), seeds 0 and 1, profile `{val_profile}` (`{val_results}`); best first:"
        ),
        table,
    ]
    same = all(str(best[k]) == str(default[k]) for k in best)
    return [
        *shown,
        Markdown(
            f"Best on validation: {best}. The model's defaults: {default}"
            + (" — the same." if same else " — **they differ**: the defaults were chosen under the paper profile.")
        ),
    ]


def labelprop_target(page) -> list:
    """The parts the page shows (Page.show), in order: DML on propagated labels at 0.1 % labelled, stratified draw
    (the shipped paper-scale rows when complete, else trained here): every run, then per dataset its mean, spread
    and cost."""
    shown = []  # what the page shows, in order (Page.show displays it)

    main = page.p.dataset or "mnist"
    cells = [c for d in grids.beyond_datasets("paper", main) for c in grids.cells("labelprop", dataset=d)]
    lp_profile, lp_results = profiles.shipped_or(
        page.profile, page.results, "labelprop", cells, grids.beyond_seeds("paper")
    )
    if lp_profile == page.profile:
        cells = [c for d in page_datasets(page) for c in grids.cells("labelprop", dataset=d)]
    lp_seeds = grids.beyond_seeds(lp_profile, None if lp_profile != page.profile else page.seeds)
    cfgs = profiles.profile_configs(cells, lp_profile, lp_seeds, grid="labelprop", device=page.device)
    sweep.run_configs(
        "labelprop", lp_profile, cfgs, lp_results, progress=False, backend=page.backend, may_train=page.may_train
    )
    rows = store.rows_for(lp_results, "labelprop", lp_profile, cfgs)
    lp = tables.flatten(
        rows,
        ["dataset"],
        {"kNN, labelled-to-test": ("knn_acc", "labelled-to-test"), "kNN, test-cv": ("knn_acc", "test-cv")},
        keep=["n_labelled", "wall_time", "threads", "device"],
    )
    lp["pseudo-labels right (last)"] = [(r.get("pseudo_label_acc") or [None])[-1] for r in rows]
    lp["seconds"] = [store.run_seconds(r) for r in rows]
    shown += [
        Markdown(
            f"**{cfgs[0].pl_pct:g} % labelled, class-balanced (stratified) draw** (60 labels on MNIST), as "
            f"the published anchors draw theirs; profile `{lp_profile}` (`{lp_results}`), seeds "
            f"{profiles.seeds_arg(lp_seeds)}; wall time in seconds:"
        ),
        lp,
    ]
    for d, g in lp[lp.status == "ok"].groupby("dataset", sort=False):
        acc = g["kNN, labelled-to-test"]
        shown += [
            Markdown(
                f"**{d}**: mean {acc.mean():.3f} ± {acc.std():.3f}, lowest seed {acc.min():.3f}, with settings chosen "
                f"on {grids.VALIDATION_IMAGES:,} validation labels and a class-balanced draw (an optimistic bound; "
                f"part 3 gives the realistic protocol's numbers); cost {g.seconds.median():.0f} s a run (median; CPU "
                f"time where recorded, else wall time), at most {g.seconds.max():.0f} s "
                f"({g.threads.iloc[0]} thread(s), "
                f"{g.device.iloc[0]}"
                + ("; measured while other runs shared the machine's 2 cores" if lp_profile == "paper" else "")
                + ")."
            )
        ]
    return shown


def uniform_draw(page) -> list:
    """The parts the page shows (Page.show), in order: DML on propagated labels at 0.1 % labelled by the uniform
    draw, each seed beside the ceiling its draw puts on kNN, then (Markdown) the mean per dataset."""
    shown = []  # what the page shows, in order (Page.show displays it)

    runs, cfgs = page_runs(page), page_configs(page)
    ok = runs[runs.status == "ok"]
    uni = ok[(ok.contender == grids.BEYOND_CONTENDERS[-1][0]) & (ok.pl_pct == 0.1)].copy()
    ceil = {(c.dataset, c.seed): ceiling(c) for c in cfgs if c.model == "dml_labelprop" and c.pl_pct == 0.1}
    uni["ceiling (perfect latents)"] = [ceil[(d, s)] for d, s in zip(uni.dataset, uni.seed)]
    shown += [
        Markdown(f"DML on propagated labels, 0.1 % labelled by a uniform draw, profile `{page.profile}`; kNN accuracy:")
    ]
    shown += [
        uni[["dataset", "seed", "labels", "labelled-to-test", "ceiling (perfect latents)"]].reset_index(drop=True)
    ]
    return [
        *shown,
        Markdown(
            "Under the uniform draw (the default) labelled-to-test kNN accuracy is "
            + "; ".join(
                f"{acc.mean():.3f} ± {acc.std():.3f} on {d} (mean ± sd over {len(acc)} seeds, lowest {acc.min():.3f})"
                for d, acc in uni.groupby("dataset", sort=False)["labelled-to-test"]
            )
            + ": the stratified draw's numbers above need labels balanced over the classes, which a user who picks 60 "
            "images to label cannot ensure."
        ),
    ]


# Part 3 of the beyond page: the graph grid's paper-scale rows, against the targets and the anchors
def _graph_part(page, grid: str):
    """(seeds, results file, configs) of part 3's ``grid`` ("graph" or "graph-levers") for the page: its
    ``graph_seeds``, its results under the paper profile (else the shipped rows); the missing runs trained first
    when its ``graph_train`` asks."""
    seeds = grids.GRAPH_PAPER_SEEDS if page.p.graph_seeds is None else page.p.graph_seeds
    cfgs = configs(seeds, page.device, grid=grid)
    results = page.results if page.profile == "paper" else profiles.SHIPPED
    if page.p.graph_train:
        sweep.run_configs(grid, "paper", cfgs, results, progress=True, backend=page.backend, may_train=page.may_train)
    return seeds, results, cfgs


def graph_section(page) -> list:
    """The parts the page shows (Page.show), in order: the graph grid's paper-scale runs of the page's
    ``graph_seeds`` (the page's results under the paper profile, else the shipped rows; trained first when the
    page's ``graph_train`` asks): how many are stored, the table of every contender and setting, the distance to
    each target, what was tried, the time, and the confirmation seeds alone."""
    shown = []  # what the page shows, in order (Page.show displays it)

    seeds, results, cfgs = _graph_part(page, "graph")
    rows = store.rows_for(results, "graph", "paper", cfgs)
    shown += [Markdown(header(results, seeds, len(rows), len(cfgs)))]
    if not rows:
        return shown
    runs = realistic.frame(rows)
    table = summary(runs)
    shown += [shown_table(table).style.format({SECONDS: "{:.0f}"}, na_rep="-").hide(axis="index")]
    for part in findings_parts(runs, table):
        shown += [Markdown(part)]
    return shown


LEVERS_SHOWN = [
    "setting",
    "lever",
    "seeds",
    "labelled-to-test kNN (95 % CI)",
    realistic.LEVER_DIFF,
    "own classifier",
    "inferred labels right",
    "every unlabelled node right (transductive)",
    "distance to the target",
    realistic.LEVER_SECONDS,
]


def levers_section(page) -> list:
    """The parts the page shows after part 3's table: issue 35's levers (``grids.GRAPH_LEVERS``), each alone,
    against the method on the same seeds (the page's ``graph_seeds``, from the same rows as part 3; trained first
    when ``graph_train`` asks): how many are stored, the table, which lever moves which setting, and what is not
    tried yet."""
    seeds, results, _ = _graph_part(page, "graph-levers")
    stored, total, table = realistic.lever_runs(results, seeds, page.device)
    shown = [Markdown(realistic.progress_sentence(stored, total, seeds, grid="graph-levers"))]
    tried = []
    if not table.empty:
        tried = list(table.lever.unique())
        shown += [
            table[LEVERS_SHOWN]
            .style.format({"distance to the target": "{:+.3f}", realistic.LEVER_SECONDS: "{:.0f}"}, na_rep="-")
            .hide(axis="index"),
            Markdown("\n".join(f"- {s}" for s in realistic.lever_sentences(table))),
        ]
    return shown + [Markdown(realistic.untried_sentence(tried))]


def anchors_table():
    """The published anchors (``anchors.csv``) as a table, without their protocol and source columns (the notes say
    them)."""
    return (
        anchors()
        .drop(columns=["protocol", "source"])
        .style.format({"accuracy": "{:.3f}", "sd": "{:.3f}"}, na_rep="-")
        .hide(axis="index")
    )


PAPER_SEEDS = grids.BEYOND_PAPER_SEEDS  # the page's seeds at the paper's scale (Page(..., paper_seeds=...))


def anchor_notes(page):
    """The published anchors' notes (their protocols and sources), as Markdown."""
    return page.md(realistic.anchor_notes(anchors()))
