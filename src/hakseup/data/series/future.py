"""The input of a forecast past a series' end, for ``hakseup predict`` on a series run.

The history is the series up to its last known target value: the rows of ``--data`` that
have one (a newer version of the series), else the run's own data file. The rows after it
give the values known ahead (``data.future_covariates``) at the ``horizon`` steps past the
end; the steps' timestamps follow the series' frequency. A future value that is missing is
one error naming the columns and the steps. Everything goes through the run's saved
preprocessing (never refitted), as the windows of training did.

Example:
    >>> fut = future_input(history, new_rows, cfg.data, pre, schema, "new.csv")  # doctest: +SKIP
    >>> fut.x.shape                                      # (1, window, channels)  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...errors import DataError
from ...i18n import t
from .covariates import calendar_features, future_block, mask_covariates, pack_future
from .stats import season_channels

__all__ = ["FutureInput", "split_known", "future_input"]


@dataclass
class FutureInput:
    """What a forecast from the series' end needs."""

    times: pd.DatetimeIndex  # the forecast steps
    x: np.ndarray  # (1, window, channels): the model's input
    y: np.ndarray  # the history's target values (original units)
    season: int  # the references' season
    history_times: pd.DatetimeIndex | None = None  # the times of ``y``


def split_known(
    df: pd.DataFrame, time_col: str, target: str, dayfirst: bool = False
) -> tuple[pd.DataFrame | None, pd.DataFrame]:
    """(history, the rows after it): the history is every row up to the last one with a
    target value; None when the table has no target values (it holds future rows only)."""
    from .dates import parse_dates

    if time_col not in df.columns:
        raise DataError(
            t(
                "error.predict.series.time_column_missing",
                time_col=time_col,
                names=", ".join(map(str, df.columns[:20])),
            )
        )
    times = pd.Series(parse_dates(df[time_col], dayfirst, time_col), index=df.index)
    known = (
        pd.to_numeric(df[target], errors="coerce").notna()
        if target in df.columns
        else pd.Series(False, index=df.index)
    )
    if not known.any():
        return None, df.assign(**{time_col: times})
    last = times[known].max()
    return df[times <= last], df[times > last].assign(**{time_col: times[times > last]})


def _step_times(
    end: pd.Timestamp, freq: str | None, later: pd.Series, horizon: int
) -> pd.DatetimeIndex:
    """The ``horizon`` timestamps after ``end``: by the frequency, else (an irregular series)
    the first rows given after it."""
    if freq:
        return pd.date_range(end, periods=horizon + 1, freq=freq)[1:]
    given = pd.DatetimeIndex(sorted(later[later > end].dropna().unique()))[:horizon]
    if len(given) < horizon:
        raise DataError(t("error.predict.series.irregular_steps", horizon=horizon, n=len(given)))
    return given


def _future_values(
    later: pd.DataFrame, time_col: str, names: list[str], times: pd.DatetimeIndex, source
) -> np.ndarray:
    """(H, len(names)) the future covariates at the steps; one error naming what is missing."""
    if not names:
        return np.zeros((len(times), 0))
    rows = later.drop_duplicates(time_col, keep="last").set_index(time_col)
    out = np.full((len(times), len(names)), np.nan)
    for j, c in enumerate(names):
        if c in rows.columns:
            values = pd.to_numeric(rows[c], errors="coerce").reindex(times)
            out[:, j] = values.to_numpy(dtype=np.float64)
    missing = ~np.isfinite(out)
    if missing.any():
        cols = [c for j, c in enumerate(names) if missing[:, j].any()]
        steps = [
            str(s.date()) if s == s.normalize() else str(s) for s in times[missing.any(axis=1)]
        ]
        raise DataError(
            t(
                "error.predict.series.future_missing",
                names=", ".join(cols),
                n=len(steps),
                horizon=len(times),
                steps=", ".join(steps[:6]) + (", ..." if len(steps) > 6 else ""),
                source=source,
            )
        )
    return out


def future_input(
    history: pd.DataFrame, later: pd.DataFrame, data_cfg, pre, schema, source
) -> FutureInput:
    """The model's input for a forecast from the end of ``history`` (parsed and filled as in
    training), with the future covariates of ``later`` and the calendar of the steps."""
    from .prepare import prepare_series
    from .stats import resolve_season

    past = [c for c in pre.features if c not in pre.future]
    cfg = dataclasses.replace(
        data_cfg,
        features=past,
        future_covariates=list(pre.future),
        covariates="auto" if past else "none",
    )
    sf = prepare_series(history, cfg, {}, source)
    original = sf.df[[pre.target] + pre.features].to_numpy(dtype=np.float64)
    n, window, horizon = len(original), pre.window, pre.horizon
    if n < window + pre.difference:
        raise DataError(t("error.predict.series.history_short", n=n, value=window + pre.difference))
    times = _step_times(
        sf.df.index[-1],
        pre.freq or sf.freq,
        later[data_cfg.time_col] if len(later) else pd.Series(dtype="datetime64[ns]"),
        horizon,
    )
    ahead_rows = np.full((horizon, original.shape[1]), np.nan)
    idx = [([pre.target] + pre.features).index(c) for c in pre.future]
    ahead_rows[:, idx] = _future_values(later, data_cfg.time_col, list(pre.future), times, source)
    ext = np.vstack([original, ahead_rows])
    scaled = np.zeros_like(ext)
    scaled[pre.difference :] = np.nan_to_num(pre.transform(ext))
    x = mask_covariates(
        scaled[None, n - window : n].astype(np.float32),
        len(pre.features),
        getattr(pre, "covariate_rows", 0),
    )
    if getattr(schema, "season", 1) > 1 and data_cfg.season_features == "auto":
        positions = season_channels(n, schema.season)  # counted from the first row
        extra = np.zeros((1, window, positions.shape[1]), dtype=np.float32)
        extra[:, -1] = positions[n - 1]
        x = np.concatenate([x, extra], axis=2)
    if getattr(schema, "future_channels", 0):
        cal = (
            calendar_features(sf.df.index.append(times), pre.freq or sf.freq)[1]
            if pre.calendar
            else None
        )
        block = future_block(scaled, idx, cal)
        assert block is not None  # future channels come from covariates or calendar
        x = pack_future(x, block, np.array([n]), horizon)
    season = pre.season if pre.season else resolve_season(data_cfg.season, sf.freq, original[:, 0])
    return FutureInput(times, x, original[:, 0], season, pd.DatetimeIndex(sf.df.index))
