"""Classical forecasters as honest references: ETS (exponential smoothing, statsmodels) and the
Theta method (statsmodels), fitted on the training period only.

Both give forecasts (N, horizon) in original units for forecasts starting at ``starts``, each
using only the values before its start. ETS's parameters are estimated once, on the training
period, and then run forward over later values (the usual rolling-origin evaluation without
refitting); Theta is refitted at every origin because its fit is a closed form and cheap.

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
    seasonal = [None]
    if season > 1 and len(y) >= 2 * season + 2:
        seasonal.append("add")
        if np.all(y > 0):
            seasonal.append("mul")
    specs = []
    for trend in (None, "add"):
        for s in seasonal:
            specs.append({"trend": trend, "damped_trend": trend is not None, "seasonal": s,
                          "seasonal_periods": season if s else None})
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
                warnings.simplefilter("ignore")   # convergence chatter on short series
                res = ETSModel(y_train, error="add", initialization_method="estimated",
                               **spec).fit(disp=False, maxiter=200)
        except (ValueError, np.linalg.LinAlgError):
            continue
        score = res.aicc if np.isfinite(res.aicc) else res.aic
        if np.isfinite(score) and (best is None or score < best[0]):
            best = (score, spec, np.asarray(res.params))
    return None if best is None else (best[1], best[2])


def ets_forecasts(y: np.ndarray, starts: np.ndarray, horizon: int, season: int,
                  train_end: int) -> np.ndarray | None:
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
            one = ETSModel(y, error="add", initialization_method="estimated",
                           **spec).smooth(params).fittedvalues
            return np.asarray(one)[np.asarray(starts)][:, None]
        out = [ETSModel(y[:t], error="add", initialization_method="estimated",
                        **spec).smooth(params).forecast(horizon) for t in starts]
    return np.asarray(out, dtype=np.float64).reshape(len(starts), horizon)


def theta_forecasts(y: np.ndarray, starts: np.ndarray, horizon: int, season: int
                    ) -> np.ndarray | None:
    """Theta-method forecasts (N, horizon), refitted on ``y[:t]`` at every origin ``t``
    (deseasonalised with the given season when statsmodels' test finds one)."""
    from statsmodels.tsa.forecasting.theta import ThetaModel

    y = np.asarray(y, dtype=np.float64)
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for t in starts:
            hist = y[:t]
            if len(hist) < 4 or np.ptp(hist) == 0:
                out.append(np.repeat(hist[-1], horizon))
                continue
            period = season if season > 1 and len(hist) >= 2 * season else 1
            # Multiplicative deseasonalising needs positive values.
            method = "multiplicative" if np.all(hist > 0) else "additive"
            try:
                res = ThetaModel(hist, period=period, deseasonalize=period > 1,
                                 method=method).fit()
                out.append(np.asarray(res.forecast(horizon)))
            except (ValueError, np.linalg.LinAlgError):
                out.append(np.repeat(hist[-1], horizon))
    return np.asarray(out, dtype=np.float64).reshape(len(starts), horizon)


def classical_forecasts(y: np.ndarray, starts: np.ndarray, horizon: int, season: int,
                        train_end: int) -> dict[str, np.ndarray]:
    """{"ETS": ..., "Theta": ...} forecasts (those that could be fitted)."""
    out = {}
    ets = ets_forecasts(y, starts, horizon, season, train_end)
    if ets is not None and np.isfinite(ets).all():
        out["ETS"] = ets
    theta = theta_forecasts(y, starts, horizon, season)
    if theta is not None and np.isfinite(theta).all():
        out["Theta"] = theta
    return out
