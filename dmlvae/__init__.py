"""dmlvae: variational autoencoders for semi-supervised deep metric learning (Safir et al., SciPy 2022).

Four layers, each importing only from those below it (``.importlinter`` holds the contracts ``make test`` checks):
``core`` (data, networks, losses, priors, models, routines, training), ``experiments`` (the paper's tables, grids,
profiles, the results store, sweeps), ``analysis`` (statistics, the scorecard, findings), ``pages`` (the page
object and each page's back-end); ``errors`` and ``version`` sit below them all and the CLI above.
"""

from dmlvae.errors import DmlvaeError, MissingRuns
from dmlvae.version import __version__

__all__ = ["DmlvaeError", "MissingRuns", "__version__"]
