"""Scoring a model: its metrics on a split, in the data's original units, next to the
baseline fitted on the training rows. ``train``, ``cv``, ``tune`` and ``evaluate`` all score
through here.

Example:
    >>> import numpy as np
    >>> from hakseup.data.bundle import Schema
    >>> out = np.array([[2.0, 0.0], [0.0, 2.0]])
    >>> m, name, base = score_outputs(Schema("binary", "table", (1,), 2), out, np.array([0, 1]),
    ...                               np.array([1, 1, 0]))
    >>> m["accuracy"], name, base["accuracy"]
    (1.0, 'majority class', 0.5)
"""

from __future__ import annotations

import numpy as np

from ..data.bundle import is_lazy
from ..data.loader import split_targets
from ..errors import HakseupError
from ..i18n import t
from ..metrics import compute_metrics
from .baselines import baseline_metrics

__all__ = ["score", "score_outputs", "split_outputs"]


def score_outputs(
    schema, out: np.ndarray, target: np.ndarray, train_target: np.ndarray
) -> tuple[dict, str, dict]:
    """(metrics, baseline name, baseline metrics) of model outputs ``out`` against ``target``
    (both in original units); the baseline is fitted on ``train_target``."""
    threshold = getattr(schema, "threshold", None)
    metrics = compute_metrics(schema.task, out, target, schema.n_outputs, threshold)
    if threshold is not None:
        metrics["threshold"] = float(threshold)
    name, base = baseline_metrics(schema.task, train_target, target, schema.n_outputs)
    return metrics, name, base


def score(model, bundle, split: str = "test") -> tuple[dict, str, dict]:
    """(metrics, baseline name, baseline metrics) of ``model`` on a split of ``bundle``."""
    part = getattr(bundle, split)
    if "panel" in bundle.info:  # many series: scored per series, M-competition style
        from .forecast_panel import panel_scores

        return panel_scores(model, bundle, split)
    if bundle.schema.task == "forecast":
        from .forecast import forecast_scores

        return forecast_scores(model, bundle, split)
    if len(part) == 0:
        raise HakseupError(t("error.evaluation.scoring.split_empty_nothing", split=split))
    # Values are compared in the data's original units, not the scaled ones the model sees.
    inverse = bundle.preprocessor.inverse_target
    out, target = split_outputs(model, part)
    return score_outputs(
        bundle.schema,
        inverse(out.numpy()),
        inverse(target.numpy()),
        inverse(split_targets(bundle.train)),
    )


def split_outputs(model, part):
    """(model outputs, targets) of a split as CPU tensors: a lazy split (e.g. a
    memory-mapped image cache) is read batch by batch."""
    from ..models.forward import predict, predict_split

    if is_lazy(part):
        return predict_split(model, part)
    return predict(model, part.inputs), part.target
