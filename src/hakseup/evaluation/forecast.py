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

from ..metrics import mase, regression_metrics
from .forecast_combine import (
    MIN_VAL_ORIGINS,
    NETWORK,
    SEASONAL_NAIVE,
    apply_weights,
    choose_default,
    pretest_origins,
    rule_name,
)
from .forecast_intervals import conformal_widths, interval_scores
from .forecast_references import ENSEMBLE, add_best_reference

__all__ = [
    "default_rule",
    "forecast_predictions",
    "forecast_scores",
    "seasonal_naive",
    "test_widths",
]


def _network(model, bundle, split: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(starts, the network's forecasts, actuals) of a split, in original units."""
    from ..data.series.prepare import to_original
    from ..models.forward import predict

    s = bundle.info["series"]
    y, starts = s["y"], s["starts"][split]
    horizon = bundle.schema.n_outputs
    out = predict(model, getattr(bundle, split).inputs).numpy()
    pred = to_original(bundle.preprocessor, out, y, starts)
    actual = (
        np.stack([y[t : t + horizon] for t in starts]) if len(starts) else np.empty((0, horizon))
    )
    return starts, pred, actual


def forecast_predictions(model, bundle, split: str = "test", classical: bool | None = None):
    """(starts, predictions, actuals, baselines) in original units for a split; the statistical
    references are among the baselines for the test split (or when ``classical``). The test
    split's predictions are the default forecast (``default_rule``: a weighted mean of the
    network and the statistical forecasts, chosen before the test period)."""
    from ..data.series.prepare import naive_forecasts

    s = bundle.info["series"]
    starts, pred, actual = _network(model, bundle, split)
    baselines = naive_forecasts(s["y"], starts, bundle.schema.n_outputs, s["season"])
    if classical if classical is not None else split == "test":
        baselines.update(_classical(bundle, split))
    if split == "test":
        pred = apply_weights(default_rule(model, bundle)["weights"], _base(bundle, split, pred))
    return starts, pred, actual, baselines


def seasonal_naive(y: np.ndarray, starts: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """The seasonal naive forecasts (the naive for a series without a season)."""
    from ..data.series.prepare import naive_forecasts

    naive = naive_forecasts(y, starts, horizon, season)
    return next((v for k, v in naive.items() if k.startswith("seasonal naive")), naive["naive"])


def _base(bundle, split: str, net: np.ndarray) -> dict[str, np.ndarray]:
    """The base forecasts the default weighs: the network, each statistical reference, the
    seasonal naive."""
    s = bundle.info["series"]
    return {
        NETWORK: net,
        **_classical(bundle, split),
        SEASONAL_NAIVE: seasonal_naive(
            s["y"], s["starts"][split], bundle.schema.n_outputs, s["season"]
        ),
    }


def default_rule(model, bundle) -> dict:
    """Which forecast the run gives (cached in the bundle): ``{"name", "weights", "reason",
    "validation_mase", "val_origins", ...}`` (``forecast_combine.choose_default``); reason
    ``validation`` (pooled on the windows before the test period), ``short`` (no validation
    window: the statistical ensemble) or ``no_ensemble`` (fewer than two references could be
    fitted: the network)."""
    s = bundle.info["series"]
    if "rule" in s:
        return s["rule"]
    val_starts = s["starts"].get("val", np.empty(0, dtype=int))
    rule = {
        "name": NETWORK,
        "weights": {NETWORK: 1.0},
        "reason": "no_ensemble",
        "validation_mase": {},
        "val_origins": len(val_starts),
    }
    if ENSEMBLE in _classical(bundle, "test"):
        if len(val_starts) < MIN_VAL_ORIGINS:
            rule.update(name=ENSEMBLE, weights={ENSEMBLE: 1.0}, reason="short")
        else:
            rule.update(_pooled(model, bundle), reason="validation")
    elif len(val_starts) >= MIN_VAL_ORIGINS:
        _, net, actual = _network(model, bundle, "val")
        s["val_residuals"] = actual - net
    s["rule"] = rule
    return rule


def _pooled(model, bundle) -> dict:
    """The two pooling stages of ``forecast_combine`` on the windows before the test period;
    the validation residuals of the pooled forecast are kept for the conformal intervals."""
    s = bundle.info["series"]
    h, y = bundle.schema.n_outputs, s["y"]
    vs, net, actual = _network(model, bundle, "val")
    pre = pretest_origins(s["train_end"], int(s["starts"]["test"].min()), h, s["season"])
    refs = _classical(bundle, "pre", pre)
    naive = seasonal_naive(y, pre, h, s["season"])
    actual_pre = np.stack([y[t : t + h] for t in pre])
    out = choose_default(
        net, actual, refs, naive, actual_pre, np.searchsorted(pre, vs), y[: s["train_end"]]
    )
    base = {
        NETWORK: net,
        **{k: v[np.searchsorted(pre, vs)] for k, v in refs.items()},
        SEASONAL_NAIVE: naive[np.searchsorted(pre, vs)],
    }
    s["val_residuals"] = actual - apply_weights(out["weights"], base)
    return {**out, "name": rule_name(out["weights"]), "stat_origins": len(pre)}


def _classical(bundle, split: str, starts: np.ndarray | None = None) -> dict:
    """The statistical references' forecasts of a split (or of the origins ``starts``, cached
    under ``split``), computed once per bundle (the report and the plot share them); their
    notices (a model that failed, statsforecast missing) go to the report once."""
    from .forecast_references import reference_forecasts

    s = bundle.info["series"]
    cache = s.setdefault("classical", {})
    if split not in cache:
        at = s["starts"][split] if starts is None else starts
        cache[split], notices = reference_forecasts(
            s["y"], at, bundle.schema.n_outputs, s["season"], min(s["train_end"], int(at.min()))
        )
        if split == "test":
            bundle.info.setdefault("notices", []).extend(notices)
    return dict(cache[split])


def test_widths(bundle) -> dict[float, np.ndarray]:
    """{level: half-width per step} of the run's conformal intervals ({} without them)."""
    s = bundle.info["series"]
    if not s.get("interval") or "val_residuals" not in s:
        return {}
    return conformal_widths(s["val_residuals"], s["interval"])


def _mase_scale(y_train: np.ndarray) -> float:
    return float(np.mean(np.abs(np.diff(np.asarray(y_train, dtype=np.float64)))))


def _metrics(actual, pred, y_train, season) -> dict:
    m = regression_metrics(actual, pred)
    m["mase"] = mase(actual, pred, y_train, 1)
    return {k: m[k] for k in ("mae", "rmse", "mape", "mase", "r2")}


def forecast_scores(model, bundle, split: str = "test") -> tuple[dict, str, dict]:
    """(model metrics, name of the strongest baseline, its metrics); every baseline's metrics
    are also in ``metrics['baselines']``."""
    s = bundle.info["series"]
    y_train = s["y"][: s["train_end"]]
    starts, pred, actual, baselines = forecast_predictions(model, bundle, split)
    metrics = _metrics(actual, pred, y_train, s["season"])
    if split == "test":  # the default forecast above; the network's own figures beside it
        metrics["network"] = _metrics(
            actual, _network(model, bundle, split)[1], y_train, s["season"]
        )
        metrics["forecast_rule"] = default_rule(model, bundle)
        if s.get("interval") and "val_residuals" in s:
            metrics["intervals"] = interval_scores(
                actual, pred, test_widths(bundle), _mase_scale(y_train)
            )
    table = {name: _metrics(actual, b, y_train, s["season"]) for name, b in baselines.items()}
    best = min(table, key=lambda k: table[k]["mae"])
    metrics["baselines"] = table
    metrics["beats"] = {name: bool(metrics["mae"] < b["mae"]) for name, b in table.items()}
    add_best_reference(metrics, table)
    if actual.shape[1] > 1:
        metrics["per_step"] = per_step_scores(actual, pred, baselines, y_train)
    return metrics, f"{best} forecast", table[best]


def per_step_scores(
    actual: np.ndarray, pred: np.ndarray, baselines: dict, y_train: np.ndarray
) -> list[dict]:
    """MAE and MASE of each forecast step h = 1..horizon, for the model and every baseline
    (errors grow with the step; one average over the horizon hides where a model fails)."""
    rows = []
    for h in range(actual.shape[1]):
        row = {
            "step": h + 1,
            "mae": float(np.mean(np.abs(actual[:, h] - pred[:, h]))),
            "mase": mase(actual[:, h : h + 1], pred[:, h : h + 1], y_train, 1),
        }
        for name, b in baselines.items():
            row[f"{name} mae"] = float(np.mean(np.abs(actual[:, h] - b[:, h])))
            row[f"{name} mase"] = mase(actual[:, h : h + 1], b[:, h : h + 1], y_train, 1)
        rows.append(row)
    return rows
