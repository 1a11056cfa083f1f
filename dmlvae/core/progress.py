"""Progress bars: ``tqdm.auto`` (a notebook widget where ipywidgets is installed, else text), imported without the
warning ``tqdm.auto`` gives at import in a kernel that lacks ipywidgets (it then falls back to text, as it says), so a
built page shows no warning for a bar it may never draw."""

import warnings

from tqdm import TqdmWarning

with warnings.catch_warnings():
    warnings.simplefilter("ignore", TqdmWarning)
    from tqdm.auto import tqdm

__all__ = ["tqdm"]
