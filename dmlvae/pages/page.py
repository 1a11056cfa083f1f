"""What a page needs: its profile and seeds, its parameters (papermill) checked one validator per name so a bad
value is refused before any page runs, and its re-run note.

``tools/execute_notebooks.py`` checks every ``-p NAME VALUE`` here before executing a page, and each page
checks its own parameters in its first cell (``check(name=value, ...)``), so running a page directly with
papermill gives the same one-line error as the CLI and the Python API.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import types
from pathlib import Path

import pandas as pd
from IPython.display import Markdown, display

from dmlvae.analysis.tables import table as compare
from dmlvae.core import config, data
from dmlvae.core.train import check_device, run
from dmlvae.errors import DmlvaeError, choice, number
from dmlvae.experiments import grids, paper, parallel
from dmlvae.experiments.profiles import (
    PAPER_SEEDS,
    PROFILES,
    configs,
    page_seeds,
    profile_configs,
    profile_scale,
    results_path,
    seeds_arg,
    validate_profile,
)
from dmlvae.experiments.store import check_writable, rows_for
from dmlvae.experiments.sweep import reuse_note, run_configs, sweep, table_dataset
from dmlvae.pages import plots

AUTO = "auto"  # a page's default profile: the shipped paper-scale results, training nothing


def page_profile(profile: str) -> str:
    """The profile a page runs under: ``auto`` (the pages' default) is ``paper`` read from the shipped results,
    and then any run they lack is not trained but named (MissingRuns, with the two ways to get it); any other
    profile is itself (and trains what it lacks)."""
    return "paper" if profile == AUTO else validate_profile(profile)


def _dataset_or_none(name, value):
    return None if value is None else choice(name, value, data.DATASETS)


def _device(name, value):

    if value is None:
        return None
    config.RunConfig(device=value)  # the format: auto, cpu, cuda, cuda:N
    return check_device(value)


def _results(name, value):
    return None if value is None else str(check_writable(value, f"{name}"))


def _data_dir(name, value):
    if value is None:
        return None

    p = Path(str(value)).expanduser()
    if p.exists() and not p.is_dir():
        raise DmlvaeError(f"{name} {str(value)!r} is a file, not a directory")
    return str(value)


def _pl_pcts(name, value):
    if not isinstance(value, (list, tuple)) or not value:
        raise DmlvaeError(f"{name} must be a non-empty list of percentages in (0, 100]; got {value!r}")
    return [data.validate_pl_pct(v) for v in value]


def _figure_alpha(name, value):
    v = number(name, value, low=0, high=1, low_open=True)
    if float(v) not in grids.TABLE3_ALPHAS:
        raise DmlvaeError(
            f"{name} {value!r} is not in Table 3's grid; allowed: {', '.join(map(str, grids.TABLE3_ALPHAS))}"
        )
    return float(v)


def _seeds_or_none(name, value):
    return value if value is None else (seeds_arg(value) and value)  # None: the page's (or the grid's) default


def _bool(name, value):
    if not isinstance(value, bool):
        raise DmlvaeError(f"{name} must be True or False; got {value!r}; allowed: True, False")
    return value


def _int(low, high):
    return lambda name, value: number(name, value, low=low, high=high, integer=True)


def _subset(name, value):
    return None if value is None else number(name, value, low=10, high=config.MAX_SUBSET, integer=True)


VALIDATORS = {
    "profile": lambda n, v: choice(n, v, (AUTO, *PROFILES)),
    "seeds": _seeds_or_none,  # None: the profile's
    "dataset": _dataset_or_none,
    "stand_in": lambda n, v: v if v is None else choice(n, v, data.DATASETS + ("auto",)),  # auto, None: the page's
    "device": _device,
    "results": _results,
    "data_dir": _data_dir,
    "figure_alpha": _figure_alpha,
    "figure6_epochs": _int(1, config.MAX_EPOCHS),
    "epochs": _int(1, config.MAX_EPOCHS),
    "lsdim": _int(1, config.MAX_LSDIM),
    "alpha": lambda n, v: float(number(n, v, low=0, high=1, low_open=True)),
    "gamma": lambda n, v: float(number(n, v, low=0)),
    "pl_pct": lambda n, v: data.validate_pl_pct(v),
    "pl_pcts": _pl_pcts,
    "seed": _int(0, config.MAX_SEED),
    "policy": lambda n, v: choice(n, v, data.POLICIES),
    "per_class": _int(1, 100),
    "train_subset": _subset,
    "generated": lambda n, v: str(v),
    "workers": lambda n, v: None if v is None else number(n, v, low=1, high=1024, integer=True),
    "test_subset": _subset,
    "segments": _int(1, config.MAX_SEGMENTS),
    "graph_train": _bool,
    "graph_seeds": _seeds_or_none,  # None: the graph grid's 10
}


def check_one(name: str, value):
    """The validated value of page parameter ``name``; DmlvaeError naming it when bad."""
    if name not in VALIDATORS:
        raise DmlvaeError(f"unknown page parameter {name!r}; allowed: {', '.join(sorted(VALIDATORS))}")
    return VALIDATORS[name](name, value)


# names IPython puts in a notebook's namespace, and the value types a papermill parameter can have
IPYTHON_NAMES = {"In", "Out", "exit", "quit", "get_ipython", "display"}
PLAIN = (str, int, float, bool, type(None), list, tuple, dict)
_first_names: set | None = None  # the plain names of the namespace at this kernel's first check


def _unknown(namespace: dict, declared) -> list[str]:
    """Plain-valued names in the page's namespace that are not its parameters: a misspelt ``-p lsdimm 3`` lands
    there. Only names present at the kernel's first check count, so re-running the first cell in Jupyter after
    later cells defined variables of their own does not flag those."""
    global _first_names
    names = {
        n for n, v in namespace.items() if not n.startswith("_") and n not in IPYTHON_NAMES and isinstance(v, PLAIN)
    }
    if _first_names is None:
        _first_names = names
    return sorted((names & _first_names) - set(declared))


def check(_namespace=None, **params) -> dict:
    """Validate a page's parameters (call it in the page's first cell, with every parameter of its ``parameters``
    cell, or let :class:`Page` call it); returns them as given. A name papermill injected that the page does not
    declare (a misspelt parameter) stops the page here, before anything runs, naming it and the allowed ones.
    ``_namespace``: the page's namespace when called on its behalf (default: the caller's, when it is a notebook's
    or a script's top level)."""

    if _namespace is None:
        caller = inspect.currentframe().f_back
        if caller is not None and caller.f_globals.get("__name__") == "__main__":
            _namespace = caller.f_globals
    if _namespace is not None:
        unknown = _unknown(_namespace, params)
        if unknown:
            raise DmlvaeError(
                f"unknown page parameter(s) {', '.join(map(repr, unknown))}; this page takes: "
                f"{', '.join(sorted(params))}"
            )
    for name, value in params.items():
        check_one(name, value)
    return params


def rerun_note(page: str, profile: str | None = None, seeds=None, commands=()) -> str:
    """Markdown for the top of a page: the profile and seeds behind its numbers, and how to re-run it with
    papermill, with `make book`, and (``commands``) the CLI commands that train its grids."""
    lines = []
    if profile is not None:
        lines.append(
            f"**The numbers on this page** come from the `{profile}` profile with seeds "
            f"{seeds_arg(seeds)} (results in `results/{profile}.jsonl`)."
        )
    lines.append(
        "**Re-run it:** `papermill notebooks/" + page + ".ipynb out.ipynb -p NAME VALUE` (any parameter "
        "below)"
        + (f"; the numbers shown here: `-p profile {profile}`" if profile is not None else "")
        + '; the whole book: `make book PROFILE=quick` (or `PROFILE=paper`, `PARAMS="-p seeds 3"`). '
        "Before training, a page says how many runs it trains and about how long they take, then one line "
        "per finished run."
    )
    if commands:
        lines.append("Its runs from the command line: " + "; ".join(f"`{c}`" for c in commands) + ".")
    return "\n\n".join(lines)


def sweep_command(grid, profile: str, seeds, dataset: str | None = None, **grid_params) -> str:
    """The CLI command that trains what a page shows of ``grid`` (a paper table number or a book grid's name)."""
    what = f"--table {grid}" if isinstance(grid, int) else f"--grid {grid}"
    params = "".join(f" --grid-param {k}={v}" for k, v in grid_params.items())
    ds = f" --dataset {dataset}" if dataset else ""
    return f"python -m dmlvae sweep {what}{params}{ds} --profile {profile} --seeds {seeds}"


# Each page's parameters, as its ``parameters`` cell declares them (a test keeps the two the same): Page reads these
# names from the page's namespace, and a plain name papermill injected beside them is a misspelt parameter.
PARAMETERS = {
    "00_data": ("dataset", "pl_pcts", "seed", "policy", "data_dir", "per_class"),
    "01_dml": ("dataset", "pl_pct", "lsdim", "epochs", "train_subset", "test_subset", "seed", "device"),
    "02_autoencoder": ("profile", "seeds", "dataset", "stand_in", "device", "results", "workers"),
    "03_priors": ("profile", "seeds", "dataset", "stand_in", "figure_alpha", "device", "results", "workers"),
    "04_mvae": ("profile", "seeds", "dataset", "device", "results", "workers", "figure6_epochs"),
    "05_beyond": (
        "profile",
        "seeds",
        "dataset",
        "stand_in",
        "device",
        "results",
        "workers",
        "lsdim",
        "alpha",
        "gamma",
        "graph_train",
        "graph_seeds",
    ),
    "06_assumptions": ("profile", "seeds", "device", "results", "workers"),
    "07_scorecard": ("profile", "seeds", "stand_in", "device", "results", "workers"),
    "08_walkthrough": ("pl_pct", "train_subset", "test_subset", "epochs", "lsdim", "alpha", "seed"),
    "09_teaching": ("generated",),
    "10_geodesic": ("profile", "seeds", "dataset", "device", "results", "workers", "lsdim", "alpha", "segments"),
}


def cached(fn):
    """Compute a page back-end's result once per page: ``fn(page, *args)`` is kept in ``page.cache``, so the cache
    lives and dies with its Page (one cache, owned by the page, for every back-end)."""

    @functools.wraps(fn)
    def once(page, *args):
        key = (fn.__module__, fn.__qualname__, args)
        if key not in page.cache:
            page.cache[key] = fn(page, *args)
        return page.cache[key]

    return once


class Page:
    """A page's bookkeeping, so that the page itself is narrative plus one call per table or figure.

    ``page = pages.Page(name, globals())`` in the page's first code cell: reads the page's parameters
    (``PARAMETERS[name]``) from its namespace and checks them (a misspelt papermill parameter stops the page here,
    naming it and the allowed ones), resolves the profile (``auto``: the shipped paper-scale rows, training nothing)
    and the seeds, and sets up the plots. Then :meth:`note` is the re-run note, :meth:`rows` trains what the
    results file lacks (or, under ``auto``, names it) and loads the rows, :meth:`paper_table` is a paper
    table beside ours, and ``page.p`` holds the checked parameters (``page.p.lsdim``)."""

    def __init__(self, name: str, namespace: dict, *, paper_seeds: int = PAPER_SEEDS):

        name = choice("page", name, PARAMETERS)
        params = {k: namespace[k] for k in PARAMETERS[name]}
        check(_namespace=namespace, **params)
        self.name, self.p = name, types.SimpleNamespace(**params)
        self.profile = page_profile(params["profile"]) if "profile" in params else None
        # under the auto profile a page trains nothing: every sweep it starts names what is missing instead
        self.may_train = params.get("profile") != AUTO
        self.seeds = page_seeds(self.profile, params.get("seeds"), paper_seeds) if self.profile else None
        self.seed_list = seeds_arg(self.seeds) if self.profile else None
        self.results = results_path(self.profile, params.get("results")) if self.profile else None
        self.device, self.workers = params.get("device"), params.get("workers")
        self.backend = parallel.backend(workers=self.workers)  # None: the page trains in its own process
        self._comparisons, self._data = {}, None
        self.cache: dict = {}  # every back-end result computed for this page (:func:`cached`), kept with the page
        plots.setup()

        pd.set_option("display.max_colwidth", None)  # a table's text whole ("best: DML autoencoder, joint"), not cut

    def data(self):
        """The page's dataset (its ``dataset`` and ``data_dir`` parameters), loaded once."""
        if self._data is None:
            self._data = data.load(self.p.dataset, data_dir=getattr(self.p, "data_dir", None))
        return self._data

    def config(self, **fields):
        """A RunConfig from the page's parameters that are RunConfig fields (dataset, pl_pct, lsdim, seed, ...),
        with ``fields`` on top."""

        names = {f.name for f in dataclasses.fields(config.RunConfig)}
        return config.RunConfig(**{**{k: v for k, v in vars(self.p).items() if k in names}, **fields})

    def train(self, **fields) -> dict:
        """Train :meth:`config` live, keeping the model (``train.run(..., keep_model=True)``'s result)."""

        return run(self.config(**fields), keep_model=True)

    @staticmethod
    def show(parts) -> None:
        """Display what a back-end returned: its parts in order (a list), or the one part; a string is Markdown, an
        empty string or None shows nothing, and a plotly figure is shown as its renderer shows it."""
        for part in parts if isinstance(parts, list) else [parts]:
            if part is None or (isinstance(part, str) and not part):
                continue
            if isinstance(part, str):
                display(Markdown(part))
            elif hasattr(part, "to_plotly_json"):
                part.show()
            else:
                display(part)

    @staticmethod
    def say(text: str) -> None:
        """Show ``text`` as Markdown now (anywhere in a cell); nothing when it is empty."""

        if text:
            display(Markdown(text))

    @staticmethod
    def md(text: str):
        """``text`` as Markdown (a cell's displayed value)."""

        return Markdown(text)

    def note(self, *sweeps):
        """The re-run note (Markdown): the profile and seeds behind the numbers, how to re-run the page, and the CLI
        command of each of ``sweeps``: (grid, {grid parameters, and dataset}) pairs; a paper table (a number) without a
        dataset gets the one the page runs it on."""

        # a paper table without a dataset runs on the page's dataset for it (the stand-in where OrganAMNIST is missing)
        commands = [
            sweep_command(
                g,
                self.profile,
                self.seeds,
                **({"dataset": self.table_dataset(g)[0]} if isinstance(g, int) and "dataset" not in p else {}),
                **p,
            )
            for g, p in sweeps
        ]
        return Markdown(rerun_note(self.name, self.profile, self.seeds, commands))

    @staticmethod
    def reuse_note(rows) -> str:
        """How many of ``rows`` were copied from runs of other grids, and which (``sweep.reuse_note``), or ''."""
        return reuse_note(rows)

    def scale(self):
        """What the profile's runs see (Markdown), for reading the numbers."""

        return Markdown(profile_scale(self.profile))

    def configs(self, grid, cells, **fixed) -> list:
        """The RunConfigs of ``cells`` of ``grid`` under the page's profile and seeds (its device on each)."""
        return profile_configs(cells, self.profile, self.seeds, grid=grid, device=self.device, **fixed)

    def rows(self, grid, cells=None, *, cfgs=None, keep_latents: bool = False, **fixed) -> list[dict]:
        """The stored rows of ``grid``'s ``cells`` (or ``cfgs``), in their order, training what is missing first."""

        cfgs = cfgs if cfgs is not None else self.configs(grid, cells, **fixed)
        run_configs(
            grid,
            self.profile,
            cfgs,
            self.results,
            progress=False,
            backend=self.backend,
            keep_latents=keep_latents,
            may_train=self.may_train,
        )
        return rows_for(self.results, grid, self.profile, cfgs)

    def table_dataset(self, table: int) -> tuple[str | None, str | None]:
        """(the dataset ``table`` runs on, None: the paper's; a stand-in note or None), from the page's ``dataset``
        and ``stand_in`` parameters (``sweep.table_dataset``)."""

        return table_dataset(table, getattr(self.p, "dataset", None), getattr(self.p, "stand_in", "fashion-mnist"))

    def comparison(self, table: int):
        """Paper ``table`` beside ours (long format, ``tables.table``) on the page's dataset for it, its missing runs
        trained first; computed once."""

        if table not in self._comparisons:
            dataset = self.table_dataset(table)[0]
            sweep(
                table,
                self.profile,
                self.seeds,
                self.results,
                dataset=dataset,
                device=self.device,
                progress=False,
                backend=self.backend,
                may_train=self.may_train,
            )
            cfgs = configs(table, self.profile, self.seeds, dataset=dataset)
            self._comparisons[table] = compare(table, self.results, self.profile, cfgs=cfgs)
        return self._comparisons[table]

    def table_rows(self, table: int) -> list[dict]:
        """The stored rows of paper ``table``'s runs on the page's dataset for it (trained first when missing)."""

        self.comparison(table)
        return rows_for(
            self.results,
            table,
            self.profile,
            configs(table, self.profile, self.seeds, dataset=self.table_dataset(table)[0]),
        )

    def paper_table(self, table: int) -> list:
        """Paper ``table`` in the paper's layout, ours beside it, after the stand-in note (when the paper's dataset
        cannot be loaded), how many labels the percentages mean (Tables 2 and 3, on OrganAMNIST in the paper) and
        the caption: the parts the page shows (:meth:`show`), in order."""
        dataset, note = self.table_dataset(table)
        shown = [Markdown(f"**Stand-in.** {note}")] if note else []
        if table in (2, 3):
            used = dataset or "organamnist"
            n_train = len(data.load(used).split("train")[1])
            shown.append(Markdown(paper.label_count_note(table, used, n_train)))
        cmp = self.comparison(table)
        shown.append(Markdown(paper.caption(table, cmp, self.profile, self.seed_list)))
        return [*shown, paper.styled_layout(cmp)]
