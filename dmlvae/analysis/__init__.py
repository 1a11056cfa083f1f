"""The analysis layer: what the stored rows say, read from the results store and training nothing.

``stats`` (intervals, paired tests, Holm), ``tables`` (our numbers beside the paper's), ``scorecard`` (each of
the paper's claims with its verdict), ``findings`` and ``statements`` (the sentences generated from them),
``paper_kl`` (what the paper's GMM KL did), and the analyses behind pages: ``beyond``, ``realistic``, ``balance``
and ``objectives``.
"""

from dmlvae import lazy_modules

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

__getattr__ = lazy_modules(__name__, __all__)
