"""Profiles (smoke, quick, paper): the RunConfig overrides every run of a grid gets, the grids' configurations
under a profile and seeds, and the results file of a profile."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from dmlvae.core import data
from dmlvae.core.config import MAX_SEED, RunConfig
from dmlvae.errors import DmlvaeError, choice, number
from dmlvae.experiments import paper
from dmlvae.experiments.store import rows_for

# Profiles are data: RunConfig overrides applied to every cell of a grid.
PROFILES = {
    # the whole Table 1 grid in about a minute on 2 CPU cores (for tests and a first look)
    "smoke": {
        "epochs": 1,
        "train_subset": 2000,
        "test_subset": 500,
        "hidden": [64, 32],
        "batch_size": 128,
        "n_pseudo": 50,
    },
    # all four tables with 2 seeds in about 6 minutes on 2 CPU cores: data subsets, few epochs
    "quick": {
        "epochs": 2,
        "train_subset": 6000,
        "test_subset": 2000,
        "hidden": [256, 128],
        "batch_size": 256,
        "n_pseudo": 100,
    },
    # full data, RunConfig's documented defaults (10 epochs, MLP 512-256, batch 256)
    "paper": {},
}


# Per-grid settings a profile changes beyond PROFILES, measured with bench/quick_calibration.py: at 6,000 images
# for 2 epochs the alternating MetricVAE's sampled z is still at chance and gamma > 0 never beats gamma = 0, so the
# quick profile would call claims 6 and 7 otherwise than the paper profile does; on 12,000 images (2 seeds) both
# keep the paper profile's verdicts, for about 1.4 times those grids' training time; the MetricVAE's other grids
# (Table 4 under the paper's literal objective, the balance axis) follow them. Keys: a table number or the name of
# one of the book's grids.
GRID_PROFILES = {
    "quick": {
        4: {"train_subset": 12000},
        "mvae-alternating": {"train_subset": 12000},
        "table4-objective": {"train_subset": 12000},
        "balance": {"train_subset": 12000},
    }
}


# why, in a clause for the pages (profile_scale)
GRID_PROFILE_REASONS = {
    "quick": "with the profile's own 6,000 images the miniature calls the paper's claims 6 and 7 "
    "(the MetricVAE) otherwise than the paper profile does, and the MetricVAE's other "
    "grids take the same setting so that they compare like with like"
}


# Table 4 reports linear, random-forest and kNN accuracies
TABLE_PROBES = {1: ["knn"], 2: ["knn"], 3: ["knn"], 4: ["knn", "rf", "linear"]}


def validate_profile(profile: str) -> str:
    return choice("profile", profile, PROFILES)


def profile_scale(profile: str) -> str:
    """One sentence for a page: how much data and training a profile's runs get, and how to read its numbers."""
    o = {**RunConfig().to_dict(), **PROFILES[validate_profile(profile)]}
    images = (
        f"{o['train_subset']:,} training images (the labelled subset kept at its full size)"
        if o["train_subset"]
        else "the full training split"
    )
    test = f"{o['test_subset']:,} test images" if o["test_subset"] else "the full test split"
    hidden = "-".join(str(h) for h in o["hidden"])
    read = (
        "This is a miniature: compare the *pattern* across labelled percentages and settings, not the "
        "levels (`make book PROFILE=paper` reads the full-scale runs)."
        if o["train_subset"]
        else "This is the paper's scale, as far as the paper states it (the assumptions page lists the rest)."
    )
    epochs = f"{o['epochs']} epoch{'s' if o['epochs'] != 1 else ''}"
    by_setting = {}  # grids that share a setting are named together
    for g, o2 in GRID_PROFILES.get(profile, {}).items():
        setting = ", ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}" for k, v in o2.items())
        by_setting.setdefault(setting, []).append(f"Table {g}" if isinstance(g, int) else f"the {g} grid")
    listed = lambda names: names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"  # noqa: E731
    exceptions = "; ".join(f"{listed(names)}: {setting}" for setting, names in by_setting.items())
    return (
        f"Under the `{profile}` profile every run sees {images} for {epochs} with an MLP {hidden}, and "
        f"is scored on {test}"
        + (f" ({exceptions}: {GRID_PROFILE_REASONS[profile]})" if exceptions else "")
        + f". {read}"
    )


def configs(
    table, profile: str, seeds, dataset: str | None = None, device: str | None = None, data_dir: str | None = None
) -> list[RunConfig]:
    """Every RunConfig of ``table`` under ``profile``, for each seed (the table's cells in paper order)."""
    t = paper.validate_table(table)
    if dataset is not None:
        choice("dataset", dataset, data.DATASETS)
    cells = [{**cell, "probes": TABLE_PROBES[t]} for cell in paper.grid(t)]
    return profile_configs(cells, profile, seeds, grid=t, dataset=dataset, device=device, data_dir=data_dir)


MAX_SEEDS = 1000  # more seeds in one sweep or page is a typo (--seeds 1e9), not a study


SEEDS_FORMS = "K (seeds 0..K-1), a range A-B (A to B, both included) or a list a,b,c"


def _seed_text(text: str) -> list[int] | None:
    """The seeds a range ``"A-B"`` or a list ``"a,b,c"`` names; None for any other text (a count, or garbage)."""
    t = text.strip()
    m = re.fullmatch(r"(\d+)\s*-\s*(\d+)", t)
    if m:
        a, b = int(m[1]), int(m[2])
        if b < a or b - a + 1 > MAX_SEEDS:
            raise DmlvaeError(f"seeds {text!r}: a range A-B needs A <= B and at most {MAX_SEEDS} seeds")
        return list(range(a, b + 1))
    if "," in t:
        parts = [p.strip() for p in t.split(",")]
        if not all(re.fullmatch(r"\d+", p) for p in parts):
            raise DmlvaeError(f"seeds {text!r} is not a list of seeds; allowed: {SEEDS_FORMS}")
        return [int(p) for p in parts]
    return None


def seeds_arg(seeds) -> list[int]:
    """``--seeds K`` means seeds 0..K-1 (K at most MAX_SEEDS); a list is taken as given, each seed checked; text
    may also name a range ``"A-B"`` or a list ``"a,b,c"`` (command lines and papermill pass text)."""
    if isinstance(seeds, str) and (named := _seed_text(seeds)) is not None:
        seeds = named
    if isinstance(seeds, (list, tuple)):
        if not seeds or len(seeds) > MAX_SEEDS:
            raise DmlvaeError(f"seeds {seeds!r}: a list of 1 to {MAX_SEEDS} seeds is allowed")
        if len(set(map(str, seeds))) != len(seeds):
            raise DmlvaeError(f"seeds {seeds!r}: each seed may be listed once")
        return [number("seed", s, low=0, high=MAX_SEED, integer=True) for s in seeds]
    return list(
        range(
            number(
                "seeds",
                seeds,
                low=1,
                high=MAX_SEEDS,
                integer=True,
                meaning="K: seeds 0..K-1; or a range A-B, or a list a,b,c",
            )
        )
    )


# the pages' seeds when their `seeds` parameter is None: 3 at the paper's scale (the shipped results), 2 otherwise
PAPER_SEEDS, DEFAULT_SEEDS = 3, 2


def page_seeds(profile: str, seeds=None, paper: int = PAPER_SEEDS):
    """A page's seeds: ``seeds`` when given, else ``paper`` (3) under the paper profile and 2 under the others."""
    return seeds if seeds is not None else paper if validate_profile(profile) == "paper" else DEFAULT_SEEDS


def results_path(profile: str, results=None) -> Path:
    """The results file of a profile: ``results/PROFILE.jsonl`` unless given."""
    return Path(results) if results else Path("results") / f"{validate_profile(profile)}.jsonl"


SHIPPED = Path("results") / "paper.jsonl"  # the paper-profile rows that ship with the book


def shipped_or(profile: str, results, grid: str, cells, seeds):
    """(profile, results file) a page shows ``grid`` from: the shipped paper-profile rows when they hold every run
    of ``cells`` x ``seeds`` (for results that only mean something at the paper's scale), else the page's own."""
    if SHIPPED.exists():
        want = profile_configs(cells, "paper", seeds, grid=grid)
        if len(rows_for(SHIPPED, grid, "paper", want)) == len(want):
            return "paper", SHIPPED
    return profile, results_path(profile, results)


def profile_configs(cells, profile: str, seeds, grid=None, **fixed) -> list[RunConfig]:
    """RunConfigs of ``cells`` (dicts of RunConfig fields) under ``profile``, per seed; ``fixed`` fields that are
    not None (dataset, device, data_dir, ...) override every cell. ``grid`` (a table number or a grid's name)
    adds the profile's settings for that grid (``GRID_PROFILES``)."""
    overrides = {**PROFILES[validate_profile(profile)], **GRID_PROFILES.get(profile, {}).get(grid, {})}
    return [
        RunConfig(**{**overrides, **cell, **{k: v for k, v in fixed.items() if v is not None}, "seed": s})
        for cell in cells
        for s in seeds_arg(seeds)
    ]


def profile_table():
    """Each profile's overrides of RunConfig's defaults (a DataFrame, one column a profile; "default": not changed)."""

    table = {name: {k: str(v) for k, v in o.items()} for name, o in PROFILES.items()}
    return pd.DataFrame(table).astype(object).fillna("default")


def grid_profile_table():
    """The settings a profile changes for some grids only (``GRID_PROFILES``): one row per (profile, grid)."""

    return pd.DataFrame(
        [
            {"profile": name, "grid": f"Table {g}" if isinstance(g, int) else g, **{k: str(v) for k, v in o.items()}}
            for name, by_grid in GRID_PROFILES.items()
            for g, o in by_grid.items()
        ]
    )
