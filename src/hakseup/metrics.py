"""Metrics for classes, values and forecasts (scikit-learn does the arithmetic).

Example:
    >>> m = classification_metrics(np.array([0, 1, 1]), np.array([[.9, .1], [.2, .8], [.6, .4]]))
    >>> round(m["accuracy"], 3), m["confusion_matrix"]
    (0.667, [[1, 0], [1, 1]])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .i18n import t

__all__ = [
    "classification_metrics",
    "regression_metrics",
    "mase",
    "compute_metrics",
    "MAIN_METRIC",
    "LOWER_IS_BETTER",
    "metric_direction",
    "decide",
]

MAIN_METRIC = {
    "binary": "accuracy",
    "multiclass": "accuracy",
    "regression": "rmse",
    "forecast": "mae",
}
LOWER_IS_BETTER = {
    "mse",
    "rmse",
    "mae",
    "mape",
    "mase",
    "smape",
    "loss",
    "false_positive_rate",
    "error",
    "time",
}
HIGHER_IS_BETTER = {
    "accuracy",
    "balanced_accuracy",
    "precision",
    "recall",
    "f1",
    "f1_macro",
    "f1_weighted",
    "precision_macro",
    "recall_macro",
    "roc_auc",
    "pr_auc",
    "r2",
}


def metric_direction(name: str) -> str:
    """``"min"`` or ``"max"``: which way ``name`` (``val_loss``, ``val_accuracy``, ...) improves.

    >>> metric_direction("val_loss"), metric_direction("val_accuracy"), metric_direction("mae")
    ('min', 'max', 'min')
    """
    from .errors import ConfigError

    base = name
    for prefix in ("val_", "train_", "test_"):
        base = base.removeprefix(prefix)
    if base in LOWER_IS_BETTER:
        return "min"
    if base in HIGHER_IS_BETTER:
        return "max"
    raise ConfigError(t("error.evaluation.metrics.cannot_tell_whether", name=name))


def decide(proba: np.ndarray, threshold: float | None) -> np.ndarray:
    """Class indices for probabilities (N, classes): argmax, or for two classes with a
    ``threshold``, 1 where P(class 1) >= it. Metrics and predictions label rows here.

    >>> decide(np.array([[0.7, 0.3], [0.4, 0.6]]), 0.25).tolist()
    [1, 1]
    """
    if threshold is not None and proba.shape[1] == 2:
        return (proba[:, 1] >= threshold).astype(int)
    return proba.argmax(1)


def classification_metrics(
    y_true: np.ndarray,
    proba: np.ndarray,
    n_classes: int | None = None,
    threshold: float | None = None,
) -> dict:
    """Accuracy, balanced accuracy, precision/recall/F1 (macro, weighted and per class),
    ROC-AUC, PR-AUC (binary: average precision of the positive class), confusion matrix.
    A binary ``threshold`` labels rows 1 where P(class 1) >= it (default: argmax)."""
    from sklearn import metrics as skm

    y_true = np.asarray(y_true).astype(int)
    proba = np.asarray(proba, dtype=np.float64)
    n_classes = n_classes or proba.shape[1]
    labels = list(range(n_classes))
    y_pred = decide(proba, threshold)
    out: dict[str, Any] = {"accuracy": float(skm.accuracy_score(y_true, y_pred))}
    # The mean recall over the classes present: what accuracy says when classes are balanced.
    present = np.unique(y_true)
    out["balanced_accuracy"] = (
        float(np.mean([np.mean(y_pred[y_true == c] == c) for c in present]))
        if len(present)
        else 0.0
    )
    for avg in ("macro", "weighted"):
        p, r, f, _ = skm.precision_recall_fscore_support(
            y_true, y_pred, labels=labels, average=avg, zero_division=0
        )
        out[f"precision_{avg}"], out[f"recall_{avg}"], out[f"f1_{avg}"] = (
            float(p),
            float(r),
            float(f),
        )
    p, r, _, support = skm.precision_recall_fscore_support(
        y_true, y_pred, labels=labels, average=None, zero_division=0
    )
    out["per_class_precision"] = [float(v) for v in p]  # lists: not in scalar tables
    out["per_class_recall"] = [float(v) for v in r]
    out["per_class_support"] = [int(v) for v in support]
    try:
        if n_classes == 2 and len(present) == 2:
            out["roc_auc"] = float(skm.roc_auc_score(y_true, proba[:, 1]))
            out["pr_auc"] = float(skm.average_precision_score(y_true, proba[:, 1]))
        elif n_classes > 2 and len(present) == n_classes:
            p = proba / proba.sum(1, keepdims=True)
            out["roc_auc"] = float(
                skm.roc_auc_score(y_true, p, multi_class="ovr", average="macro", labels=labels)
            )
    except ValueError:  # e.g. a constant score: AUC undefined
        pass
    if n_classes == 2:
        p, r, f, _ = skm.precision_recall_fscore_support(
            y_true, y_pred, labels=[1], average=None, zero_division=0
        )
        out["precision"], out["recall"], out["f1"] = float(p[0]), float(r[0]), float(f[0])
        tn, fp, fn, tp = skm.confusion_matrix(y_true, y_pred, labels=[0, 1]).ravel()
        out["false_positive_rate"] = float(fp / (fp + tn)) if fp + tn else 0.0
    out["confusion_matrix"] = skm.confusion_matrix(y_true, y_pred, labels=labels).tolist()
    return out


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict:
    """MSE, RMSE, MAE, MAPE (%, rows where the truth is 0 skipped) and R²."""
    from sklearn import metrics as skm

    t = np.asarray(y_true, dtype=np.float64).reshape(len(y_true), -1)
    p = np.asarray(y_pred, dtype=np.float64).reshape(len(y_pred), -1)
    mse = float(skm.mean_squared_error(t, p))
    out = {"mse": mse, "rmse": float(np.sqrt(mse)), "mae": float(skm.mean_absolute_error(t, p))}
    nz = t != 0
    out["mape"] = (
        float(np.mean(np.abs((t[nz] - p[nz]) / t[nz])) * 100) if nz.any() else float("nan")
    )
    out["r2"] = float(skm.r2_score(t, p)) if len(t) > 1 else float("nan")
    return out


def mase(y_true: np.ndarray, y_pred: np.ndarray, y_train: np.ndarray, season: int = 1) -> float:
    """Mean absolute scaled error: MAE over the in-sample MAE of the (seasonal) naive forecast."""
    y_train = np.asarray(y_train, dtype=np.float64).ravel()
    if len(y_train) <= season:
        return float("nan")
    scale = np.mean(np.abs(y_train[season:] - y_train[:-season]))
    mae = np.mean(np.abs(np.asarray(y_true, float) - np.asarray(y_pred, float)))
    return float(mae / scale) if scale > 0 else float("nan")


def compute_metrics(
    task: str,
    outputs: np.ndarray,
    target: np.ndarray,
    n_classes: int | None = None,
    threshold: float | None = None,
) -> dict:
    """Metrics for a model's raw outputs (logits for classes, values otherwise)."""
    if task in ("binary", "multiclass"):
        logits = np.asarray(outputs, dtype=np.float64)
        z = np.exp(logits - logits.max(1, keepdims=True))
        return classification_metrics(target, z / z.sum(1, keepdims=True), n_classes, threshold)
    return regression_metrics(target, outputs)
