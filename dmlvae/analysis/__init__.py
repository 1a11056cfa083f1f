"""The analysis layer: what the stored rows say, read from the results store and training nothing.

``stats`` (intervals, paired tests, Holm), ``tables`` (our numbers beside the paper's), ``scorecard`` (each of
the paper's claims with its verdict), ``findings`` and ``statements`` (the sentences generated from them),
``paper_kl`` (what the paper's GMM KL did), and the analyses behind pages: ``beyond``, ``realistic``, ``balance``
and ``objectives``.
"""

import importlib

__all__ = [
    "balance",
    "beyond",
    "findings",
    "objectives",
    "paper_kl",
    "realistic",
    "scorecard",
    "statements",
    "stats",
    "tables",
]


def __getattr__(name: str):
    """``dmlvae.analysis.NAME`` imports the module NAME on first use, so importing one module of the layer does not
    import them all (and ``python -m dmlvae data`` does not load torch's training stack or scipy)."""
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
