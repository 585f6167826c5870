"""Classical forecasters as honest references: ETS (exponential smoothing, statsmodels) and the
Theta method (statsmodels), fitted on the training period only.

Both give forecasts (N, horizon) in original units for forecasts starting at ``starts``, each
using only the values before its start. The parameters of both are estimated once, on the
training period, and then run forward over later values (rolling-origin evaluation without
refitting: one pass, however many origins).

Example:
    >>> y = 10 + np.sin(np.arange(120) * 2 * np.pi / 12)
    >>> ets_forecasts(y, np.array([100, 110]), 2, 12, train_end=96).shape
    (2, 2)
"""

from __future__ import annotations

import warnings

import numpy as np

__all__ = ["ets_forecasts", "theta_forecasts", "classical_forecasts", "fit_ets"]


def _ets_specs(y: np.ndarray, season: int) -> list[dict]:
    """The candidate ETS forms: additive errors; no/damped trend; no/additive/multiplicative
    season (multiplicative only for a positive series, and only when two seasons fit)."""
    seasonal: list[str | None] = [None]
    if season > 1 and len(y) >= 2 * season + 2:
        seasonal.append("add")
        if np.all(y > 0):
            seasonal.append("mul")
    specs = []
    for trend in (None, "add"):
        for s in seasonal:
            specs.append(
                {
                    "trend": trend,
                    "damped_trend": trend is not None,
                    "seasonal": s,
                    "seasonal_periods": season if s else None,
                }
            )
    return specs


def fit_ets(y_train: np.ndarray, season: int):
    """(model spec, fitted parameters) of the ETS form with the lowest AICc on ``y_train``,
    or None when no form can be fitted (too short, constant)."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    y_train = np.asarray(y_train, dtype=np.float64)
    if len(y_train) < 8 or np.ptp(y_train) == 0:
        return None
    best = None
    for spec in _ets_specs(y_train, season):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # convergence chatter on short series
                res = ETSModel(y_train, error="add", initialization_method="estimated", **spec).fit(
                    disp=False, maxiter=200
                )
        except (ValueError, np.linalg.LinAlgError):
            continue
        score = res.aicc if np.isfinite(res.aicc) else res.aic
        if np.isfinite(score) and (best is None or score < best[0]):
            best = (score, spec, np.asarray(res.params))
    return None if best is None else (best[1], best[2])


def ets_forecasts(
    y: np.ndarray, starts: np.ndarray, horizon: int, season: int, train_end: int
) -> np.ndarray | None:
    """ETS forecasts (N, horizon); parameters from ``y[:train_end]`` only."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    y = np.asarray(y, dtype=np.float64)
    fitted = fit_ets(y[:train_end], season)
    if fitted is None:
        return None
    spec, params = fitted
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if horizon == 1:  # one pass: the one-step predictions of the whole series
            one = (
                ETSModel(y, error="add", initialization_method="estimated", **spec)
                .smooth(params)
                .fittedvalues
            )
            return np.asarray(one)[np.asarray(starts)][:, None]
        out = [
            ETSModel(y[:t], error="add", initialization_method="estimated", **spec)
            .smooth(params)
            .forecast(horizon)
            for t in starts
        ]
    return np.asarray(out, dtype=np.float64).reshape(len(starts), horizon)


def _seasonal_factors(y: np.ndarray, period: int) -> tuple[np.ndarray | None, str]:
    """Classical-decomposition season of ``y`` as statsmodels' Theta model finds it: tested at
    the 10 % level (the ACF at lag ``period``), multiplicative for a positive series."""
    from statsmodels.tsa.seasonal import seasonal_decompose
    from statsmodels.tsa.stattools import acf

    method = "mul" if np.all(y > 0) else "add"
    if period < 2 or len(y) < 2 * period + 1:
        return None, method
    rho = acf(y, nlags=period, fft=True)
    if len(y) * rho[-1] ** 2 / np.sum(rho[:-1] ** 2) <= 2.705543454095404:
        return None, method
    seasonal = seasonal_decompose(y, model=method, period=period).seasonal
    if method == "mul" and seasonal.min() <= 0:
        method, seasonal = "add", seasonal_decompose(y, model="add", period=period).seasonal
    return np.asarray(seasonal[:period]), method


def _theta_refitted(y: np.ndarray, starts: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """Theta refitted on ``y[:t]`` at every origin ``t`` (statsmodels' own season test)."""
    from statsmodels.tsa.forecasting.theta import ThetaModel

    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for t in starts:
            hist = y[:t]
            period = season if season > 1 and len(hist) >= 2 * season else 1
            try:
                res = ThetaModel(
                    hist,
                    period=period,
                    deseasonalize=period > 1,
                    method="mul" if np.all(hist > 0) else "add",
                ).fit()
                out.append(np.asarray(res.forecast(horizon)))
            except (ValueError, np.linalg.LinAlgError):
                out.append(np.repeat(hist[-1], horizon))
    return np.asarray(out, dtype=np.float64).reshape(len(starts), horizon)


REFIT_ORIGINS = 200  # up to this many origins, Theta is refitted at each (a fit takes ~0.1 s)


def theta_forecasts(
    y: np.ndarray,
    starts: np.ndarray,
    horizon: int,
    season: int,
    train_end: int | None = None,
    refit: bool | None = None,
) -> np.ndarray | None:
    """Theta-method forecasts (N, horizon) (Assimakopoulos & Nikolopoulos 2000, in the form of
    Hyndman & Billah 2003 that statsmodels implements): simple exponential smoothing of the
    deseasonalised series plus half the slope of its linear trend. The smoothing weight, the
    slope and the season are estimated on ``y[:train_end]`` (statsmodels' ``ThetaModel``), then
    the smoothing runs forward over later values: each forecast uses only values before its
    origin, and 3,000 origins cost one pass instead of 3,000 fits. With ``refit`` (the default
    up to ``REFIT_ORIGINS`` origins) it is refitted at every origin instead, which is the
    stronger reference (its slope and season follow the latest data)."""
    from statsmodels.tsa.forecasting.theta import ThetaModel

    y = np.asarray(y, dtype=np.float64)
    starts = np.asarray(starts)
    if refit or (refit is None and len(starts) <= REFIT_ORIGINS):
        if len(starts) and starts.min() >= 4:
            return _theta_refitted(y, starts, horizon, season)
    train_end = int(train_end if train_end is not None else starts.min())
    y_train = y[:train_end]
    if len(y_train) < 4 or np.ptp(y_train) == 0:
        return None
    factors, method = _seasonal_factors(y_train, season)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            res = ThetaModel(
                y_train,
                period=max(season, 1),
                deseasonalize=factors is not None,
                use_test=False,
                method=method,
            ).fit()
        except (ValueError, np.linalg.LinAlgError):
            return None
    alpha = float(np.clip(res.params["alpha"], 1e-6, 1.0))
    b0 = float(res.params["b0"])
    idx = np.arange(len(y))
    if factors is None:  # no season: multiply by one
        method, s = "mul", np.ones(len(y) + horizon)
    else:
        s = factors[np.arange(len(y) + horizon) % season]
    z = y / s[idx] if method == "mul" else y - s[idx]
    level = np.empty(len(y) + 1)  # level[t]: the SES forecast of z[t] from z[:t]
    level[0] = level[1] = z[0]
    for t in range(1, len(y)):
        level[t + 1] = alpha * z[t] + (1 - alpha) * level[t]
    h = np.arange(1, horizon + 1)
    out = np.empty((len(starts), horizon))
    for k, t in enumerate(starts):
        drift = 0.5 * b0 * (h - 1 + 1 / alpha - (1 - alpha) ** t / alpha)
        seas = s[t : t + horizon]
        out[k] = (level[t] + drift) * seas if method == "mul" else level[t] + drift + seas
    return out


def classical_forecasts(
    y: np.ndarray, starts: np.ndarray, horizon: int, season: int, train_end: int
) -> dict[str, np.ndarray]:
    """{"ETS": ..., "Theta": ...} forecasts (those that could be fitted)."""
    out = {}
    ets = ets_forecasts(y, starts, horizon, season, train_end)
    if ets is not None and np.isfinite(ets).all():
        out["ETS"] = ets
    theta = theta_forecasts(y, starts, horizon, season, train_end)
    if theta is not None and np.isfinite(theta).all():
        out["Theta"] = theta
    return out
