"""Time series: from a CSV with a time column to windows of past values → next value(s).

The steps, in order, each reported:
1. parse and sort the time column (unparseable dates: an error with an example value);
   repeated timestamps stop with a choice, or are aggregated (``data.duplicates``);
2. missing timestamps of a regular series and missing values are filled by time-aware linear
   interpolation, and counted;
3. the chronological split: the earliest rows train, then validation, then test;
4. stationarity of the training period (ADF and KPSS); ``--difference auto`` differences a
   non-stationary target once, and predictions are integrated back;
5. scaling fitted on the training period only;
6. windows: ``window`` past steps of the target (and any ``features``) → ``horizon`` next values.

Example:
    >>> cfg = DataConfig(path="SBUX.csv", time_col="Date", target="Close")  # doctest: +SKIP
    >>> bundle = load_data(cfg)  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

from ...config import DataConfig
from ...errors import DataError
from ...i18n import t
from ..bundle import DataBundle, Schema, Split
from ..splits import chronological_indices
from .covariates import covariate_rows, did_you_mean, mask_covariates, pack_future
from .stats import (
    auto_window,
    detect_season,
    log_transform,
    resolve_season,
    season_channels,
    stationarity,
    useful_season,
)

__all__ = [
    "SeriesPreprocessor",
    "series_bundle",
    "stationarity",
    "detect_season",
    "resolve_season",
    "prepare_series",
    "numeric_column",
    "naive_forecasts",
    "future_inputs",
]


@dataclass
class SeriesFrame:
    """A parsed, sorted and filled series, and what was done to it."""

    df: pd.DataFrame
    time_col: str
    target: str
    features: list[str]  # every covariate read in the past (future ones included)
    freq: str | None
    filled: dict = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    future: list[str] = field(default_factory=list)  # also read at the forecast steps


def _infer_freq(times: pd.DatetimeIndex) -> str | None:
    """A regular frequency: pandas' inference, business days for weekday-only daily data,
    else the most common step when nearly every step equals it."""
    if len(times) < 3:
        return None
    freq = pd.infer_freq(times)
    if freq:
        return freq
    steps = pd.Series(times[1:] - times[:-1])
    mode = steps.mode().iloc[0]
    if mode == pd.Timedelta(days=1) and (times.day_of_week < 5).all():
        return "B"
    calendar = _calendar_freq(times)
    if calendar:
        return calendar
    if (steps == mode).mean() > 0.8:
        if mode == pd.Timedelta(days=7):  # weekly with gaps: anchored, so its season is 52
            day = int(pd.Series(times.day_of_week).mode().iloc[0])  # the usual weekday
            return "W-" + ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")[day]
        if mode % pd.Timedelta(days=1) == pd.Timedelta(0):
            return f"{mode.days}D" if mode.days > 1 else "D"
        return pd.tseries.frequencies.to_offset(mode).freqstr
    return None


def _calendar_freq(times: pd.DatetimeIndex) -> str | None:
    """Monthly, quarterly or yearly dates with a few missing (pandas infers no frequency
    then): every date a month's first day (or every one its last), nearly every step one
    month count; None otherwise (a 15th-of-the-month series has no pandas frequency whose
    grid holds its dates)."""
    if not (times == times.normalize()).all():
        return None
    ends = bool(times.is_month_end.all())
    if not ends and not (times.day == 1).all():
        return None
    months = np.diff(times.year * 12 + times.month)
    step = int(pd.Series(months).mode().iloc[0])
    if step not in (1, 3, 12) or (months % step).any() or (months == step).mean() <= 0.8:
        return None
    names = "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split()
    freq = {1: "M", 3: "Q", 12: "Y"}[step] + ("E" if ends else "S")
    month = times[0].month - 1  # the anchor: where the quarters or years fall
    return freq if step == 1 else f"{freq}-{names[month % 3 if step == 3 else month]}"


def prepare_series(df: pd.DataFrame, cfg: DataConfig, defaults: dict, source) -> SeriesFrame:
    """The series as a time-indexed frame: columns checked, dates parsed, values numeric,
    sorted, repeated timestamps aggregated, gaps filled by time-aware interpolation."""
    time_col, target, features, future, skipped = _series_columns(df, cfg, defaults, source)
    from .dates import parse_dates

    times = pd.Series(
        parse_dates(df[time_col], getattr(cfg, "dayfirst", False), time_col), index=df.index
    )
    notices = list(df.attrs.get("hakseup_source", {}).get("notices", []))  # how it was read
    if skipped:
        notices.append(t("notice.data.series.not_numeric_left_out", names=", ".join(skipped)))
    data = pd.DataFrame({time_col: times})
    for c in [target] + features:
        values = numeric_column(df, c)
        _check_magnitude(values, c)
        data[c] = values.astype("float64")
    if data[target].isna().all():
        raise DataError(t("error.data.series.target_column_values", target=target))
    if times.isna().any():
        data = data[times.notna()]
        notices.append(t("notice.data.series.dropped_row_without", sum=int(times.isna().sum())))
    data = _one_row_per_time(
        data.sort_values(time_col, kind="stable"), time_col, cfg.duplicates, notices
    ).set_index(time_col)
    freq = _infer_freq(data.index)
    data, filled = _fill_gaps(data, [target] + features, freq, cfg.fill_gaps, notices)
    if len(data) < MIN_POINTS:  # one row is too short, before it could look constant
        raise DataError(
            t("error.data.series.too_short", target=target, n=len(data), least=MIN_POINTS)
        )
    if np.ptp(data[target].to_numpy()) == 0:
        raise DataError(
            t("error.data.series.target_constant_there", target=target, iloc=data[target].iloc[0])
        )
    data.index.name = time_col
    return SeriesFrame(data, time_col, target, features, freq, filled, notices, future)


def numeric_column(df: pd.DataFrame, column: str) -> pd.Series:
    """``df[column]`` as numbers to forecast (empty cells become NaN, to be filled): an error
    naming the first text value, or saying it holds an inf. The series and the panels' step.

    Example:
        >>> numeric_column(pd.DataFrame({"y": ["1", None, "2.5"]}), "y").tolist()
        [1.0, nan, 2.5]
    """
    values = pd.to_numeric(df[column], errors="coerce")
    text = values.isna() & df[column].notna()
    if text.any():
        raise DataError(
            t(
                "error.data.series.column_must_numeric",
                c=column,
                iloc=str(df[column][text].iloc[0]),
                sum=int(text.sum()),
            )
        )
    if np.isinf(values.to_numpy(dtype=np.float64)).any():
        raise DataError(t("error.data.series.column_contains_inf", c=column))
    return values


# Fewer points than this make no series: nothing to learn a step from, nothing to score.
MIN_POINTS = 3
# Values beyond this cannot be held in the float32 tensors a model trains on (3.4e38), nor
# squared for a variance: refused by name rather than failing as NaN somewhere inside.
MAX_MAGNITUDE = 1e30


def _check_magnitude(values: pd.Series, column: str) -> None:
    size = values.abs()
    if size.max() > 0 and size.max() < 1 / MAX_MAGNITUDE:  # float32 makes them all zero
        raise DataError(
            t(
                "error.data.series.values_too_small",
                c=column,
                value=f"{size.max():.3g}",
                limit=f"{1 / MAX_MAGNITUDE:.0e}",
            )
        )
    big = size > MAX_MAGNITUDE
    if big.any():
        raise DataError(
            t(
                "error.data.series.values_too_large",
                c=column,
                n=int(big.sum()),
                value=f"{values[big].iloc[0]:.3g}",
                limit=f"{MAX_MAGNITUDE:.0e}",
            )
        )


def _not_in_file(key: str, name: str | None, cols: list[str], **fields: object) -> DataError:
    """``key``'s error for a column ``name`` that the file lacks: the closest of its columns
    ``cols`` as a hint (the message's ``value``), the first 20 as the choices."""
    return DataError(t(key, value=did_you_mean(name, cols), names=", ".join(cols[:20]), **fields))


def _series_columns(
    df: pd.DataFrame, cfg: DataConfig, defaults: dict, source
) -> tuple[str, str, list[str], list[str], list[str]]:
    """(time column, target, covariates read in the past, future covariates, columns left out
    as not numeric), each checked to be in the file (``covariates.covariate_columns``)."""
    from .covariates import covariate_columns

    time_col = cfg.time_col or defaults.get("time_col")
    target = cfg.target or defaults.get("target")
    cols = list(df.columns)
    if time_col is None or time_col not in cols:
        raise _not_in_file(
            "error.data.series.time_column_columns",
            time_col,
            cols,
            time_col=time_col,
            source=source,
        )
    if target is None:
        raise DataError(
            t(
                "error.data.series.time_series_needs",
                names=", ".join(c for c in cols if c != time_col),
            )
        )
    if target not in cols:
        raise _not_in_file(
            "error.data.series.target_column_columns", target, cols, target=target, source=source
        )
    past, future, skipped = covariate_columns(df, cfg, time_col, target, source)
    for f in past:
        if f not in cols:
            raise DataError(
                t(
                    "error.data.series.feature_column_columns",
                    f=f,
                    source=source,
                    names=", ".join(cols[:20]),
                )
            )
    return time_col, target, past + future, future, skipped


def _one_row_per_time(
    data: pd.DataFrame, time_col: str, how: str, notices: list[str]
) -> pd.DataFrame:
    """Repeated timestamps: an error, or aggregated by ``how`` (mean, first, last, ...)."""
    dup = data[time_col].duplicated(keep=False)
    if not dup.any():
        return data
    first = data.loc[dup, time_col].iloc[0]
    if how == "error":
        raise DataError(
            t(
                "error.data.series.time_column_repeats",
                time_col=time_col,
                sum=int(data[time_col].duplicated().sum()),
                first=first,
            )
        )
    agg = data.groupby(time_col, sort=True).agg(how).reset_index()
    notices.append(
        t("notice.data.series.aggregated_repeated_timestamp", value=len(data) - len(agg), how=how)
    )
    return agg


def _fill_gaps(
    data: pd.DataFrame, cols: list[str], freq, fill_gaps: bool, notices: list[str]
) -> tuple[pd.DataFrame, dict]:
    """Missing timestamps (at the series' frequency) added, then every missing value filled by
    time-aware linear interpolation; the counts, per column."""
    filled = {"timestamps": 0}
    if fill_gaps and freq:
        full = pd.date_range(data.index[0], data.index[-1], freq=freq)
        # only a grid that holds every date: one that does not would interleave invented rows
        if len(data) < len(full) <= 2 * len(data) and data.index.isin(full).all():
            filled["timestamps"] = len(full) - len(data)
            data = data.reindex(full.union(data.index))
    for c in cols:
        n_missing = int(data[c].isna().sum())
        if n_missing:
            data[c] = data[c].interpolate(method="time", limit_direction="both")
            filled[c] = n_missing
    if filled["timestamps"]:
        notices.append(
            t(
                "notice.data.series.missing_timestamp_series",
                timestamps=filled["timestamps"],
                freq=freq,
            )
        )
    values_filled = {c: n for c, n in filled.items() if c != "timestamps"}
    if values_filled:
        notices.append(
            t(
                "notice.data.series.interpolated",
                counts=", ".join(f"{c}: {n}" for c, n in values_filled.items()),
            )
        )
    return data, filled


# --------------------------------------------------------------------------- preprocessing


@dataclass
class SeriesPreprocessor:
    """Differencing and scaling fitted on the training period (saved as JSON)."""

    target: str
    features: list[str]
    window: int
    horizon: int
    difference: int = 0
    kind: str = "series"
    log: bool = False  # the target is modelled as log(y) (data.transform)
    future: list[str] = field(default_factory=list)  # features also read at the steps
    calendar: str | None = None  # the calendar kind of the steps (covariates.calendar_spec)
    season: int = 0  # the baseline's season, the references' too (0: not saved)
    freq: str | None = None  # the series' frequency (predict steps past the end by it)
    covariate_rows: int = 0  # the window's last rows the covariates are read on (0: all)
    means_: list[float] = field(default_factory=list)  # target first, then features
    stds_: list[float] = field(default_factory=list)

    def fit(self, values: np.ndarray) -> SeriesPreprocessor:
        """``values``: (T_train, 1 + n_features) original training-period values."""
        v = self._differenced(values)
        self.means_ = v.mean(0).tolist()
        std = v.std(0)
        self.stds_ = np.where(std > 0, std, 1.0).tolist()
        return self

    def _differenced(self, values: np.ndarray) -> np.ndarray:
        v = np.asarray(values, dtype=np.float64)
        if self.log:
            v = v.copy()
            v[:, 0] = np.log(np.maximum(v[:, 0], np.finfo(np.float64).tiny))
        if self.difference:
            v = np.vstack([np.full((1, v.shape[1]), np.nan), np.diff(v, axis=0)])
            v = v[1:]
        return v

    def transform(self, values: np.ndarray) -> np.ndarray:
        """(T, C) original values → (T, C) scaled (and differenced: the first row is lost)."""
        return (self._differenced(values) - np.asarray(self.means_)) / np.asarray(self.stds_)

    def mae_scale(self) -> float | None:
        """The factor from a mean absolute error on scaled targets to the target's units, or
        None where there is none (a log target; differences summed over several steps)."""
        if self.log or (self.difference and self.horizon > 1):
            return None
        return float(self.stds_[0])

    def inverse_target(self, scaled: np.ndarray) -> np.ndarray:
        """Scaled target values → original scale (still differenced, if differencing is on)."""
        return np.asarray(scaled, dtype=np.float64) * self.stds_[0] + self.means_[0]

    def to_dict(self) -> dict:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, d: dict) -> SeriesPreprocessor:
        return cls(**d)


def _windows(scaled: np.ndarray, window: int, horizon: int, targets_at: np.ndarray):
    """Inputs (N, window, C) and targets (N, horizon) for forecasts starting at ``targets_at``."""
    X = (
        np.stack([scaled[t - window : t] for t in targets_at])
        if len(targets_at)
        else np.empty((0, window, scaled.shape[1]))
    )
    Y = (
        np.stack([scaled[t : t + horizon, 0] for t in targets_at])
        if len(targets_at)
        else np.empty((0, horizon))
    )
    return X.astype(np.float32), Y.astype(np.float32)


def naive_forecasts(
    y: np.ndarray, starts: np.ndarray, horizon: int, season: int
) -> dict[str, np.ndarray]:
    """Baseline forecasts (N, horizon) in original units for forecasts starting at ``starts``,
    each using only values before its start: naive, seasonal naive, drift."""
    out = {"naive": np.stack([np.repeat(y[t - 1], horizon) for t in starts])}
    if season > 1:
        out[f"seasonal naive (season {season})"] = np.stack(
            [np.array([y[t - season + (h % season)] for h in range(horizon)]) for t in starts]
        )
    steps = np.arange(1, horizon + 1)
    out["drift"] = np.stack([y[t - 1] + (y[t - 1] - y[0]) / max(1, t - 1) * steps for t in starts])
    return out


def series_bundle(
    df: pd.DataFrame, cfg: DataConfig, seed: int, defaults: dict, source
) -> DataBundle:
    sf = prepare_series(df, cfg, defaults, source)
    cols = [sf.target] + sf.features
    original = sf.df[cols].to_numpy(dtype=np.float64)  # (T, C)
    n = len(original)
    horizon, val_size, test_size = _horizon_and_splits(cfg, sf.freq, n)
    rows = _chronological_rows(cfg, n, horizon, val_size, test_size)
    train_end = int(rows[0][-1]) + 1
    y = original[:, 0]
    pre, test_report = _fit_preprocessor(cfg, sf, original, horizon, train_end)
    window, diff, season = pre.window, pre.difference, pre.season
    useful = useful_season(y[:train_end], season, window)
    positions = season_channels(n, useful) if useful > 1 and cfg.season_features == "auto" else None
    ahead = future_inputs(pre, sf.df.index, original)
    parts = _window_splits(
        pre, original, window, horizon, diff, train_end, rows[1], positions, ahead
    )
    schema = _series_schema(sf, pre, useful, positions, ahead)
    notices = (
        _difference_notices(sf.target, cfg.difference, diff, test_report)
        + _log_notice(sf.target, cfg.transform, pre.log)
        + (
            []
            if positions is None
            else [
                t("notice.data.series.season_features", season=useful, channels=positions.shape[1])
            ]
        )
        + _covariate_notices(cfg, sf, pre)
    )
    info = _series_info(cfg, sf, parts, notices, rows, pre)
    info["stationarity"] = test_report
    info["series"] = {
        "times": sf.df.index,
        "y": y,
        "starts": {k: v[1] for k, v in parts.items()},
        "train_end": train_end,
        "season": season,
        "difference": diff,
        "interval": list(getattr(cfg, "interval", []) or []),
        "level_kept": cfg.difference
        if not diff and test_report.get("stationary") is False
        else None,
    }
    return DataBundle(parts["train"][0], parts["val"][0], parts["test"][0], schema, pre, info)


def _chronological_rows(
    cfg: DataConfig, n: int, horizon: int, val_size, test_size
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The train / validation / test rows of an ``n``-row series, in time order; a series
    too short for the given window, or a training period shorter than the given season,
    stops here."""
    if cfg.window is not None and n < cfg.window + horizon + 2:
        raise DataError(
            t("error.data.series.series_rows_fewer", n=n, value=cfg.window + horizon + 2)
        )
    tr_rows, va_rows, te_rows = chronological_indices(n, val_size, test_size)
    train_end = int(tr_rows[-1]) + 1
    if cfg.season and cfg.season >= train_end:  # the seasonal naive needs a season of history
        raise DataError(
            t(
                "error.data.series.data_season_shorter",
                season=cfg.season,
                train_end=train_end,
                value=train_end - 1,
            )
        )
    return tr_rows, va_rows, te_rows


def _fit_preprocessor(
    cfg: DataConfig, sf: SeriesFrame, original: np.ndarray, horizon: int, train_end: int
) -> tuple[SeriesPreprocessor, dict]:
    """The preprocessing, chosen and fitted on the training period only: season, window,
    differencing (from the stationarity tests, also returned) and log transform."""
    y_train = original[:train_end, 0]
    season = resolve_season(cfg.season, sf.freq, y_train)
    window = cfg.window if cfg.window is not None else auto_window(season, train_end)
    kind = _calendar_kind(cfg, sf.freq)
    window = _future_window(cfg, window, horizon, bool(sf.future or kind))
    test_report = stationarity(y_train)
    if cfg.difference == "auto":
        diff = 0 if test_report.get("stationary") in (True, None) else 1
    else:
        diff = 0 if cfg.difference == "none" else 1
    log = log_transform(cfg.transform, y_train, season)
    pre = SeriesPreprocessor(
        sf.target,
        sf.features,
        window,
        horizon,
        diff,
        log=log,
        future=sf.future,
        calendar=kind,
        season=season,
        freq=sf.freq,
        covariate_rows=covariate_rows(window, season) if sf.features else 0,
    )
    pre.fit(original[:train_end])
    return pre, test_report


def _series_schema(
    sf: SeriesFrame,
    pre: SeriesPreprocessor,
    useful: int,
    positions: np.ndarray | None,
    ahead: np.ndarray | None,
) -> Schema:
    """The model's input contract: (window, channels) windows, the channels being the series'
    columns, then any season channels, then the values known at the forecast steps."""
    cols = [sf.target] + sf.features
    channels = len(cols) + (0 if positions is None else positions.shape[1])
    n_future = 0 if ahead is None else ahead.shape[1]
    return Schema(
        task="forecast",
        input_kind="series",
        input_shape=(pre.window, channels + n_future),
        n_outputs=pre.horizon,
        target=sf.target,
        numeric_features=cols,
        season=useful,
        future_channels=n_future,
        future_features=sf.future,
    )


def _series_info(
    cfg: DataConfig, sf: SeriesFrame, parts: dict, notices: list[str], rows, pre: SeriesPreprocessor
) -> dict:
    """The bundle's ``info``: window counts, the report's notices and its data summary."""
    tr_rows, va_rows, te_rows = rows
    return {
        "rows": {k: len(v[0]) for k, v in parts.items()},
        "notices": sf.notices
        + (
            []
            if cfg.horizon
            else [
                t(
                    "notice.data.series.horizon_from_frequency",
                    horizon=pre.horizon,
                    freq=sf.freq or "irregular",
                )
            ]
        )
        + notices,
        "summary": {
            "series length": len(sf.df),
            "frequency": sf.freq or "irregular",
            "train / val / test rows": f"{len(tr_rows)} / {len(va_rows)} / {len(te_rows)}",
            "window → horizon": f"{pre.window} → {pre.horizon}",
            "season (baseline)": pre.season,
            "values filled": sum(sf.filled.values()),
            "differenced": bool(pre.difference),
            "log transform": pre.log,
        },
    }


def _calendar_kind(cfg: DataConfig, freq: str | None) -> str | None:
    from .covariates import calendar_spec

    return calendar_spec(freq) if getattr(cfg, "calendar", False) else None


def _future_window(cfg: DataConfig, window: int, horizon: int, has_future: bool) -> int:
    """The window, at least one horizon long where values ride on its last ``horizon`` rows
    (future covariates, calendar): an automatic window grows, a given one too short stops."""
    if not has_future or window >= horizon:
        return window
    if cfg.window is not None:
        raise DataError(t("error.data.series.future_window_short", window=window, horizon=horizon))
    return horizon


def future_inputs(pre: SeriesPreprocessor, times, original: np.ndarray) -> np.ndarray | None:
    """(T, F): the values read at the forecast steps, row-aligned with ``original`` (future
    covariates scaled as the run's preprocessing scales them, then the calendar of
    ``times``); None without any."""
    from .covariates import calendar_features, future_block

    if not pre.future and not pre.calendar:
        return None
    scaled = np.zeros_like(original)
    scaled[pre.difference :] = pre.transform(original)
    cols = [pre.target] + pre.features
    cal = calendar_features(times, pre.freq)[1] if pre.calendar else None
    return future_block(np.nan_to_num(scaled), [cols.index(c) for c in pre.future], cal)


def _covariate_notices(cfg: DataConfig, sf: SeriesFrame, pre: SeriesPreprocessor) -> list[str]:
    """What the report says about the covariates and the calendar."""
    from .covariates import calendar_features

    out = []
    past = [c for c in sf.features if c not in sf.future]
    if past:
        out.append(
            t(
                "notice.data.series.past_covariates",
                names=", ".join(past),
                window=pre.covariate_rows or pre.window,
            )
        )
    if sf.future:
        out.append(
            t(
                "notice.data.series.future_covariates",
                names=", ".join(sf.future),
                horizon=pre.horizon,
            )
        )
    if getattr(cfg, "calendar", False):
        names = calendar_features(sf.df.index[:1], sf.freq)[0] if pre.calendar else []
        out.append(
            t("notice.data.series.calendar", freq=sf.freq, names=", ".join(names))
            if names
            else t("notice.data.series.calendar_none", freq=sf.freq or "irregular")
        )
    return out


def _horizon_and_splits(cfg: DataConfig, freq: str | None, n: int) -> tuple[int, float, float]:
    """(horizon, validation size, test size): the horizon given, else the frequency's default
    (``horizon.default_horizon``; at most a sixth of the series, so that training keeps
    most of it), with the validation and test periods widened to hold one horizon each."""
    from .horizon import default_horizon, split_rows

    if cfg.horizon:
        return int(cfg.horizon), cfg.val_size, cfg.test_size
    horizon = max(1, min(default_horizon(freq), n // 6))
    test_size = split_rows(n, cfg.test_size, horizon)
    n_test = int(round(test_size * n)) if test_size < 1 else int(test_size)
    return horizon, split_rows(n - n_test, cfg.val_size, horizon), test_size


def _window_splits(
    pre,
    original: np.ndarray,
    window: int,
    horizon: int,
    diff: int,
    train_end: int,
    va_rows: np.ndarray,
    positions: np.ndarray | None = None,
    ahead: np.ndarray | None = None,
) -> dict[str, tuple[Split, np.ndarray]]:
    """(windows, their start rows) per split: a window belongs to the split its first forecast
    step falls in. ``positions`` (T, P): season channels, read at each window's last row
    (zero on its other rows: the position of one step fixes every other's)."""
    # Scaled (and differenced) values aligned to original rows: row t holds y_t - y_{t-1}.
    scaled = np.full_like(original, np.nan)
    scaled[diff:] = pre.transform(original)
    starts = np.arange(window + diff, len(original) - horizon + 1)  # forecast starts
    # A window belongs to the split its first step falls in, and only when its last step
    # does too: a training target inside the validation period (or a validation target
    # inside the test period) would leak the held-out values into early stopping.
    ends = starts + horizon  # one past the last step
    val_end = int(va_rows[-1]) + 1 if len(va_rows) else train_end
    split_of = np.where(
        ends <= train_end,
        0,
        np.where((starts >= train_end) & (ends <= val_end), 1, np.where(starts >= val_end, 2, -1)),
    )
    parts = {}
    for k, name in enumerate(("train", "val", "test")):
        at = starts[split_of == k]
        X, Y = _windows(scaled, window, horizon, at)
        if positions is not None:  # (N, W, C) → (N, W, C + P)
            extra = np.zeros((len(X), window, positions.shape[1]), dtype=np.float32)
            extra[:, -1] = positions[at - 1]
            X = np.concatenate([X, extra], axis=2)
        X = mask_covariates(X, len(pre.features), pre.covariate_rows)
        if ahead is not None:  # the forecast steps' known values
            X = pack_future(X, ahead, at, horizon)
        parts[name] = (Split((torch.from_numpy(X),), torch.from_numpy(Y)), at)
    if len(parts["train"][0]) < 2:
        raise DataError(
            t(
                "error.data.series.only_training_window",
                n_train=len(parts["train"][0]),
                train_end=train_end,
                window=window,
            )
        )
    if len(parts["test"][0]) == 0:
        raise DataError(t("error.data.series.test_windows_test", horizon=horizon))
    return parts


def _difference_notices(target: str, mode: str, diff: int, report: dict) -> list[str]:
    """What the report says about stationarity and differencing."""
    notes = [t("notice.data.series.stationarity", target=target, verdict=report["verdict"])]
    if diff:
        notes.append(t("notice.data.series.target_differenced_once", mode=mode))
    # Not differenced although not stationary: the diagnosis says what that means for the
    # model trained (evaluation/explain.py; ``series.level_kept``), which this layer does not know.
    return notes


def _log_notice(target: str, mode: str, log: bool) -> list[str]:
    if not log:
        return []
    why = t(
        "notice.data.series.log_why_auto" if mode == "auto" else "notice.data.series.log_why_asked"
    )
    return [t("notice.data.series.log_modelled", target=target, mode=mode, why=why)]


def to_original(
    pre: SeriesPreprocessor, scaled_out: np.ndarray, y: np.ndarray, starts: np.ndarray
) -> np.ndarray:
    """Model outputs (N, horizon), scaled → original units (integrating differences from the
    last actual value before each forecast)."""
    v = pre.inverse_target(scaled_out)
    if pre.difference:
        last = y[starts - 1][:, None]
        v = (np.log(last) if pre.log else last) + np.cumsum(v, axis=1)
    return np.exp(v) if pre.log else v
