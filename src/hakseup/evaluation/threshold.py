"""The decision threshold of a binary classifier, chosen on validation rows for the metric the
user asked for (``--metric f1`` or ``balanced_accuracy``), as scikit-learn's
``TunedThresholdClassifierCV`` does: on an imbalanced target the 0.5 of argmax rarely
maximises F1 or balanced accuracy.

The threshold is chosen on the validation split only (never the test rows), stored in the
run's ``schema.json`` and used wherever the run labels rows (test metrics, ``evaluate``,
``predict``). Probability metrics (ROC-AUC, PR-AUC) do not depend on it.

Example:
    >>> p = np.array([0.1, 0.2, 0.3, 0.35, 0.4, 0.9])
    >>> y = np.array([0, 0, 0, 1, 1, 1])
    >>> choose_threshold(p, y, "f1")
    0.35
"""

from __future__ import annotations

import numpy as np

from ..i18n import t

__all__ = [
    "THRESHOLD_METRICS",
    "choose_threshold",
    "threshold_score",
    "check_metric",
    "tune_threshold",
]

THRESHOLD_METRICS = ("f1", "balanced_accuracy")


def threshold_score(y: np.ndarray, pred: np.ndarray, metric: str) -> float:
    """``metric`` (f1 of class 1, or balanced accuracy) of 0/1 predictions."""
    tp = float(np.sum((pred == 1) & (y == 1)))
    fp, fn = float(np.sum((pred == 1) & (y == 0))), float(np.sum((pred == 0) & (y == 1)))
    if metric == "f1":
        return 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    tn = float(np.sum((pred == 0) & (y == 0)))
    recalls = [tp / (tp + fn)] if tp + fn else []
    recalls += [tn / (tn + fp)] if tn + fp else []
    return float(np.mean(recalls)) if recalls else 0.0


def choose_threshold(proba1: np.ndarray, y: np.ndarray, metric: str) -> float:
    """The probability of class 1 above which a row is labelled 1 that maximises ``metric``
    on these (validation) rows; among equal scores the one nearest 0.5. Every distinct
    probability is a candidate: one ROC curve gives each one's true- and false-positive
    rates, from which F1 and balanced accuracy follow."""
    from sklearn.metrics import roc_curve

    p, y = np.asarray(proba1, dtype=np.float64), np.asarray(y).astype(int)
    if len(p) == 0 or len(np.unique(y)) < 2:
        return 0.5  # nothing to learn a threshold from: argmax's
    fpr, tpr, cands = roc_curve(y, p, drop_intermediate=False)
    fpr, tpr, cands = fpr[1:], tpr[1:], cands[1:]  # the first "threshold" is +inf
    if metric == "f1":
        pos, neg = y.sum(), len(y) - y.sum()
        tp, fp = tpr * pos, fpr * neg
        scores = np.where(tp > 0, 2 * tp / np.maximum(tp + fp + pos, 1e-12), 0.0)
    else:
        scores = (tpr + 1 - fpr) / 2
    best = np.flatnonzero(scores >= scores.max() - 1e-12)
    return float(cands[best[np.argmin(np.abs(cands[best] - 0.5))]])


def check_metric(metric: str, schema) -> None:
    """``--metric f1|balanced_accuracy`` chooses a binary decision threshold: on any other
    task it would do nothing, so it is one line before training instead of silence."""
    if metric in THRESHOLD_METRICS and schema.task != "binary":
        from ..errors import ConfigError

        raise ConfigError(
            t("error.evaluation.threshold.metric_chooses_decision", metric=metric, task=schema.task)
        )


def tune_threshold(model, bundle, metric: str) -> float | None:
    """Choose and set ``bundle.schema.threshold`` for ``metric`` from the validation rows of a
    binary task (left at None otherwise, or without validation rows); returns it."""
    schema = bundle.schema
    if schema.task != "binary" or metric not in THRESHOLD_METRICS or len(bundle.val) == 0:
        return None
    import torch

    from .scoring import split_outputs

    out, target = split_outputs(model, bundle.val)
    proba1 = torch.softmax(out.double(), 1)[:, 1].numpy()
    schema.threshold = choose_threshold(proba1, target.numpy(), metric)
    return schema.threshold
