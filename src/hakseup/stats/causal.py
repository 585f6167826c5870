"""Crude versus confounder-adjusted effect, by stratification (standardised over the
confounder's distribution), with a warning when adjusting reverses the sign (Simpson's paradox).

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

__all__ = ["adjust"]


def _column(df: pd.DataFrame, name: str, what: str) -> pd.Series:
    if name not in df.columns:
        near = closest(name, df.columns)
        raise DataError(t("error.stats.causal.column_data_columns", what=what, name=name,
                          value=t("error.did_you_mean", names=repr(near[0])) if near else '',
                          names=', '.join(map(str, df.columns[:20]))))
    return df[name]


def adjust(df: pd.DataFrame, treatment: str, outcome: str, confounder: str) -> dict:
    t = _column(df, treatment, "Treatment")
    y = _column(df, outcome, "Outcome")
    z = _column(df, confounder, "Confounder")
    levels = sorted(t.dropna().astype(str).unique())
    if len(levels) != 2:
        raise DataError(i18n.t("error.stats.causal.treatment_must_exactly", treatment=treatment,
                               n_levels=len(levels), names=', '.join(levels[:6])))
    y_num = pd.to_numeric(y, errors="coerce")
    if y_num.isna().any():
        values = sorted(y.dropna().astype(str).unique())
        if len(values) != 2:
            raise DataError(i18n.t("error.stats.causal.outcome_must_numeric", outcome=outcome,
                                   n_values=len(values)))
        y_num = (y.astype(str) == values[-1]).astype(float)
    data = pd.DataFrame({"t": t.astype(str), "y": y_num, "z": z.astype(str)}).dropna()
    a, b = levels[1], levels[0]          # effect = mean(Y | T=a) - mean(Y | T=b)
    crude = {lvl: float(data.loc[data.t == lvl, "y"].mean()) for lvl in levels}
    weights = data["z"].value_counts(normalize=True)
    strata, standardised = [], {lvl: 0.0 for lvl in levels}
    for zv, w in weights.items():
        part = data[data.z == zv]
        means = {lvl: part.loc[part.t == lvl, "y"].mean() for lvl in levels}
        if any(np.isnan(v) for v in means.values()):
            raise DataError(i18n.t("error.stats.causal.stratum_rows_one", confounder=confounder,
                                   zv=zv))
        for lvl in levels:
            standardised[lvl] += w * means[lvl]
        strata.append({"stratum": zv, "weight": float(w),
                       "n": {lvl: int((part.t == lvl).sum()) for lvl in levels},
                       "mean": {lvl: float(means[lvl]) for lvl in levels},
                       "effect": float(means[a] - means[b])})
    crude_effect = crude[a] - crude[b]
    adjusted_effect = standardised[a] - standardised[b]
    return {"treatment": treatment, "outcome": outcome, "confounder": confounder,
            "compared": [a, b], "crude": crude, "crude_effect": crude_effect,
            "adjusted": {k: float(v) for k, v in standardised.items()},
            "adjusted_effect": float(adjusted_effect), "strata": strata,
            "simpson": bool(np.sign(crude_effect) != np.sign(adjusted_effect)
                            and crude_effect != 0 and adjusted_effect != 0)}
