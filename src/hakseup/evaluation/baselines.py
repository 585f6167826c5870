"""Baselines every metric is shown next to: majority class, mean, naive forecasts.

Example:
    >>> majority_class_proba(np.array([0, 1, 1]), n_test=2, n_classes=2).tolist()
    [[0.0, 1.0], [0.0, 1.0]]
"""

from __future__ import annotations

import numpy as np

from ..metrics import classification_metrics, regression_metrics

__all__ = ["majority_class_proba", "baseline_metrics"]


def majority_class_proba(train_target: np.ndarray, n_test: int, n_classes: int) -> np.ndarray:
    """Always predict the most frequent training class (with certainty)."""
    counts = np.bincount(np.asarray(train_target, dtype=int), minlength=n_classes)
    proba = np.zeros((n_test, n_classes))
    proba[:, int(counts.argmax())] = 1.0
    return proba


def baseline_metrics(
    task: str, train_target: np.ndarray, test_target: np.ndarray, n_classes: int | None = None
) -> tuple[str, dict]:
    """(name, metrics) of the simplest honest predictor for ``task``, fitted on training rows."""
    if task in ("binary", "multiclass"):
        if n_classes is None:
            raise ValueError("baseline_metrics: a classification baseline needs n_classes")
        proba = majority_class_proba(train_target, len(test_target), n_classes)
        return "majority class", classification_metrics(test_target, proba, n_classes)
    mean = np.asarray(train_target, dtype=np.float64).mean(0)
    pred = np.broadcast_to(mean, np.asarray(test_target).shape)
    return "training mean", regression_metrics(test_target, pred)
