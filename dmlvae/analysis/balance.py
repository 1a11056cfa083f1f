"""The balance axis: the joint MetricVAE with its metric term set to a share of the loss at the start of training
(``RunConfig.metric_share``; grid ``balance``), against the VAE alone (gamma = 0) and DML at each labelled
percentage. The MetricVAE page's figure and its answer in words, from the stored rows.

The question: at which share, if any, do the labels help the MetricVAE (it beats the VAE alone, seed-paired),
and does it then beat DML with few labels (0.01 % and 0.1 %)?
"""

from __future__ import annotations

import pandas as pd

from dmlvae.analysis.scorecard import PROTOCOLS
from dmlvae.analysis.stats import ALPHA, holm, interval
from dmlvae.core import shares
from dmlvae.core.config import RunConfig
from dmlvae.experiments import grids, store

FEW_LABELS = (0.01, 0.1)  # the percentages where the paper's proposals are meant to help
DML, VAE = (name for name, _ in grids.BALANCE_REFERENCES)


def frame(rows) -> pd.DataFrame:
    """One row per ok run: ``line`` ("share 0.1", "DML", "VAE alone (gamma = 0)"), the metric share asked for
    (``share``; None for the references), pl_pct, seed, kNN accuracy under each protocol, the derived gamma, and
    the metric term's share of the loss in the first and the last epoch."""
    out = []
    for r in rows:
        if r.get("status") != "ok":
            continue
        cfg = RunConfig.from_dict(r["config"])
        history = r.get("history") or [{}]
        rec = {
            "line": grids.balance_line(cfg),
            "share": cfg.metric_share,
            "pl_pct": cfg.pl_pct,
            "seed": r["seed"],
            "gamma": history[0].get("gamma", cfg.gamma if cfg.model == "mvae" else None),
        }
        for p in PROTOCOLS:
            rec[p] = store.metric(r, "knn_acc", p)
        if cfg.model == "mvae":
            rec["first epoch share"] = shares.of_epoch(r, 0)["shares"]["metric"]
            rec["last epoch share"] = shares.of_epoch(r, -1)["shares"]["metric"]
        out.append(rec)
    return pd.DataFrame(out)


def paired(f: pd.DataFrame, line: str, against: str, pl_pct: float, protocol: str) -> dict:
    """Seed-paired accuracy difference ``line`` - ``against`` at ``pl_pct`` under ``protocol`` (a t-interval)."""
    at = f[f.pl_pct == pl_pct]
    a = at[at.line == line].set_index("seed")[protocol]
    b = at[at.line == against].set_index("seed")[protocol]
    common = a.index.intersection(b.index)
    return interval((a[common] - b[common]).tolist())


def _lines(f: pd.DataFrame) -> list[str]:
    """The share lines present, in the grid's order."""
    order = [f"share {s:g}" for s in grids.BALANCE_SHARES]
    return [x for x in order if x in set(f.line)]


def differences(f: pd.DataFrame) -> pd.DataFrame:
    """Per protocol, labelled percentage and share: the seed-paired difference from the VAE alone and from DML
    (mean and 95 % interval), and the verdicts ``helps`` (beats the VAE alone) and ``beats DML``, each a t-test
    Holm-corrected over the shares at that percentage and protocol (the answer rests on whichever share clears
    zero)."""
    out = []
    for p in PROTOCOLS:
        for pct in sorted(f.pl_pct.unique()):
            family = []
            for line in _lines(f):
                vae, dml = paired(f, line, VAE, pct, p), paired(f, line, DML, pct, p)
                family.append(
                    {
                        "protocol": p,
                        "pl_pct": pct,
                        "line": line,
                        "vs VAE": vae["mean"],
                        "vs VAE low": vae["low"],
                        "vs VAE high": vae["high"],
                        "vs VAE p": vae["p"],
                        "vs DML": dml["mean"],
                        "vs DML low": dml["low"],
                        "vs DML high": dml["high"],
                        "vs DML p": dml["p"],
                        "seeds": min(vae["n"], dml["n"]),
                    }
                )
            for ref, verdict in (("vs VAE", "helps"), ("vs DML", "beats DML")):
                for row, adjusted in zip(family, holm([r[f"{ref} p"] for r in family])):
                    row[verdict] = bool(adjusted < ALPHA and row[ref] > 0)
            out += family
    return pd.DataFrame(out)


def _pcts(values) -> str:
    return ", ".join(f"{p:g} %" for p in values)


def answer(f: pd.DataFrame, protocol: str) -> str:
    """The page's answer in words under ``protocol``: at which shares the labels help the MetricVAE (a
    seed-paired interval above 0 against the VAE alone), per labelled percentage, and whether at those shares it
    beats DML with few labels."""
    d = differences(f)
    d = d[d.protocol == protocol]
    if not len(d) or d.seeds.max() < 2:
        return f"Under `{protocol}`: too few runs to answer yet."
    helps = d[d.helps]
    if not len(helps):
        text = (
            f"Under `{protocol}` the labels help the MetricVAE at no share: at no labelled percentage does any "
            "share beat the VAE alone (seed-paired t-tests, Holm-corrected over the shares)."
        )
    else:
        per = [
            f"at {pct:g} % with share{'s' if len(g) > 1 else ''} {', '.join(x.removeprefix('share ') for x in g.line)}"
            for pct, g in helps.groupby("pl_pct")
        ]
        never = sorted(set(d.pl_pct) - set(helps.pl_pct))
        text = (
            f"Under `{protocol}` the labels help the MetricVAE (it beats the VAE alone: seed-paired t-tests, "
            f"Holm-corrected over the shares) {'; '.join(per)}"
            + (f"; at {_pcts(never)} no share does" if never else "")
            + "."
        )
    few = helps[helps.pl_pct.isin(FEW_LABELS)]
    if not len(few):
        few_d = d[d.pl_pct.isin(FEW_LABELS)]
        wins = few_d[few_d["beats DML"]]
        text += f" With few labels ({_pcts(FEW_LABELS)}) no share beats the VAE alone; against DML, " + (
            "; ".join(
                f"at {pct:g} % share{'s' if len(g) > 1 else ''} {', '.join(x.removeprefix('share ') for x in g.line)}"
                f" beat{'' if len(g) > 1 else 's'} it (Holm-corrected over the shares)"
                for pct, g in wins.groupby("pl_pct")
            )
            + ", a gain the VAE alone brings there, not shown to come from the labels."
            if len(wins)
            else "no share beats DML either."
        )
    else:
        wins = few[few["beats DML"]]
        text += (
            " Where they help with few labels, the MetricVAE "
            + (
                "beats DML at "
                + "; ".join(
                    f"{r.pl_pct:g} % (share {r.line.removeprefix('share ')}: "
                    f"{r['vs DML']:+.3f} [{r['vs DML low']:+.3f}, {r['vs DML high']:+.3f}])"
                    for _, r in wins.iterrows()
                )
                if len(wins)
                else "does not beat DML there"
            )
            + "."
        )
    return text


def course_sentence(f: pd.DataFrame) -> str:
    """What becomes of the share asked for during training, from the rows: per labelled percentage, the metric
    term's share of the loss in the first and in the last epoch at the largest share asked for, and at how many of
    the percentages it is below a tenth of a percent in the last epoch."""
    m = f[f.share.notna()]
    if not len(m):
        return "No MetricVAE run of the balance axis is stored yet."
    top = m.share.max()
    at = m[m.share == top].groupby("pl_pct")[["first epoch share", "last epoch share"]].mean()
    gone = [p for p, r in at.iterrows() if r["last epoch share"] < 0.001]
    parts = "; ".join(
        f"{p:g} %: {shares.fmt_share(r['first epoch share'])} in the first epoch, "
        f"{shares.fmt_share(r['last epoch share'])} in the last"
        for p, r in at.iterrows()
    )
    return (
        f"Asked for {shares.fmt_share(top)} at the start, the metric term's share of the loss is (means over the "
        f"seeds) {parts}. "
        + (
            f"At {_pcts(gone)} labelled it is under 0.1 % of the loss by the last epoch, even "
            "from the largest share asked for."
            if gone
            else "At no labelled percentage is it under 0.1 % of the loss by the last epoch."
        )
    )
