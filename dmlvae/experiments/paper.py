"""The paper's Tables 1-4 as published (``paper_tables.csv``, shipped with the package) and tables that
put our results (mean +- sd over seeds) beside them.

Table 3's caption says MNIST, but its numbers are the thesis's OrganAMNIST table; Table 2's DML column
equals its own alpha = 1 rows; Table 4 is single fully labelled runs. The ``note`` column keeps these.
"""

from __future__ import annotations

import dataclasses
import importlib.resources

import numpy as np
import pandas as pd

from dmlvae.core.config import RunConfig
from dmlvae.core.data import n_labelled
from dmlvae.errors import DmlvaeError
from dmlvae.experiments import quotes

TABLES = (1, 2, 3, 4)
GRID_COLUMNS = ["dataset", "model", "loss", "routine", "pl_pct", "lsdim", "alpha", "gamma"]
CAPTIONS = {
    1: "Table 1: DML autoencoder (proposal 1) vs DML on MNIST; kNN accuracy and AMI",
    2: "Table 2: DML autoencoder (proposal 1) vs DML on OrganAMNIST; kNN accuracy and AMI",
    3: "Table 3: DML with a unit-Gaussian or GMM prior (proposal 2); kNN accuracy and AMI "
    "(caption says MNIST; the numbers are the thesis's OrganAMNIST table)",
    4: "Table 4: MetricVAE, joint routine, fully labelled MNIST; linear / RF / kNN accuracy",
}


# Training-split sizes of the paper's datasets. The paper states MNIST's label counts (quotes "labels-few",
# "labels-many") and OrganAMNIST's "number of samples" in all, 58,850 (quote "samples"), not its training split:
# we assume MedMNIST v2's split, 34,581 / 6,491 / 17,778 (which sums to that 58,850).
PAPER_TRAIN_SIZE = {"mnist": 60_000, "organamnist": 34_581}
PAPER_STATES_LABELS = {"mnist"}  # the datasets whose label counts the paper itself gives
PL_PCTS = (0.01, 0.1, 10)


def label_counts(n_train: int, pl_pcts=PL_PCTS) -> dict:
    """Labelled images at each ``pl_pct`` of a training split of ``n_train`` images (``data.n_labelled``)."""

    return {p: n_labelled(n_train, p) for p in pl_pcts}


def label_count_note(table, used: str | None = None, n_train_used: int | None = None) -> str:
    """A sentence for the pages: how many labels the paper's pl% meant for ``table``'s dataset, and how many
    the dataset actually ``used`` (with ``n_train_used`` training images) has."""
    t = validate_table(table)
    ds = {c for c in paper_table(t).dataset}.pop()
    n = PAPER_TRAIN_SIZE[ds]
    fmt = lambda counts: ", ".join(f"{v:,}" for v in counts.values())  # noqa: E731
    pcts = ", ".join(f"{p:g} %" for p in PL_PCTS)
    if ds in PAPER_STATES_LABELS:
        text = (
            f"Table {t}'s numbers are MNIST's: {pcts} of its {n:,} training images are {fmt(label_counts(n))} "
            f"labels ({quotes.says('labels-few', 'the paper says').rstrip('.')})."
        )
    else:
        text = (
            f"Table {t}'s numbers are OrganAMNIST's. The paper gives its {quotes.quote('samples').md()}, not its "
            f"training split; we assume MedMNIST v2's {n:,} training images, where {pcts} are "
            f"{fmt(label_counts(n))} labels, not MNIST's {fmt(label_counts(PAPER_TRAIN_SIZE['mnist']))}."
        )
    if used and n_train_used and (used != ds or n_train_used != n):
        text += f" Here `{used}` has {n_train_used:,} training images: {fmt(label_counts(n_train_used))} labels."
    return text


@dataclasses.dataclass(frozen=True)
class Reading:
    """A number of the paper's tables as the thesis's table image gives it (``thesis``: what ``paper_tables.csv``
    holds and the book uses) and as the published PDF's extracted text reads it (``pdf``)."""

    table: int
    model: str
    pl_pct: float
    lsdim: int
    alpha: float | None
    metric: str
    thesis: float
    pdf: float

    def cell(self) -> str:
        alpha = "" if self.alpha is None else f", alpha {self.alpha:g}"
        return f"{self.model}, {self.pl_pct:g} %, lsdim {self.lsdim}{alpha}, {self.metric}"


# Where the two sources disagree, cell by cell (found by tests/experiments/test_paper.py, which compares every
# number of paper_tables.csv with the PDF's extracted text, tests/data/paper.txt, and fails when a disagreement is
# added or removed). The book uses the thesis's number: paper_tables.csv was transcribed from the thesis's table
# images, while the PDF's tables are images whose extracted text garbles their layout and may misread a digit.
PDF_READINGS = (
    Reading(1, "dml_autoencoder", 0.1, 2, 1.0, "knn_ami", 0.3022, 0.3922),
    Reading(1, "dml_autoencoder", 0.1, 10, 1.0, "knn_acc", 0.8589, 0.8389),
    Reading(3, "dml", 0.1, 4, None, "knn_acc", 0.2723, 0.3723),
    Reading(3, "dml_unit_prior", 0.01, 4, 1.0, "knn_ami", 0.0013, 0.0015),
    Reading(3, "dml_unit_prior", 10.0, 2, 0.33, "knn_ami", -0.003, -0.0013),
    Reading(3, "dml_unit_prior", 10.0, 2, 1.0, "knn_acc", 0.0995, 0.1055),
    Reading(3, "dml_unit_prior", 10.0, 2, 1.0, "knn_ami", -0.0013, 0.0010),
)
# Numbers of paper_tables.csv that the PDF's extracted text does not hold at all (its layout lost those rows, or
# read them as numbers that other cells also have): (table, value).
NOT_IN_PDF_TEXT = (
    (1, 0.3112), (1, 0.1835), (1, 0.8323), (1, 0.7102), (1, 0.4349), (1, 0.3339), (1, 0.8718), (1, 0.7616),
    (2, 0.3896), (2, 0.2502), (2, 0.825), (2, 0.7078),
)  # fmt: skip
USES = (
    "the thesis's: paper_tables.csv was transcribed from the thesis's table images; the PDF's tables are images, "
    "and its extracted text garbles their layout and may misread a digit"
)


def readings_table() -> pd.DataFrame:
    """The errata page's table: every cell where the thesis's table and the PDF's text disagree, and which the book
    uses (``PDF_READINGS``)."""
    return pd.DataFrame(
        [
            {"table": f"Table {r.table}", "cell": r.cell(), "thesis (the book uses it)": r.thesis, "PDF text": r.pdf}
            for r in PDF_READINGS
        ]
    ).set_index(["table", "cell"])


def paper_table(table=None) -> pd.DataFrame:
    """The published numbers, one row per reported value (all tables, or one)."""
    with importlib.resources.files("dmlvae").joinpath("paper_tables.csv").open() as f:
        df = pd.read_csv(f)
    if table is None:
        return df
    return df[df.table == validate_table(table)].reset_index(drop=True)


def validate_table(table) -> int:
    try:
        t = int(table)
    except (TypeError, ValueError):
        t = None
    if t not in TABLES or str(table).strip() != str(t):
        raise DmlvaeError(f"unknown table {table!r}; allowed: {', '.join(map(str, TABLES))}")
    return t


def grid(table) -> list[dict]:
    """The distinct configurations of a table (each a dict of RunConfig fields)."""
    df = paper_table(table)
    cells = []
    for _, row in df[GRID_COLUMNS].drop_duplicates().iterrows():
        cell = {c: row[c] for c in ("dataset", "model", "loss", "routine")}
        cell["pl_pct"], cell["lsdim"] = float(row.pl_pct), int(row.lsdim)
        if not pd.isna(row.alpha):
            cell["alpha"] = float(row.alpha)
        if not pd.isna(row.gamma):
            cell["gamma"] = float(row.gamma)
        cells.append(cell)
    return cells


def _fmt(mean, sd, n):
    if n == 0 or pd.isna(mean):
        return "-"
    return f"{mean:.3f}" if n == 1 else f"{mean:.3f} ± {sd:.3f}"


def mean_sd(values) -> str:
    """'mean ± sd' (sample sd) of the non-missing values, the mean alone for one value, '-' for none."""
    v = pd.Series(values, dtype=float).dropna()
    return _fmt(v.mean(), v.std(ddof=1), len(v))


VARYING_HINT = (
    "keep one configuration per results file, or choose one with --dataset (dataset=...) when "
    "the file holds several datasets"
)


def _differing_fields(sel: pd.DataFrame) -> str:

    fields = [f.name for f in dataclasses.fields(RunConfig) if f.name not in ("seed", "device", "data_dir")]
    cols = [c for c in fields if c in sel.columns]
    out = []
    for c in cols:
        vals = {str(v) for v in sel[c]}
        if len(vals) > 1:
            out.append(f"{c} ({', '.join(sorted(vals))})")
    return "; ".join(out[:6]) or "settings"


def _cell_runs(t: int, cell, tab: pd.DataFrame) -> tuple[pd.DataFrame, int, bool]:
    """The runs of paper cell ``cell`` among ``tab`` (Table ``t``'s rows): (its ok runs, of the current
    training-code version where it has any; how many failed; whether only stale ones are left). Runs that are not
    one configuration apart from the seed are refused, naming the fields that differ."""
    sel = tab
    if len(sel):
        for c in ("model", "loss", "routine", "pl_pct", "lsdim"):
            sel = sel[sel[c] == cell[c]]
        for c in ("alpha", "gamma"):
            if not pd.isna(cell[c]):
                sel = sel[np.isclose(sel[c].astype(float), float(cell[c]))]
    n_failed = int((sel["status"] != "ok").sum()) if len(sel) else 0
    ok = sel[sel["status"] == "ok"] if len(sel) else sel
    stale = False
    if len(ok) and "stale" in ok:
        current = ok[~ok["stale"].astype(bool)]
        stale = len(current) == 0
        ok = ok if stale else current
    if len(ok) and "cell" in ok and ok["cell"].nunique() > 1:
        raise DmlvaeError(
            f"Table {t}, cell {cell.model} pl={cell.pl_pct:g} lsdim={cell.lsdim} "
            f"{weight_label(cell)}: the stored runs are not one configuration apart from the seed; they "
            f"differ in {_differing_fields(ok)}. Tables never average different configurations: "
            f"{VARYING_HINT}"
        )
    return ok, n_failed, stale


def compare(table, results: pd.DataFrame) -> pd.DataFrame:
    """One row per number the paper reports in ``table``: the paper's value, ours (mean, sd, n over seeds,
    seeds listed) and ours - paper. ``results`` holds one row per run (``store.Store.frame()``),
    already restricted to the profile wanted.

    A cell averages only runs of one configuration apart from the seed: runs that differ in anything else
    (the dataset, the epochs, ...) are refused with the fields that differ. Rows of the current training-code
    version are used when a cell has any; otherwise its stale rows are, and the cell says so (``stale``).
    A cell whose runs all failed is ``failed``, never missing."""
    t = validate_table(table)
    paper = paper_table(t)
    tab = results[results.get("table") == t] if len(results) else results
    out = []
    for _, cell in paper.iterrows():
        ok, n_failed, stale = _cell_runs(t, cell, tab)
        has = len(ok) and cell.metric in ok
        values = ok[cell.metric].dropna().astype(float) if has else pd.Series([], dtype=float)
        n = len(values)
        mean = values.mean() if n else np.nan
        sd = values.std(ddof=1) if n > 1 else (0.0 if n == 1 else np.nan)
        used = sorted(set(ok["dataset_used"])) if n else []
        text = _fmt(mean, sd, n)
        if n == 0 and n_failed:
            text = f"failed ({n_failed})"
        elif stale and n:
            text += " stale"
        out.append(
            {
                "table": t,
                "model": cell.model,
                "routine": cell.routine,
                "pl_pct": cell.pl_pct,
                "lsdim": cell.lsdim,
                "alpha": cell.alpha,
                "gamma": cell.gamma,
                "metric": cell.metric,
                "paper": cell.value,
                "ours_mean": mean,
                "ours_sd": sd,
                "n_seeds": n,
                "n_failed": n_failed,
                "stale": bool(stale and n),
                "seeds": ",".join(str(int(s)) for s in sorted(ok["seed"])) if n else "",
                "diff": mean - cell.value if n else np.nan,
                "ours": text,
                "dataset_paper": cell.dataset,
                "dataset_used": ",".join(used),
                "note": cell.note if isinstance(cell.note, str) else "",
            }
        )
    return pd.DataFrame(out)


def caption(table, cmp: pd.DataFrame, profile: str, seeds, note: str = "") -> str:
    """The Markdown caption of a comparison table on the pages: the paper's caption, our profile, seeds and
    dataset, and how to read a cell."""
    used = ", ".join(sorted(set(cmp.dataset_used) - {""})) or "-"
    theirs = sorted(set(cmp.dataset_paper)) if "dataset_paper" in cmp else []
    stand_in = used != "-" and bool(theirs) and set(used.split(", ")) != set(theirs)
    names = {"mnist": "MNIST", "organamnist": "OrganAMNIST"}
    return (
        f"**{CAPTIONS[validate_table(table)]}.** Ours: profile `{profile}`, seeds {list(seeds)}, dataset "
        f"`{used}`"
        + (
            f" (**a stand-in**: the paper's numbers are {', '.join(names.get(d, d) for d in theirs)}'s; "
            f"ours are not comparable with them)"
            if stand_in
            else ""
        )
        + f"{note}; cells: ours (mean ± sd) n=seeds (paper, ours - paper)."
    )


def weight_label(row) -> str:
    """'gamma=G' for joint-routine cells, 'alpha=A' for alternating ones, '-' for DML."""
    if not pd.isna(row.gamma):
        return f"gamma={row.gamma:g}"
    return f"alpha={row.alpha:g}" if not pd.isna(row.alpha) else "-"


def layout(comparison: pd.DataFrame) -> pd.DataFrame:
    """The paper's layout: a row per (model, pl%, alpha or gamma), a column per (lsdim, metric); each cell
    'ours (paper, diff)'."""
    df = comparison.copy()
    df["weight"] = [weight_label(r) for r in df.itertuples()]
    df["cell"] = df.apply(
        lambda r: (
            f"{r.ours}"
            + (f" n={r.n_seeds}" if r.n_seeds else "")
            + f" ({r.paper:.3f}"
            + (f", {r['diff']:+.3f})" if r.n_seeds else ")")
        ),
        axis=1,
    )
    df["pl%"] = [f"{p:g}" for p in df.pl_pct]
    wide = df.pivot_table(
        index=["model", "pl%", "weight"], columns=["lsdim", "metric"], values="cell", aggfunc="first", sort=False
    )
    return wide


def styled_layout(comparison: pd.DataFrame):
    """:func:`layout` as HTML for the book: a table of class ``dmlvae-compare`` (cells kept on one line)."""
    return layout(comparison).style.set_table_attributes('class="dmlvae-compare"').format(na_rep="-")


def agreement(*comparisons: pd.DataFrame) -> pd.DataFrame:
    """Per paper table of ``comparisons`` (:func:`compare`'s frames): how many numbers were compared (cells with at
    least one seed), the mean |ours - paper| and how many of ours are above the paper's."""
    both = pd.concat(comparisons)
    both = both[both.n_seeds > 0]
    by = both.groupby("table")["diff"]
    return pd.DataFrame(
        {
            "numbers compared": by.size(),
            "mean |ours - paper|": by.apply(lambda d: d.abs().mean()).round(3),
            "ours above paper": by.apply(lambda d: int((d > 0).sum())),
        }
    )
