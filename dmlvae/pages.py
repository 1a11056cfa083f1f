"""What a page needs: its profile and seeds, its parameters (papermill) checked one validator per name so a bad
value is refused before any page runs, and its re-run note.

``tools/execute_notebooks.py`` checks every ``-p NAME VALUE`` here before executing a page, and each page
checks its own parameters in its first cell (``check(name=value, ...)``), so running a page directly with
papermill gives the same one-line error as the CLI and the Python API.
"""

from __future__ import annotations

from . import config, data, grids
from .errors import DmlvaeError, choice, number
from .profiles import PROFILES, seeds_arg, validate_profile
from .store import check_writable

AUTO = "auto"  # a page's default profile: the shipped paper-scale results, training nothing
_auto_page = False  # set by page_profile: this kernel runs a page under "auto"


def page_profile(profile: str) -> str:
    """The profile a page runs under: ``auto`` (the pages' default) is ``paper`` read from the shipped results,
    and then any run they lack is not trained but named (MissingRuns, with the two ways to get it); any other
    profile is itself (and trains what it lacks)."""
    global _auto_page
    _auto_page = profile == AUTO
    return "paper" if _auto_page else validate_profile(profile)


def auto_page() -> bool:
    """Whether this kernel runs a page under ``auto``: then a sweep trains nothing and names what is missing."""
    return _auto_page


# the pages' seeds when their `seeds` parameter is None: 3 at the paper's scale (the shipped results), 2 otherwise
PAPER_SEEDS, DEFAULT_SEEDS = 3, 2


def page_seeds(profile: str, seeds=None, paper: int = PAPER_SEEDS):
    """A page's seeds: ``seeds`` when given, else ``paper`` (3) under the paper profile and 2 under the others."""
    return seeds if seeds is not None else paper if validate_profile(profile) == "paper" else DEFAULT_SEEDS


def _dataset_or_none(name, value):
    return None if value is None else choice(name, value, data.DATASETS)


def _device(name, value):
    from .train import check_device

    if value is None:
        return None
    config.RunConfig(device=value)  # the format: auto, cpu, cuda, cuda:N
    return check_device(value)


def _results(name, value):
    return None if value is None else str(check_writable(value, f"{name}"))


def _data_dir(name, value):
    if value is None:
        return None
    from pathlib import Path

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
    "seeds": lambda n, v: v if v is None else (seeds_arg(v) and v),  # None: the profile's
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


def check(**params) -> dict:
    """Validate a page's parameters (call it in the page's first cell, with every parameter of its ``parameters``
    cell); returns them as given. A name papermill injected that the page does not declare (a misspelt parameter)
    stops the page here, before anything runs, naming it and the allowed ones."""
    import inspect

    caller = inspect.currentframe().f_back
    if caller is not None and caller.f_globals.get("__name__") == "__main__":  # a notebook's (or script's) top level
        unknown = _unknown(caller.f_globals, params)
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
