"""dmlvae: variational autoencoders for semi-supervised deep metric learning (Safir et al., SciPy 2022)."""

from .errors import DmlvaeError, MissingRuns

__version__ = "0.1.0"
__all__ = ["DmlvaeError", "MissingRuns", "__version__"]
