"""The character of a series: stationarity (ADF and KPSS, in plain words) and its season
(from the calendar frequency, or the autocorrelation when the series is irregular).

Example:
    >>> import numpy as np
    >>> detect_season(np.sin(2 * np.pi * np.arange(120) / 12))
    12
"""

from __future__ import annotations

import warnings

import numpy as np

__all__ = [
    "stationarity",
    "detect_season",
    "resolve_season",
    "useful_season",
    "auto_window",
    "log_transform",
    "season_channels",
    "SEASON_HARMONICS",
]


def stationarity(y: np.ndarray) -> dict:
    """ADF and KPSS tests (statsmodels) with a plain-language verdict."""
    from statsmodels.tsa.stattools import adfuller, kpss

    from ...i18n import t

    y = np.asarray(y, dtype=np.float64)
    y = y[np.isfinite(y)]
    if len(y) < 12 or np.ptp(y) == 0:
        return {"verdict": t("stationarity.untestable"), "stationary": None}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # KPSS warns when p is outside its table
        try:
            adf_stat, adf_p = adfuller(y, autolag="AIC")[:2]
            kpss_stat, kpss_p = kpss(y, regression="c", nlags="auto")[:2]
        except (ValueError, ZeroDivisionError, np.linalg.LinAlgError):
            # Values so small (1e-300) or so degenerate that the tests' arithmetic fails.
            return {"verdict": t("stationarity.untestable"), "stationary": None}
    adf_ok, kpss_ok = adf_p < 0.05, kpss_p >= 0.05
    if adf_ok and kpss_ok:
        verdict, stationary = t("stationarity.stationary"), True
    elif not adf_ok and not kpss_ok:
        verdict, stationary = t("stationarity.not_stationary"), False
    elif not adf_ok and kpss_ok:
        verdict, stationary = t("stationarity.trend_stationary"), False
    else:
        verdict, stationary = t("stationarity.difference_stationary"), False
    return {
        "adf_statistic": float(adf_stat),
        "adf_p": float(adf_p),
        "kpss_statistic": float(kpss_stat),
        "kpss_p": float(kpss_p),
        "stationary": stationary,
        "verdict": verdict,
    }


def detect_season(y: np.ndarray, max_lag: int | None = None) -> int:
    """The strongest autocorrelation peak (lag ≥ 2) of the differenced series, or 1 (none)."""
    from statsmodels.tsa.stattools import acf

    d = np.diff(np.asarray(y, dtype=np.float64))
    d = d[np.isfinite(d)]
    n = len(d)
    if n < 8 or np.ptp(d) == 0:
        return 1
    max_lag = min(max_lag or n // 2, n - 1, 400)
    r = acf(d, nlags=max_lag, fft=True)
    threshold = max(0.3, 2 / np.sqrt(n))
    peaks = [
        k for k in range(2, max_lag) if r[k] > threshold and r[k] >= r[k - 1] and r[k] >= r[k + 1]
    ]
    return int(max(peaks, key=lambda k: r[k])) if peaks else 1


def resolve_season(given: int | None, freq: str | None, y_train: np.ndarray) -> int:
    """The season: given, else the calendar season of the frequency (hourly 24, daily 7,
    weekly 52, monthly 12, quarterly 4, yearly none; a day of steps below an hour, e.g.
    half-hourly 48), else the autocorrelation's peak."""
    from .dates import season_from_freq
    from .horizon import steps_per_day

    if given:
        return int(given)
    season = season_from_freq(freq) or steps_per_day(freq)  # sub-daily: one day
    if season is not None:
        return season if len(y_train) >= 2 * season else 1
    return detect_season(y_train)


# --------------------------------------------------------------------------- preparation


def auto_window(season: int, n_train: int) -> int:
    """The default window (past steps a forecaster reads): three seasons, at least 20 steps,
    at most half the training period. Three seasons let a linear forecaster average a
    season over several years instead of copying the last one (N-BEATS reads 2-7 horizons
    back); on the quality suite a fixed 20 fed a monthly series less than two years.

    Example:
        >>> auto_window(12, 200), auto_window(4, 80), auto_window(1, 60), auto_window(52, 60)
        (36, 20, 20, 30)
    """
    return int(max(2, min(max(20, 3 * season), n_train // 2)))


def useful_season(y_train: np.ndarray, season: int, window: int) -> int:
    """The season a forecaster may start from: only when the changes of the training period
    repeat with it (autocorrelation of the differenced series at the season's lag above 0.3;
    a monthly series need not have a yearly cycle)."""
    from statsmodels.tsa.stattools import acf

    d = np.diff(np.asarray(y_train, dtype=np.float64))
    if season < 2 or season > window or len(d) < 2 * season + 2 or np.ptp(d) == 0:
        return 1
    return season if acf(d, nlags=season, fft=True)[season] > 0.3 else 1


def log_transform(mode: str, y_train: np.ndarray, season: int) -> bool:
    """Whether to model log(y) (``data.transform``): ``log`` asks for it (the series must be
    positive); ``auto`` takes it for a positive series whose spread grows with its level —
    Guerrero's (1993) rule, as in R's forecast package, restricted to the Box-Cox exponents
    0 (log) and 1 (none): over consecutive blocks of one season (two steps without one), the
    exponent whose std / mean**(1 - exponent) varies least across blocks."""
    y = np.asarray(y_train, dtype=np.float64)
    if mode == "none":
        return False
    if not np.all(y > 0):
        if mode == "log":
            from ...errors import DataError
            from ...i18n import t

            raise DataError(t("error.data.series_stats.transform_log_positive", low=y.min()))
        return False
    if mode == "log":
        return True
    size = season if season >= 2 else 2
    blocks = y[: len(y) // size * size].reshape(-1, size)
    if len(blocks) < 3:
        return False
    means, stds = blocks.mean(1), blocks.std(1, ddof=1)

    def spread(r: np.ndarray) -> float:
        return float(np.std(r, ddof=1) / np.mean(r)) if np.mean(r) > 0 else np.inf

    return spread(stds / means) < spread(stds)


SEASON_HARMONICS = 6  # cos/sin pairs at most: all of them for 12 months, a smooth curve for 52


def season_channels(rows: int, season: int) -> np.ndarray:
    """(rows, channels) cos and sin of the first harmonics of each row's position in the
    season, counted from the series' first row (the sine that is zero on every row, at half
    the season, left out) — Fourier terms, as in Prophet or a regression on calendar terms.

    A linear forecaster reading them at a window's last row adds a learned offset per
    position in the season to its forecast: a seasonal profile estimated from every year of
    the training period, where a window of three seasons sees only three values of each.

    >>> season_channels(24, 12).shape, season_channels(8, 4).shape
    ((24, 11), (8, 3))
    """
    k = np.arange(1, min(SEASON_HARMONICS, season // 2) + 1)
    angle = 2 * np.pi * np.outer(np.arange(rows) % season, k) / season  # (rows, K)
    sines = np.sin(angle[:, 2 * k != season])
    return np.hstack([np.cos(angle), sines])
