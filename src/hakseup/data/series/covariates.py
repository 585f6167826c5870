"""Covariates of a single series: the columns beside the target that a forecaster reads.

- **Past covariates** (known up to the forecast origin): by default every other numeric column
  of the file (``data.covariates auto``), or the columns ``data.features`` names. A window
  holds their last ``window`` values, as it holds the target's.
- **Future covariates** (``data.future_covariates``: calendar events, promotions, planned
  prices — values known ahead): a window also holds their past values, and the forecaster
  reads their values *at the forecast steps* (``future_block``). ``predict`` then needs those
  future values for the steps past the series' end.
- **Calendar features** (``data.calendar``): harmonics of the position in the year, week or
  day of every forecast step, computed from the time column (``calendar_features``), so they
  are known ahead by construction.

How the forecast steps reach the network: the window of ``W`` rows gets ``F`` more channels
(future covariates, then calendar), zero except on its last ``H`` rows, where row ``W - H + k``
holds the value at forecast step ``k`` (the ``season_features`` channels are packed the same
way). One input tensor keeps every model, the trainer, the export and the summary working
unchanged; ``models.forecast.FutureCovariates`` reads the block back for ``dlinear`` and
``nbeats``. It needs ``W >= H``.

Example:
    >>> import pandas as pd
    >>> names, values = calendar_features(pd.date_range("2020-01-01", periods=3, freq="MS"),
    ...                                   "MS")
    >>> names[:2], values.shape
    (['month sin1', 'month cos1'], (3, 6))
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...errors import DataError, closest
from ...i18n import t

__all__ = [
    "did_you_mean",
    "covariate_columns",
    "covariate_rows",
    "mask_covariates",
    "calendar_spec",
    "calendar_features",
    "future_block",
    "pack_future",
]


def did_you_mean(name: str | None, cols: list[str]) -> str:
    """The hint an error about a missing column ``name`` ends with: the closest of ``cols``,
    or nothing when none is close (or no name was given). Shared by the series and panels."""
    near = closest(name, cols) if name is not None else []
    return t("error.did_you_mean", names=repr(near[0])) if near else ""


def _is_numeric(values: pd.Series) -> bool:
    """Numbers, or text that reads as numbers everywhere it is not empty."""
    if pd.api.types.is_bool_dtype(values):
        return False
    if pd.api.types.is_numeric_dtype(values):
        return True
    given = values.dropna()
    return len(given) > 0 and bool(pd.to_numeric(given, errors="coerce").notna().all())


def covariate_columns(
    df: pd.DataFrame, cfg, time_col: str, target: str, source
) -> tuple[list[str], list[str], list[str]]:
    """(past covariates, future covariates, columns left out as not numeric), each checked.

    Past: ``data.features`` when given, else every other numeric column (``data.covariates
    auto``; none with ``none``), leaving out the time column, the target, ``data.drop`` and
    a panel's id column. A future covariate is also read in the past, so it is not listed
    among the past ones."""
    cols = [str(c) for c in df.columns]
    future = list(dict.fromkeys(getattr(cfg, "future_covariates", []) or []))
    for c in future:
        if c == target:
            raise DataError(t("error.data.series.future_is_target", c=c))
        if c == time_col or c not in cols:
            raise DataError(
                t(
                    "error.data.series.future_column_missing",
                    c=c,
                    source=source,
                    hint=did_you_mean(c, cols),
                    names=", ".join(cols[:20]),
                )
            )
    if cfg.features:
        past = [f for f in cfg.features if f != target and f not in future]
        return past, future, []
    if getattr(cfg, "covariates", "auto") != "auto":
        return [], future, []
    skip = {time_col, target, *future, *cfg.drop, getattr(cfg, "id_col", None)}
    others = [c for c in cols if c not in skip]
    past = [c for c in others if _is_numeric(df[c])]
    return past, future, [c for c in others if c not in past]


def covariate_rows(window: int, season: int) -> int:
    """The window's last rows on which the covariates are read: one season (at least 4
    steps), not the whole window. A linear forecaster has ``window`` weights per covariate
    and step; on uschange (quarterly, window 20, 4 covariates) reading them over the whole
    window overfit: validation MASE of the network at h = 8, mean of 3 seeds, 0.686 (whole
    window) vs 0.680 (last 4 rows) vs 0.685 without covariates; at h = 1 0.626 vs 0.622.

    >>> covariate_rows(36, 12), covariate_rows(20, 1), covariate_rows(3, 12)
    (12, 4, 3)
    """
    return min(window, max(4, season))


def mask_covariates(X: np.ndarray, n_covariates: int, rows: int) -> np.ndarray:
    """Windows (N, W, C) with the covariate channels (1 .. n_covariates) zeroed above their
    last ``rows`` rows (``rows`` 0: left whole, as runs saved before it were)."""
    if n_covariates and 0 < rows < X.shape[1]:
        X = X.copy()
        X[:, : X.shape[1] - rows, 1 : 1 + n_covariates] = 0.0
    return X


# --------------------------------------------------------------------------- calendar

# (name, period, harmonics) per kind of frequency: the position in the cycle that a step of
# that frequency moves along. Quarters and days of the week get every harmonic (one-hot
# equivalent: 3 and 6 channels); longer cycles 2 or 3 pairs (a smooth profile).
_CALENDARS: dict[str, list[tuple[str, float, int]]] = {
    "month": [("month", 12, 3)],
    "quarter": [("quarter", 4, 2)],
    "week": [("week of year", 365.25 / 7, 3)],
    "day": [("day of week", 7, 3), ("day of year", 365.25, 2)],
    "intraday": [("hour of day", 24, 3), ("day of week", 7, 3)],
}


def calendar_spec(freq: str | None) -> str | None:
    """The calendar kind of a frequency (``_CALENDARS``), None for yearly or irregular data.

    >>> calendar_spec("MS"), calendar_spec("QS-JAN"), calendar_spec("30min"), calendar_spec("YS")
    ('month', 'quarter', 'intraday', None)
    """
    if not freq:
        return None
    off = pd.tseries.frequencies.to_offset(freq)
    name = type(off).__name__
    if "Month" in name:
        return "month"
    if "Quarter" in name:
        return "quarter"
    if "Year" in name:
        return None
    if name == "Week":
        return "week"
    if name in ("Day", "BusinessDay", "CustomBusinessDay"):
        return "day"
    try:
        step = pd.Timedelta(off)
    except (ValueError, TypeError):
        return None
    return (
        "intraday"
        if step < pd.Timedelta(days=1)
        else "day"
        if step < pd.Timedelta(days=7)
        else "week"
        if step < pd.Timedelta(days=28)
        else None
    )


def _position(times: pd.DatetimeIndex, name: str) -> np.ndarray:
    if name == "month":
        return np.asarray(times.month - 1, dtype=np.float64)
    if name == "quarter":
        return np.asarray(times.quarter - 1, dtype=np.float64)
    if name == "week of year":
        return np.asarray(times.dayofyear - 1, dtype=np.float64) / 7
    if name == "day of week":
        return np.asarray(times.dayofweek, dtype=np.float64)
    if name == "day of year":
        return np.asarray(times.dayofyear - 1, dtype=np.float64)
    return np.asarray(times.hour + times.minute / 60 + times.second / 3600, dtype=np.float64)


def calendar_features(times, freq: str | None) -> tuple[list[str], np.ndarray]:
    """(names, values (T, K)) of the calendar harmonics for ``times`` at ``freq``; ([], (T, 0))
    when the frequency has no calendar (yearly, irregular). A sine that is zero at every
    position (the Nyquist harmonic of an even period) is left out."""
    times = pd.DatetimeIndex(times)
    if getattr(times, "tz", None) is not None:  # local calendar: the stamps' own zone
        times = times.tz_localize(None)
    names: list[str] = []
    cols: list[np.ndarray] = []
    for name, period, harmonics in _CALENDARS.get(calendar_spec(freq) or "", []):
        angle = 2 * np.pi * _position(times, name) / period
        for k in range(1, harmonics + 1):
            if not (float(period).is_integer() and 2 * k == period):
                names.append(f"{name} sin{k}")
                cols.append(np.sin(k * angle))
            names.append(f"{name} cos{k}")
            cols.append(np.cos(k * angle))
    values = np.stack(cols, axis=1) if cols else np.zeros((len(times), 0))
    return names, values


# --------------------------------------------------------------------------- the packed block


def future_block(
    scaled: np.ndarray, future_idx: list[int], calendar: np.ndarray | None
) -> np.ndarray | None:
    """(T, F) values read at the forecast steps, row-aligned with the series: the scaled
    future covariates, then the calendar; None when there are none."""
    parts = [scaled[:, future_idx]] if future_idx else []
    if calendar is not None and calendar.shape[1]:
        parts.append(calendar)
    return np.concatenate(parts, axis=1).astype(np.float32) if parts else None


def pack_future(X: np.ndarray, ahead: np.ndarray, starts: np.ndarray, horizon: int) -> np.ndarray:
    """Windows (N, W, C) → (N, W, C + F): the values of forecast step k (rows ``start + k``
    of ``ahead``) on the window's row ``W - H + k``, zeros above."""
    n, window = X.shape[0], X.shape[1]
    extra = np.zeros((n, window, ahead.shape[1]), dtype=np.float32)
    for k in range(horizon):
        extra[:, window - horizon + k] = ahead[starts + k]
    return np.concatenate([X, extra], axis=2)
