"""Page 02's back-end (the DML autoencoder, proposal 1): the guard of its sentence about the paper's Table 2, and how
far Tables 1 and 2 lie from the paper's."""

from __future__ import annotations

import pandas as pd

from dmlvae.analysis import statements
from dmlvae.experiments import paper
from dmlvae.pages import blocks


def table2_dml_is_its_autoencoder(page) -> None:
    """The guard of the page's sentence that the paper's Table 2 DML column equals its own alpha = 1 rows: raises
    (and the page fails to build) when the paper's numbers stop supporting it."""
    statements.paper_table2_dml_is_its_autoencoder()


def agreement(page) -> pd.DataFrame:
    """Per paper table (1 and 2): how many numbers were compared, the mean |ours - paper| and how many of ours lie
    above the paper's (``paper.agreement``)."""
    return paper.agreement(page.comparison(1), page.comparison(2))


def answer_box(page):
    """The box the page opens with (``blocks.claims_answer``): our numbers against the paper's and the
    scorecard's verdicts on claims 1-3 on Tables 1 and 2."""
    return blocks.claims_answer(page, (1, 2, 3), (1, 2))
