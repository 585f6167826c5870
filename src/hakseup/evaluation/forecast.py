"""Forecast evaluation in original units, next to naive, seasonal-naive and drift baselines.

Example:
    >>> metrics, best_baseline, baseline = forecast_scores(model, bundle)   # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np

from .metrics import mase, regression_metrics

__all__ = ["forecast_scores", "forecast_predictions"]


def forecast_predictions(model, bundle, split: str = "test"):
    """(starts, predictions, actuals, baselines) in original units for a split."""
    from ..data.series import naive_forecasts, to_original
    from ..training.predict import predict

    s = bundle.info["series"]
    y, starts = s["y"], s["starts"][split]
    horizon = bundle.schema.n_outputs
    out = predict(model, getattr(bundle, split).inputs).numpy()
    pred = to_original(bundle.preprocessor, out, y, starts)
    actual = np.stack([y[t:t + horizon] for t in starts])
    return starts, pred, actual, naive_forecasts(y, starts, horizon, s["season"])


def _metrics(actual, pred, y_train, season) -> dict:
    m = regression_metrics(actual, pred)
    m["mase"] = mase(actual, pred, y_train, 1)
    return {k: m[k] for k in ("mae", "rmse", "mape", "mase", "r2")}


def forecast_scores(model, bundle, split: str = "test") -> tuple[dict, str, dict]:
    """(model metrics, name of the strongest baseline, its metrics); every baseline's metrics
    are also in ``metrics['baselines']``."""
    s = bundle.info["series"]
    y_train = s["y"][:s["train_end"]]
    starts, pred, actual, baselines = forecast_predictions(model, bundle, split)
    metrics = _metrics(actual, pred, y_train, s["season"])
    table = {name: _metrics(actual, b, y_train, s["season"]) for name, b in baselines.items()}
    best = min(table, key=lambda k: table[k]["mae"])
    metrics["baselines"] = table
    metrics["beats"] = {name: bool(metrics["mae"] < b["mae"]) for name, b in table.items()}
    return metrics, f"{best} forecast", table[best]
