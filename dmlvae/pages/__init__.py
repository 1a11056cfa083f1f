"""The pages layer: the page object and one back-end module per page that needs one.

A page does ``from dmlvae import pages`` and ``page = pages.Page(name, globals())`` (``page``: its parameters,
profile, seeds, re-run note, and the rows it reads, trained first where a profile may train). Each back-end takes
the page and gives its tables, figures and paragraphs: ``dml`` (page 01), ``autoencoder`` (02), ``priors`` (03),
``mvae`` (04), ``beyond`` (05), ``assumptions`` (06), ``scorecard`` (07), ``walkthrough`` (08 and live runs
elsewhere), ``teaching`` (09), ``geodesic`` (10); ``plots`` and ``exercises`` serve every page.
"""

from dmlvae.pages import (
    assumptions,
    autoencoder,
    beyond,
    dml,
    exercises,
    geodesic,
    mvae,
    plots,
    priors,
    scorecard,
    teaching,
    walkthrough,
)
from dmlvae.pages.page import (
    AUTO,
    PARAMETERS,
    VALIDATORS,
    Page,
    check,
    check_one,
    page_profile,
    rerun_note,
    sweep_command,
)

__all__ = [
    "AUTO",
    "PARAMETERS",
    "VALIDATORS",
    "Page",
    "assumptions",
    "autoencoder",
    "beyond",
    "check",
    "check_one",
    "dml",
    "exercises",
    "geodesic",
    "mvae",
    "page_profile",
    "plots",
    "priors",
    "rerun_note",
    "scorecard",
    "sweep_command",
    "teaching",
    "walkthrough",
]
