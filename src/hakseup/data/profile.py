"""Profiling a CSV before training: kinds, missing values, statistics, class balance, and for a
time series the stationarity tests and the season found.

Example:
    >>> report = profile_csv("cars.csv", target="output")        # doctest: +SKIP
    >>> report["columns"]["price"]["kind"]                        # doctest: +SKIP
    'categorical'
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..config import DataConfig
from ..io.reader import read_csv

__all__ = ["profile_csv"]


def profile_csv(
    path: str,
    target: str | None = None,
    time_col: str | None = None,
    header: bool = True,
    encoding: str | None = None,
    sheet: str | None = None,
) -> dict:
    from .table.prepare import infer_kinds, infer_task, resolve_target

    df = read_csv(path, header=header, encoding=encoding, sheet=sheet)
    read = list(df.attrs.get("hakseup_source", {}).get("notices", []))
    cfg = DataConfig(path=path, target=target, time_col=time_col, header=header)
    tgt = resolve_target(df, target, header, path) if (target or not time_col) else None
    others = [c for c in df.columns if c not in (tgt, time_col)]
    # A univariate series (time and target only) has no features, and needs none to profile.
    kinds, notices = infer_kinds(df, tgt if tgt else "\0", cfg) if others else ({}, [])
    columns = {}
    for col in df.columns:
        kind = "target" if col == tgt else "time" if col == time_col else kinds.get(col, "dropped")
        columns[col] = _column_profile(df[col], kind)
    out: dict[str, Any] = {
        "path": str(path),
        "rows": len(df),
        "columns": columns,
        "notices": read + notices,
    }
    if tgt and not time_col:
        task = infer_task(df[tgt].dropna())
        out["task"] = task
        if task in ("binary", "multiclass"):
            counts = df[tgt].astype(str).value_counts()
            out["class_balance"] = {k: int(v) for k, v in counts.items()}
            out["imbalance_ratio"] = float(counts.max() / counts.min())
    if time_col:
        out["series"], series_notices = _series_profile(df, path, time_col, tgt)
        out["notices"] += series_notices
    return out


def _column_profile(s: pd.Series, kind: str) -> dict:
    """One column's profile: its kind, missing and unique counts, and either its numeric
    summary (mean, std, min, max) or its three most frequent values."""
    info: dict[str, Any] = {
        "kind": kind,
        "missing": int(s.isna().sum()),
        "unique": int(s.nunique()),
    }
    num = pd.to_numeric(s, errors="coerce")
    # The share of numbers among the cells that hold a value: a numeric column with blank
    # (missing) cells is still numeric, as training reads it.
    present = s.notna()
    numeric_share = float(num[present].notna().mean()) if present.any() else 0.0
    if numeric_share > 0.9 and kind != "categorical":
        if num.notna().any():
            info.update(
                mean=float(num.mean()),
                std=float(num.std()),
                min=float(num.min()),
                max=float(num.max()),
            )
    else:
        top = s.astype(str).value_counts().head(3)
        info["top"] = {str(k): int(v) for k, v in top.items()}
    return info


def _series_profile(
    df: pd.DataFrame, path: str, time_col: str, tgt: str | None
) -> tuple[dict, list]:
    """The series as training would prepare it: frequency, span, filled gaps, stationarity
    (before and after differencing) and season; with the preparation's notices."""
    from .series.prepare import detect_season, prepare_series, stationarity

    sf = prepare_series(df, DataConfig(path=path, time_col=time_col, target=tgt), {}, path)
    y = sf.df[sf.target].to_numpy(dtype=np.float64)
    series = {
        "target": sf.target,
        "frequency": sf.freq or "irregular",
        "start": str(sf.df.index[0]),
        "end": str(sf.df.index[-1]),
        "filled": sf.filled,
        "stationarity": stationarity(y),
        "stationarity_after_differencing": stationarity(np.diff(y)),
        "season": detect_season(y),
    }
    return series, list(sf.notices)
