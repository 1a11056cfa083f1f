"""The graph grid under a realistic protocol (Oliver et al. 2018): every contender at 60 MNIST / Fashion-MNIST labels
(uniform and stratified draws) and 10 MNIST labels (one per class), at least 10 seeds, scored labelled-to-test, with
the targets, the published anchors (``anchors.csv``) and sentences generated from the rows.

- No setting is chosen with labels: the VAE, the graph and Poisson-MBO take Calder et al.'s settings, the DML step the
  paper's defaults; the class priors are uniform (an assumption), never estimated beyond the labelled draw.
- Seeds 0-4 are the development seeds (the draws of seeds 0-2 were looked at on seed 0's VAE while the model was put
  together); seeds 5-9 (``grids.GRAPH_CONFIRM_SEEDS``) were first run after every choice was frozen, and are
  summarised apart.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

from dmlvae.analysis.stats import interval
from dmlvae.core.config import RunConfig
from dmlvae.core.data import n_labelled
from dmlvae.experiments import grids, profiles, store
from dmlvae.experiments.profiles import seeds_arg
from dmlvae.experiments.store import metric, run_seconds

# the targets (mean labelled-to-test kNN accuracy over seeds) a semi-supervised model built from the paper's parts
# should reach: (dataset, labels, draw) -> accuracy
TARGETS = {
    ("mnist", 60, "uniform"): 0.975,
    ("mnist", 60, "stratified"): 0.98,
    ("mnist", 10, "stratified"): 0.95,
    ("fashion-mnist", 60, "uniform"): 0.72,
    ("fashion-mnist", 60, "stratified"): 0.78,
}
METHOD = grids.GRAPH_CONTENDERS[0][1]  # the model built for the targets: VAE + Poisson-MBO + DML
DRAWS = {"uniform": "uniform draw", "stratified": "stratified draw"}
SECONDS = "CPU seconds a run (median; a reused VAE not counted)"  # the shown table's time column


def anchors() -> pd.DataFrame:
    """The published numbers shown beside ours (Calder et al. 2020, Kingma et al. 2014), with their protocols."""
    with resources.files("dmlvae").joinpath("anchors.csv").open() as f:
        return pd.read_csv(f)


def anchor_notes(anchors: pd.DataFrame) -> str:
    """Markdown: each reference's protocol and where its numbers come from."""
    lines = []
    for ref, g in anchors.groupby("reference", sort=False):
        files = sorted({s.split(" at commit")[0].split("ResultsFromPaper/")[-1] for s in g.source})
        where = (
            f"the per-trial files of the authors' repository `jwcalder/GraphLearning` (commit e8de19f), "
            f"`ResultsFromPaper/`: {', '.join(f'`{f}`' for f in files)}; mean and sd over their trials"
            if "ResultsFromPaper" in g.source.iloc[0]
            else g.source.iloc[0]
        )
        lines.append(f"- **{ref}**: {g.protocol.iloc[0]}. Numbers: {where}.")
    return "\n".join(lines)


def frame(rows) -> pd.DataFrame:
    """One line per stored graph-grid run: its setting, contender, seed and scores (labelled-to-test kNN; for the
    VAE + graph contenders also their own classifier and how right the inferred labels were)."""
    out = []
    for r in rows:
        cfg = RunConfig.from_dict(r["config"])
        own = (r.get("own_classifier") or {}).get("inferred-knn") or {}
        own_vae = (r.get("own_classifier") or {}).get("inferred-knn-vae") or {}
        pseudo = r.get("pseudo_label_acc") or [None]
        labels = n_labelled(grids.GRAPH_TRAIN_IMAGES, cfg.pl_pct)
        first = (r.get("history") or [{}])[0]
        out.append(
            {
                "dataset": cfg.dataset,
                "labels": labels,
                "draw": cfg.policy,
                "contender": grids.graph_contender(cfg),
                "seed": cfg.seed,
                "status": r["status"],
                "labelled-to-test": metric(r, "knn_acc", "labelled-to-test"),
                "own classifier": own.get("knn_acc"),
                "own classifier before DML": own_vae.get("knn_acc"),
                "inferred labels right": pseudo[-1],
                "every unlabelled node right": (r.get("transductive_acc") or [None])[-1],
                "seconds": run_seconds(r) if r["status"] == "ok" else None,
                "reused VAE": bool(first.get("vae_cached")),
                "threads": r.get("threads"),
                "confirm": cfg.seed in grids.GRAPH_CONFIRM_SEEDS,
            }
        )
    return pd.DataFrame(out)


def _fmt_interval(iv: dict, signed: bool = False) -> str:
    """ "mean [low, high]" (one seed: the mean; none: "-"), 3 decimals, with a sign when ``signed``."""
    f = "+.3f" if signed else ".3f"
    if iv["n"] == 0:
        return "-"
    if iv["n"] == 1:
        return format(iv["mean"], f)
    return f"{iv['mean']:{f}} [{iv['low']:{f}}, {iv['high']:{f}}]"


def summary(runs: pd.DataFrame, confirm_only: bool = False) -> pd.DataFrame:
    """Per setting and contender: seeds, mean labelled-to-test kNN accuracy with its 95 % t-interval, the means of
    the own classifier (on the final latents, and on the VAE's before the DML step) and of the inferred labels'
    accuracy on the training images, and for the method the target and its distance."""
    ok = runs[runs.status == "ok"]
    if confirm_only:
        ok = ok[ok.confirm]
    out = []
    for (ds, labels, draw, name), g in ok.groupby(["dataset", "labels", "draw", "contender"], sort=False):
        iv = interval(g["labelled-to-test"])
        target = TARGETS.get((ds, labels, draw)) if name == METHOD else None
        own, before = g["own classifier"].dropna(), g["own classifier before DML"].dropna()
        pseudo = g["inferred labels right"].dropna()
        out.append(
            {
                "dataset": ds,
                "labels": labels,
                "draw": draw,
                "contender": name,
                "seeds": ", ".join(str(s) for s in sorted(g.seed)),
                "n": iv["n"],
                "mean": iv["mean"],
                "labelled-to-test kNN (95 % CI)": _fmt_interval(iv),
                "own mean": own.mean() if len(own) else None,
                "before mean": before.mean() if len(before) else None,
                "own classifier": f"{own.mean():.3f}" if len(own) else "-",
                "own classifier before DML": f"{before.mean():.3f}" if len(before) else "-",
                "inferred labels right": f"{pseudo.mean():.3f}" if len(pseudo) else "-",
                "target": target,
                "distance": None if target is None else iv["mean"] - target,
                "median seconds": float(g.seconds.median()) if g.seconds.notna().any() else None,
            }
        )
    return pd.DataFrame(out)


def setting_name(ds: str, labels: int, draw: str) -> str:
    return f"{ds}, {labels} labels, {DRAWS[draw]}"


def target_sentences(table: pd.DataFrame) -> list[str]:
    """One sentence per target setting: what the method reaches, the target, met or missed by how much, and the
    best other contender; a setting with no stored run of the method says so."""
    out = []
    for (ds, labels, draw), target in TARGETS.items():
        here = table[(table.dataset == ds) & (table.labels == labels) & (table.draw == draw)]
        mine = here[here.contender == METHOD]
        name = setting_name(ds, labels, draw)
        if mine.empty:
            out.append(f"**{name}**: no run of {METHOD} is stored yet (target {target:.3f}).")
            continue
        m = mine.iloc[0]
        verdict = "met" if m["mean"] >= target else f"missed by {target - m['mean']:.3f}"
        others = here[here.contender != METHOD].sort_values("mean", ascending=False)
        best = (
            f"; the best other contender, {others.iloc[0].contender}, reaches {others.iloc[0]['mean']:.3f} "
            f"({others.iloc[0].n} seeds)"
            if not others.empty
            else ""
        )
        out.append(
            f"**{name}**: {METHOD} reaches {m['labelled-to-test kNN (95 % CI)']} over {m.n} "
            f"seed{'s' if m.n != 1 else ''} "
            f"({m.seeds}); its own classifier {m['own classifier']}; target {target:.3f}: {verdict}{best}."
        )
    return out


def _contender(short: str) -> str:
    return next(name for s, name, _ in grids.GRAPH_CONTENDERS if s == short)


def tried_sentences(table: pd.DataFrame) -> list[str]:
    """One sentence per target the method misses: what the grid tried at that setting and where it got. The other
    contenders' means; the two ablations inside the method (the DML step: its own classifier on the VAE's latents
    and on the final ones; the class priors: plain Poisson learning against Poisson-MBO); and how right the
    inferred labels are. A setting the method meets, or has no run of, gets none."""
    out = []
    for (ds, labels, draw), target in TARGETS.items():
        here = table[(table.dataset == ds) & (table.labels == labels) & (table.draw == draw)]
        mine = here[here.contender == METHOD]
        if mine.empty or mine.iloc[0]["mean"] >= target:
            continue
        m = mine.iloc[0]
        parts = []
        poisson = here[here.contender == _contender("vae-poisson")]  # the priors' ablation, said apart below
        others = here[~here.contender.isin([METHOD, *poisson.contender])].sort_values("mean", ascending=False)
        if len(others):
            parts.append(
                "the other contenders reach "
                + ", ".join(f"{o.contender} {o['mean']:.3f} ({o.n} seeds)" for _, o in others.iterrows())
            )
        if pd.notna(m["own mean"]) and pd.notna(m["before mean"]):
            d = m["own mean"] - m["before mean"]
            parts.append(
                f"the DML step on the inferred labels moves the method's own classifier from {m['before mean']:.3f} "
                f"(the VAE's latents) to {m['own mean']:.3f} ({d:+.4f})"
            )
        if len(poisson):
            parts.append(
                f"plain Poisson learning (no class priors) in place of Poisson-MBO gives {poisson.iloc[0]['mean']:.3f} "
                f"against {m['mean']:.3f}"
            )
        if m["inferred labels right"] != "-":
            parts.append(f"the inferred labels are right on {m['inferred labels right']} of the training images")
        out.append(
            f"**{setting_name(ds, labels, draw)}** (missed by {target - m['mean']:.3f}): " + "; ".join(parts) + "."
        )
    return out


# ---------------------------------------------------------------- issue 35's levers, each against the method
LEVER_DIFF = "seed-paired difference from the method (95 % CI)"
LEVER_SECONDS = "CPU seconds a run (median, its VAE's training included where it trained one)"


def lever_table(levers: pd.DataFrame, graph: pd.DataFrame) -> pd.DataFrame:
    """Per lever (``grids.GRAPH_LEVERS``) and setting, from their runs (:func:`frame` of the graph-levers rows)
    and the method's (of the graph grid's): the seeds, mean labelled-to-test kNN accuracy with its 95 %
    t-interval, its seed-paired difference from the method on the seeds both hold (``moves``: +1 or -1 where that
    interval excludes 0, else 0), the own classifier, the inferred labels' accuracy (on the training images; a
    transductive lever also on every unlabelled node, the anchors' score), and the target's distance (none for a
    lever of ``grids.NOT_CONTENDERS``), and the median CPU seconds of its runs."""
    ok = levers[levers.status == "ok"]
    base = graph[(graph.status == "ok") & (graph.contender == METHOD)]
    out = []
    for (ds, labels, draw, name), g in ok.groupby(["dataset", "labels", "draw", "contender"], sort=False):
        b = base[(base.dataset == ds) & (base.labels == labels) & (base.draw == draw)]
        both = g.merge(b[["seed", "labelled-to-test"]], on="seed", suffixes=("", " of the method"))
        diff = interval((both["labelled-to-test"] - both["labelled-to-test of the method"]).tolist())
        iv = interval(g["labelled-to-test"])
        target = None if name in grids.NOT_CONTENDERS else TARGETS.get((ds, labels, draw))
        pseudo, own = g["inferred labels right"].dropna(), g["own classifier"].dropna()
        every = g["every unlabelled node right"].dropna()
        out.append(
            {
                "setting": setting_name(ds, labels, draw),
                "lever": name,
                "seeds": ", ".join(str(s) for s in sorted(g.seed)),
                "labelled-to-test kNN (95 % CI)": _fmt_interval(iv),
                LEVER_DIFF: _fmt_interval(diff, signed=True),
                "paired seeds": diff["n"],
                "moves": 0 if diff["n"] < 2 or diff["low"] <= 0 <= diff["high"] else (1 if diff["mean"] > 0 else -1),
                "own classifier": f"{own.mean():.3f}" if len(own) else "-",
                "inferred labels right": f"{pseudo.mean():.3f}" if len(pseudo) else "-",
                "every unlabelled node right (transductive)": f"{every.mean():.3f}" if len(every) else "-",
                "distance to the target": None if target is None else iv["mean"] - target,
                LEVER_SECONDS: float(g.seconds.median()) if g.seconds.notna().any() else None,
            }
        )
    return pd.DataFrame(out)


def _seeds_word(n: int) -> str:
    return f"{n} seed{'s' if n != 1 else ''}"


def lever_sentences(table: pd.DataFrame) -> list[str]:
    """Which lever moves which setting, from :func:`lever_table`: per lever, the settings its seed-paired
    interval puts above the method, below it, those where it shows no difference, and those with fewer than two
    paired seeds (no interval: too few to tell)."""
    out = []
    for name, g in table.groupby("lever", sort=False):
        parts = []
        groups = (
            ("raises", g[g.moves == 1]),
            ("lowers", g[g.moves == -1]),
            ("shows no difference at", g[(g.moves == 0) & (g["paired seeds"] >= 2)]),
            ("has too few paired seeds to tell at", g[g["paired seeds"] < 2]),
        )
        for word, hit in groups:
            if len(hit):
                parts.append(
                    f"{word} "
                    + "; ".join(
                        f"{r.setting} ({r[LEVER_DIFF]}, {_seeds_word(r['paired seeds'])})" for _, r in hit.iterrows()
                    )
                )
        out.append(f"**{name}** " + ", ".join(parts) + ".")
    return out


def headline(runs: pd.DataFrame) -> str | None:
    """The findings' line on the realistic protocol, from the graph grid's rows: the method's mean and 95 %
    t-interval over its seeds at each target setting (as page 05 gives them), the target, and how many targets
    are met; None without a run of the method."""
    parts = []
    for (ds, labels, draw), target, g in _target_runs(runs):
        acc = g["labelled-to-test"]
        seeds = f"{len(acc)} seed{'s' if len(acc) != 1 else ''}"
        parts.append(
            f"{setting_name(ds, labels, draw)}: {_fmt_interval(interval(acc))} over {seeds} (target {target:.3f})"
        )
    if not parts:
        return None
    met, judged, _ = targets_met(runs)
    return (
        f"- **Beyond the paper, few labels under a realistic protocol** (no setting chosen with labels beyond the "
        f"budget, uniform and stratified draws, kNN from the labelled images to the test split; mean [95 % interval]): "
        f"{METHOD} reaches "
        + "; ".join(parts)
        + f". {met} of {judged} targets met; the beyond page shows the distances, what was tried and the published "
        "anchors."
    )


def targets_met_for(results) -> tuple[int, int, str] | None:
    """:func:`targets_met` of the paper-scale graph-grid rows stored in ``results``."""
    rows = store.rows_for(results, "graph", "paper", configs()) if Path(results).exists() else []
    return targets_met(frame(rows)) if rows else None


def targets_met(runs: pd.DataFrame) -> tuple[int, int, str] | None:
    """(targets met, targets judged, the seeds) by the method's mean labelled-to-test accuracy at each target
    setting, as :func:`headline` counts them; None without a run of the method."""
    met = judged = 0
    seeds = set()
    for _, target, g in _target_runs(runs):
        judged += 1
        met += int(g["labelled-to-test"].mean() >= target)
        seeds |= set(g.seed)
    return (met, judged, seeds_label(sorted(seeds))) if judged else None


def _target_runs(runs: pd.DataFrame):
    """(setting, target, the method's ok runs there) for each target setting (``TARGETS``) that has a run."""
    ok = runs[(runs.status == "ok") & (runs.contender == METHOD)]
    for (ds, labels, draw), target in TARGETS.items():
        g = ok[(ok.dataset == ds) & (ok.labels == labels) & (ok.draw == draw)]
        if len(g):
            yield (ds, labels, draw), target, g


def headline_for(results) -> str | None:
    """:func:`headline` of the paper-scale graph-grid rows stored in ``results``."""

    rows = store.rows_for(results, "graph", "paper", configs())
    return headline(frame(rows)) if rows else None


def levers_headline_for(results) -> str | None:
    """The findings' line on the levers (:func:`lever_sentences` of the paper-scale graph-levers rows stored in
    ``results``, each against the method's graph-grid runs on the same seeds); None without an ok lever run."""
    _, _, table = lever_runs(results)
    if table.empty:
        return None
    return (
        "- **Levers on that method, each alone** (labelled-to-test kNN, seed-paired against the method; mean "
        "[95 % interval]): " + " ".join(lever_sentences(table))
    )


LIMIT_SECONDS = 15 * 60  # the protocol's limit on one run (2 CPU cores)


def time_sentence(runs: pd.DataFrame) -> str:
    """The stored runs' cost (CPU time) against the protocol's 15 minutes, from the rows. A VAE + graph run that
    reuses its seed's cached VAE does not pay for the VAE again; the runs that trained theirs show the whole cost."""
    ok = runs[(runs.status == "ok") & runs.seconds.notna()]
    if ok.empty:
        return "No run's time is stored yet."
    whole = ok[~ok["reused VAE"]]
    threads = ", ".join(str(t) for t in sorted(ok.threads.dropna().unique())) or "not stored"
    reused = ok[ok["reused VAE"]]
    rest = (
        f" The {len(reused)} VAE + graph runs that reused their seed's cached VAE cost at most "
        f"{reused.seconds.max():.0f} s beyond it."
        if len(reused)
        else ""
    )
    if whole.empty:
        return f"**Time** (CPU seconds; torch threads a run: {threads}).{rest}"
    slow = whole.loc[whole.seconds.idxmax()]
    over = int((whole.seconds > LIMIT_SECONDS).sum())
    verdict = (
        f"every run is within the protocol's {LIMIT_SECONDS // 60} minutes"
        if over == 0
        else f"{over} of {len(whole)} runs are over the protocol's {LIMIT_SECONDS // 60} minutes"
    )
    return (
        f"**Time** (CPU seconds; torch threads a run: {threads}). The costliest of the {len(whole)} runs that paid "
        f"for all their parts, {slow.contender} on {slow.dataset} (seed {slow.seed}, its VAE trained in the run), "
        f"took {slow.seconds:.0f} s: {verdict}.{rest}"
    )


def seeds_text(seeds) -> str:
    """Seeds as ``--seeds`` takes them: K for 0..K-1, ``A-B`` for a longer run of seeds (``A-A`` for one seed:
    ``A`` alone would mean seeds 0..A-1), else ``a,b,c``."""

    got = seeds_arg(seeds)
    if got == list(range(len(got))):
        return str(len(got))
    return f"{got[0]}-{got[0]}" if len(got) == 1 else _seeds(got, ",")


def _seeds(got: list[int], sep: str) -> str:
    return (
        f"{got[0]}-{got[-1]}" if len(got) > 2 and got == list(range(got[0], got[-1] + 1)) else sep.join(map(str, got))
    )


def progress_sentence(stored: int, total: int, seeds=grids.GRAPH_PAPER_SEEDS, grid: str = "graph") -> str:
    """How much of the grid (``graph`` or ``graph-levers``) the shown rows cover, and the command that completes
    it."""
    command = f"`python -m dmlvae sweep --grid {grid} --profile paper --seeds {seeds_text(seeds)}`"
    if stored >= total:
        return f"All {total} runs of the {grid} grid are stored."
    if stored == 0:
        return f"None of the {grid} grid's {total} runs is stored; {command} trains them."
    return (
        f"{stored} of the {grid} grid's {total} runs {'is' if stored == 1 else 'are'} stored so far; the table "
        "shows those (each cell names its "
        f"seeds). {command} trains the rest and resumes where it stopped."
    )


def configs(seeds=grids.GRAPH_PAPER_SEEDS, device: str | None = None, grid: str = "graph") -> list:
    """The paper-scale runs of the graph grid (or of ``grid`` "graph-levers", its levers) for ``seeds`` (default:
    the page's 10)."""

    return profiles.profile_configs(grids.cells(grid), "paper", seeds, grid=grid, device=device)


def lever_runs(results, seeds=grids.GRAPH_PAPER_SEEDS, device: str | None = None) -> tuple[int, int, pd.DataFrame]:
    """(lever runs stored, lever runs of ``seeds`` in all, :func:`lever_table` of the stored ones against the
    method's graph-grid runs of the same seeds; empty without a stored lever run), from ``results``."""
    cfgs = configs(seeds, device, grid="graph-levers")
    rows = store.rows_for(results, "graph-levers", "paper", cfgs) if Path(results).exists() else []
    if not rows:
        return 0, len(cfgs), pd.DataFrame()
    base = frame(store.rows_for(results, "graph", "paper", configs(seeds, device)))
    return len(rows), len(cfgs), lever_table(frame(rows), base)


def untried_sentence(tried) -> str:
    """The next steps the rows hold none of: the levers of ``grids.GRAPH_LEVERS`` not in ``tried`` (their names),
    and those not built as levers."""
    left = [f"{name} (the `{short}` lever)" for short, name, _ in grids.GRAPH_LEVERS if name not in set(tried)]
    left += [
        "a MetricVAE as the embedding",
        "a longer DML step",
    ]
    return "**Not tried here** (next steps; the stored rows hold none of them): " + "; ".join(left) + "."


def findings_parts(runs: pd.DataFrame, table: pd.DataFrame) -> list[str]:
    """Markdown paragraphs that follow the table (``table``, the ``summary`` of ``runs``): the targets, what was
    tried where one is missed, the time, and the confirmation seeds alone."""
    out = ["**Against the targets** (mean over every stored seed):\n\n" + _items(target_sentences(table))]
    tried = tried_sentences(table)
    if tried:
        out.append(
            "**Where a target is missed, what was tried** (every contender and ablation of the grid at that "
            "setting, mean over its stored seeds):\n\n" + _items(tried)
        )
    out.append(time_sentence(runs))
    confirm = summary(runs, confirm_only=True)
    out.append(
        f"**The confirmation seeds alone** ({', '.join(map(str, grids.GRAPH_CONFIRM_SEEDS))}, run once after every "
        "choice was frozen):\n\n" + (_items(target_sentences(confirm)) if len(confirm) else "none is stored.")
    )
    return out


def _items(sentences) -> str:
    return "\n".join(f"- {s}" for s in sentences)


def shown_table(table: pd.DataFrame) -> pd.DataFrame:
    """The summary's columns a reader sees (the numeric helpers dropped)."""
    return table.drop(columns=["mean", "target", "distance", "own mean", "before mean"]).rename(
        columns={"median seconds": SECONDS}
    )


def seeds_label(seeds) -> str:
    """Seeds for a reader: ``0-9`` for a run of three or more, else ``3, 7, 9``."""

    return _seeds(seeds_arg(seeds), ", ")


def header(results, seeds, stored: int, total: int) -> str:

    word = "seeds" if len(seeds_arg(seeds)) > 1 else "seed"
    return f"Paper scale (`{results}`): full data, {word} {seeds_label(seeds)}. " + progress_sentence(
        stored, total, seeds
    )


def report(results, seeds=grids.GRAPH_PAPER_SEEDS) -> str:
    """The beyond page's part 3 as text (``python -m dmlvae realistic``): the graph grid's stored paper-scale runs
    of ``seeds`` in ``results``, every contender and setting with its 95 % interval, the targets, what was tried,
    the time and the confirmation seeds."""

    cfgs = configs(seeds)
    rows = store.rows_for(results, "graph", "paper", cfgs) if Path(results).exists() else []
    out = [header(results, seeds, len(rows), len(cfgs))]
    if rows:
        runs = frame(rows)
        table = summary(runs)
        with pd.option_context("display.width", 250, "display.max_columns", 30, "display.max_colwidth", None):
            out.append(shown_table(table).to_string(index=False, na_rep="-", float_format="{:.0f}".format))
        out += findings_parts(runs, table)
    return "\n\n".join(out)
