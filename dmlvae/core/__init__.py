"""The core layer: what one run is made of and how it trains, knowing nothing of tables, grids or pages.

``config`` (RunConfig and its tagged defaults), ``data`` (datasets and splits), ``nets``, ``losses``, ``priors``,
``vae``, ``models``, ``graphs`` and ``propagation`` (label inference on a graph), ``routines`` (the paper's training
routines), ``shares`` (loss shares), ``evaluate`` (the probes), ``progress`` (the progress bars), ``train`` (one
run, end to end) and ``numeric`` (the numeric environment a row records).
"""

from dmlvae import lazy_modules

__all__ = [
    "config",
    "data",
    "evaluate",
    "graphs",
    "losses",
    "models",
    "nets",
    "numeric",
    "priors",
    "progress",
    "propagation",
    "routines",
    "shares",
    "train",
    "vae",
]

__getattr__ = lazy_modules(__name__, __all__)
