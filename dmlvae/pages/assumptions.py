"""Page 06's back-end (the assumptions): RunConfig's tagged defaults, the profiles, and the routines' own text."""

from __future__ import annotations

from dmlvae.core import config, routines
from dmlvae.experiments import paper, profiles


def defaults_table(page, origin: str | None = None):
    """Every RunConfig field with its default and where it comes from (``config.defaults_table``); ``origin``
    ("paper", "assumption", "setting") keeps those only."""
    return config.defaults_table(origin)


def profile_table(page):
    """What each profile changes (``profiles.profile_table``)."""
    return profiles.profile_table()


def grid_profile_table(page):
    """What each profile changes for a grid of its own (``profiles.grid_profile_table``)."""
    return profiles.grid_profile_table()


def routines_text(page) -> str:
    """The routines module's own account of each training routine (its docstring), printed as it is."""
    return routines.__doc__


def readings_table(page):
    """The cells of the paper's tables where the thesis's table and the PDF's text disagree
    (``paper.readings_table``), and which the book uses."""
    return paper.readings_table()
