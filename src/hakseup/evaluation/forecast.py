"""Forecast evaluation in original units, next to naive, seasonal-naive, drift, ETS and Theta
forecasts (the classical references, fitted on the training period only); with a horizon
above one, every step is also scored on its own (``metrics["per_step"]``).

Example:
    >>> metrics, best_baseline, baseline = forecast_scores(model, bundle)   # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np

from ..metrics import mase, regression_metrics

__all__ = ["forecast_scores", "forecast_predictions"]


def forecast_predictions(model, bundle, split: str = "test", classical: bool | None = None):
    """(starts, predictions, actuals, baselines) in original units for a split; ETS and Theta
    are among the baselines for the test split (or when ``classical``)."""
    from ..data.series.prepare import naive_forecasts, to_original
    from ..models.forward import predict

    s = bundle.info["series"]
    y, starts = s["y"], s["starts"][split]
    horizon = bundle.schema.n_outputs
    out = predict(model, getattr(bundle, split).inputs).numpy()
    pred = to_original(bundle.preprocessor, out, y, starts)
    actual = np.stack([y[t:t + horizon] for t in starts])
    baselines = naive_forecasts(y, starts, horizon, s["season"])
    if classical if classical is not None else split == "test":
        baselines.update(_classical(bundle, split))
    return starts, pred, actual, baselines


def _classical(bundle, split: str) -> dict:
    """ETS and Theta forecasts of a split, computed once per bundle (they are refitted per
    origin, so the report and the plot share them)."""
    from ..models.forecast_classical import classical_forecasts

    s = bundle.info["series"]
    cache = s.setdefault("classical", {})
    if split not in cache:
        cache[split] = classical_forecasts(s["y"], s["starts"][split], bundle.schema.n_outputs,
                                           s["season"], s["train_end"])
    return dict(cache[split])


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
    if actual.shape[1] > 1:
        metrics["per_step"] = per_step_scores(actual, pred, baselines, y_train)
    return metrics, f"{best} forecast", table[best]


def per_step_scores(actual: np.ndarray, pred: np.ndarray, baselines: dict, y_train: np.ndarray
                    ) -> list[dict]:
    """MAE and MASE of each forecast step h = 1..horizon, for the model and every baseline
    (errors grow with the step; one average over the horizon hides where a model fails)."""
    rows = []
    for h in range(actual.shape[1]):
        row = {"step": h + 1, "mae": float(np.mean(np.abs(actual[:, h] - pred[:, h]))),
               "mase": mase(actual[:, h:h + 1], pred[:, h:h + 1], y_train, 1)}
        for name, b in baselines.items():
            row[f"{name} mae"] = float(np.mean(np.abs(actual[:, h] - b[:, h])))
        rows.append(row)
    return rows
