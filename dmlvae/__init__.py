"""dmlvae: variational autoencoders for semi-supervised deep metric learning (Safir et al., SciPy 2022).

Four layers, each importing only from those below it (``.importlinter`` holds the contracts ``make test`` checks):
``core`` (data, networks, losses, priors, models, routines, training), ``experiments`` (the paper's tables, grids,
profiles, the results store, sweeps), ``analysis`` (statistics, the scorecard, findings), ``pages`` (the page
object and each page's back-end); ``errors`` and ``version`` sit below them all and the CLI above.
"""

import importlib

from dmlvae.errors import DmlvaeError, MissingRuns
from dmlvae.version import __version__

__all__ = ["DmlvaeError", "MissingRuns", "__version__"]


def lazy_modules(package: str, names):
    """A layer package's module ``__getattr__``: ``package.NAME`` imports the module NAME (one of ``names``) on first
    use, so importing one module of a layer does not import them all (and ``python -m dmlvae data`` does not load
    torch's training stack or scipy)."""

    def __getattr__(name: str):
        if name in names:
            return importlib.import_module(f"{package}.{name}")
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
