"""Crude versus confounder-adjusted effect, by stratification (standardised over the
confounder's distribution), with a warning when adjusting reverses the sign (Simpson's paradox).

A table often comes aggregated: one row per (treatment, confounder, outcome) group with a
count column. ``weight`` names it (each row then stands for that many individuals); left out,
a column named like a count (``count``, ``n``, ``freq``, ...) holding non-negative whole
numbers, in a table with one row per group, is taken as the weight and named in the result
(``weight_detected``); another numeric column in such a table is named as a possible weight
(``weight_hint``) — counting each row once would make 81 successes out of 87 weigh as much as
6 failures.

Example:
    >>> r = adjust(df, treatment="treatment", outcome="success",
    ...            confounder="stone_size")                               # doctest: +SKIP
    >>> r["simpson"]                                                      # doctest: +SKIP
    True
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import i18n
from ..errors import DataError, closest
from ..i18n import t

__all__ = ["adjust", "detect_weight"]

# Column names that say "how many rows this row stands for".
COUNT_NAMES = (
    "count",
    "counts",
    "n",
    "freq",
    "frequency",
    "weight",
    "weights",
    "number",
    "num",
    "cases",
    "total",
    "patients",
    "people",
    "size",
)


def _column(df: pd.DataFrame, name: str, what: str) -> pd.Series:
    if name not in df.columns:
        near = closest(name, df.columns)
        raise DataError(
            t(
                "error.stats.causal.column_data_columns",
                what=what,
                name=name,
                value=t("error.did_you_mean", names=repr(near[0])) if near else "",
                names=", ".join(map(str, df.columns[:20])),
            )
        )
    return df[name]


def _weights(df: pd.DataFrame, weight: str | None) -> pd.Series:
    """Each row's weight: the column ``weight`` (non-negative numbers) or 1."""
    if weight is None:
        return pd.Series(1.0, index=df.index)
    w = pd.to_numeric(_column(df, weight, "Weight"), errors="coerce")
    if w.isna().any() or (w < 0).any():
        raise DataError(i18n.t("error.stats.causal.weight_not_counts", weight=weight))
    return w.astype(float)


def _one_row_per_group(df: pd.DataFrame, keys: list[str]) -> bool:
    return not df.duplicated(subset=keys).any()


def detect_weight(df: pd.DataFrame, keys: list[str]) -> tuple[str | None, str | None]:
    """(a count column to weight by, another numeric column that may be one) of a table with
    one row per group of ``keys``; (None, None) for a table of individual rows."""
    if not _one_row_per_group(df, keys):
        return None, None
    numeric = [
        c
        for c in df.columns
        if c not in keys and pd.api.types.is_numeric_dtype(df[c]) and (df[c].dropna() >= 0).all()
    ]
    for c in numeric:
        whole = bool((df[c].dropna() % 1 == 0).all())
        if whole and str(c).strip().lower() in COUNT_NAMES:
            return str(c), None
    return None, (str(numeric[0]) if numeric else None)


def adjust(
    df: pd.DataFrame,
    treatment: str,
    outcome: str,
    confounder: str,
    weight: str | None = None,
    detect: bool = True,
) -> dict:
    """Crude and standardised effect of ``treatment`` on ``outcome`` over ``confounder``;
    rows weighted by the column ``weight`` (or one detected by its name, with ``detect``)."""
    t = _column(df, treatment, "Treatment")
    y = _column(df, outcome, "Outcome")
    z = _column(df, confounder, "Confounder")
    detected = hint = None
    if weight is None and detect:
        detected, hint = detect_weight(df, [treatment, outcome, confounder])
    w = _weights(df, weight or detected)
    levels = sorted(t.dropna().astype(str).unique())
    if len(levels) != 2:
        raise DataError(
            i18n.t(
                "error.stats.causal.treatment_must_exactly",
                treatment=treatment,
                n_levels=len(levels),
                names=", ".join(levels[:6]),
            )
        )
    y_num = pd.to_numeric(y, errors="coerce")
    if y_num.isna().any():
        values = sorted(y.dropna().astype(str).unique())
        if len(values) != 2:
            raise DataError(
                i18n.t(
                    "error.stats.causal.outcome_must_numeric", outcome=outcome, n_values=len(values)
                )
            )
        y_num = (y.astype(str) == values[-1]).astype(float)
    data = pd.DataFrame({"t": t.astype(str), "y": y_num, "z": z.astype(str), "w": w}).dropna()
    out = _standardise(data, levels, confounder)
    out.update(
        {
            "treatment": treatment,
            "outcome": outcome,
            "confounder": confounder,
            "weight": weight or detected,
            "weight_detected": detected,
            "weight_hint": hint if weight is None else None,
        }
    )
    return out


def _mean(part: pd.DataFrame) -> float:
    total = float(part["w"].sum())
    return float((part["y"] * part["w"]).sum() / total) if total > 0 else float("nan")


def _standardise(data: pd.DataFrame, levels: list[str], confounder: str) -> dict:
    """Crude and confounder-standardised weighted means of the two groups."""
    a, b = levels[1], levels[0]  # effect = mean(Y | T=a) - mean(Y | T=b)
    crude = {lvl: _mean(data[data.t == lvl]) for lvl in levels}
    weights = data.groupby("z", sort=False)["w"].sum()
    weights = (weights / weights.sum()).sort_values(ascending=False, kind="stable")
    strata, standardised = [], {lvl: 0.0 for lvl in levels}
    for zv, share in weights.items():
        part = data[data.z == zv]
        means = {lvl: _mean(part[part.t == lvl]) for lvl in levels}
        if any(np.isnan(v) for v in means.values()):
            raise DataError(
                i18n.t("error.stats.causal.stratum_rows_one", confounder=confounder, zv=zv)
            )
        for lvl in levels:
            standardised[lvl] += share * means[lvl]
        strata.append(
            {
                "stratum": zv,
                "weight": float(share),
                "n": {lvl: _count(part[part.t == lvl]["w"]) for lvl in levels},
                "mean": {lvl: float(means[lvl]) for lvl in levels},
                "effect": float(means[a] - means[b]),
            }
        )
    crude_effect = crude[a] - crude[b]
    adjusted_effect = standardised[a] - standardised[b]
    return {
        "compared": [a, b],
        "crude": crude,
        "crude_effect": crude_effect,
        "adjusted": {k: float(v) for k, v in standardised.items()},
        "adjusted_effect": float(adjusted_effect),
        "strata": strata,
        "simpson": bool(
            np.sign(crude_effect) != np.sign(adjusted_effect)
            and crude_effect != 0
            and adjusted_effect != 0
        ),
    }


def _count(w: pd.Series) -> int | float:
    total = float(w.sum())
    return int(total) if total.is_integer() else round(total, 2)
