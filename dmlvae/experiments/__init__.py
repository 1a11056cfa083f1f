"""The experiments layer: which runs exist and where their rows live, on top of ``core``.

``paper`` (the paper's tables and their cells), ``profiles`` (the scales a run can take, and the pages' seeds),
``grids`` (the book's own grids), ``store`` (the atomic, resumable results store), ``sweep`` (train what a results
file lacks), ``parallel`` (the same on Ray, locked by a token) and ``rerun`` (train a stored row again and compare).
"""

import importlib

__all__ = ["grids", "paper", "parallel", "profiles", "rerun", "store", "sweep"]


def __getattr__(name: str):
    """``dmlvae.experiments.NAME`` imports the module NAME on first use, so importing one module of the layer does not
    import them all (and ``python -m dmlvae data`` does not load torch's training stack or scipy)."""
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
