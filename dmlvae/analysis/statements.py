"""Guards for the book's sentences: a qualitative sentence a page states in its prose ("the posterior
collapses", "the paper's Table 3 is at chance") is checked against the rows (or the paper's numbers) by a
function here, called in the page right after the table it reads; when the rows stop supporting it, the page
fails with :class:`StatementError`, naming the sentence and what the rows show, and the book does not build.

Sentences that carry numbers, or whose wording depends on the rows, are not guarded but generated (the
``*_sentence`` and ``answer`` functions of the other modules).
"""

from __future__ import annotations

from dmlvae.errors import DmlvaeError
from dmlvae.experiments import paper

CHANCE_BAND = 0.05  # as the scorecard's: within 5 points of 1 / classes is chance


class StatementError(DmlvaeError):
    """A page's sentence is no longer true of the rows it describes."""


def require(holds: bool, sentence: str, shown: str) -> None:
    if not holds:
        raise StatementError(
            f"the page says {sentence!r}, but the rows show {shown}: change the sentence (or find why the rows changed)"
        )


def paper_table3_at_chance(chance_band: float = CHANCE_BAND) -> None:
    """The proposal 2 page says the paper's Table 3 puts both prior models at chance level everywhere: every
    accuracy it reports for them is within ``chance_band`` of 1 / 11 (OrganAMNIST's classes); DML beside them is
    not."""

    t = paper.paper_table(3)
    acc = t[(t.metric == "knn_acc") & (t.model != "dml")]
    worst = acc.loc[(acc.value - 1 / 11).abs().idxmax()]
    require(
        bool((acc.value - 1 / 11).abs().le(chance_band).all()),
        "The paper's Table 3 puts both prior models at chance level everywhere",
        f"the paper's {worst.model} at {worst.pl_pct:g} %, lsdim {worst.lsdim}: {worst.value:.3f}",
    )


def paper_table2_dml_is_its_autoencoder(tol: float = 1e-9) -> None:
    """The proposal 1 page says the paper's Table 2 DML column equals its own alpha = 1 rows: every DML number
    equals the DML autoencoder's at alpha = 1, cell by cell."""

    t = paper.paper_table(2)
    dml = t[t.model == "dml"].set_index(["pl_pct", "lsdim", "metric"]).value
    ae1 = t[(t.model == "dml_autoencoder") & (t.alpha == 1.0)].set_index(["pl_pct", "lsdim", "metric"]).value
    differ = [k for k in dml.index if k not in ae1.index or abs(dml[k] - ae1[k]) > tol]
    require(
        not differ and len(dml) > 0,
        "The paper's Table 2 DML column equals its own alpha = 1 rows",
        f"{len(differ)} of {len(dml)} DML numbers differ from the alpha = 1 rows ({differ[:3]})",
    )
