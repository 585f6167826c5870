"""Forecast evaluation in original units, next to the naive, seasonal-naive and drift forecasts
and the statistical references (statsforecast's AutoETS, AutoTheta, AutoARIMA and their mean,
``forecast_references``; fitted on the values before the split's first origin); with a horizon
above one, every step is also scored on its own (``metrics["per_step"]``: MAE and MASE of the
model and of every reference).

Example:
    >>> metrics, best_baseline, baseline = forecast_scores(model, bundle)   # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np

from .forecast_references import best_reference, reference_verdict
from .metrics import mase, regression_metrics

__all__ = ["forecast_scores", "forecast_predictions"]


def forecast_predictions(model, bundle, split: str = "test", classical: bool | None = None):
    """(starts, predictions, actuals, baselines) in original units for a split; the statistical
    references are among the baselines for the test split (or when ``classical``)."""
    from ..data.series import naive_forecasts, to_original
    from ..training.predict import predict

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
    """The statistical references' forecasts of a split, computed once per bundle (the report
    and the plot share them); their notices (a model that failed, statsforecast missing) go
    to the report once."""
    from .forecast_references import reference_forecasts

    s = bundle.info["series"]
    cache = s.setdefault("classical", {})
    if split not in cache:
        cache[split], notices = reference_forecasts(
            s["y"], s["starts"][split], bundle.schema.n_outputs, s["season"], s["train_end"])
        if split == "test":
            bundle.info.setdefault("notices", []).extend(notices)
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
    strongest = best_reference(table)
    if strongest is not None:
        metrics["best_reference"] = {"name": strongest, "mase": table[strongest]["mase"],
                                     "beaten": bool(metrics["mase"] < table[strongest]["mase"])}
        metrics["reference_verdict"] = reference_verdict(metrics, table)
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
            row[f"{name} mase"] = mase(actual[:, h:h + 1], b[:, h:h + 1], y_train, 1)
        rows.append(row)
    return rows
