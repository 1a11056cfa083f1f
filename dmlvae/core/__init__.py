"""The core layer: what one run is made of and how it trains, knowing nothing of tables, grids or pages.

``config`` (RunConfig and its tagged defaults), ``data`` (datasets and splits), ``nets``, ``losses``, ``priors``,
``vae``, ``models``, ``graphs`` and ``propagation`` (label inference on a graph), ``routines`` (the paper's training
routines), ``shares`` (loss shares), ``evaluate`` (the probes), ``progress`` (the progress bars), ``train`` (one
run, end to end) and ``numeric`` (the numeric environment a row records).
"""

import importlib

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


def __getattr__(name: str):
    """``dmlvae.core.NAME`` imports the module NAME on first use, so importing one module of the layer does not
    import them all (and ``python -m dmlvae data`` does not load torch's training stack or scipy)."""
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
