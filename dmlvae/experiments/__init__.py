"""The experiments layer: which runs exist and where their rows live, on top of ``core``.

``paper`` (the paper's tables and their cells), ``quotes`` (its words, verbatim), ``profiles`` (the scales a run
can take, and the pages' seeds),
``grids`` (the book's own grids), ``store`` (the atomic, resumable results store), ``sweep`` (train what a results
file lacks), ``parallel`` (the same on Ray, locked by a token) and ``rerun`` (train a stored row again and compare).
"""

from dmlvae import lazy_modules

__all__ = ["grids", "paper", "parallel", "profiles", "quotes", "rerun", "store", "sweep"]

__getattr__ = lazy_modules(__name__, __all__)
