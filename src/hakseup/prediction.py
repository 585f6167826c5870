"""Predictions for new rows of a table through a fitted preprocessing and a trained model —
what ``hakseup predict``, ``inference.predict_frame`` and ``RunResult.predict`` share.

New data goes through the saved preprocessing, never refitted: unseen categories map to the
unknown bucket and are counted in a warning; missing required columns are an error that lists
them; extra columns are ignored with a notice.

Example:
    >>> array_frame([[1.0, 2.0], [3.0, 4.0]]).columns.tolist()
    ['x0', 'x1']
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import torch

from .errors import DataError
from .evaluation.metrics import decide
from .i18n import t

__all__ = ["table_inputs", "predict_table", "array_frame", "FEATURE_NAME"]

FEATURE_NAME = "x{}"    # the column names given to an array's features
# The messages (i18n catalogs): error.prediction.not_a_table, warn.prediction.unseen,
# error.prediction.bad_shape.


def table_inputs(pre, df: pd.DataFrame, need_target: bool):
    """The model's input tensors for ``df`` (warnings for unseen categories, extra columns)."""
    if getattr(pre, "kind", None) != "table":
        raise DataError(t("error.prediction.not_a_table"))
    for notice in pre.check_columns(df, need_target):
        warnings.warn(notice)
    from .run_check import warn_unusable_numbers  # hook (failures branch): count text/inf

    warn_unusable_numbers(df, pre)
    inputs, stats = pre.transform_inputs(df)
    if stats["unknown"]:
        warnings.warn(t("warn.prediction.unseen", counts=", ".join(
            t("warn.prediction.rows", column=c, n=n) for c, n in stats["unknown"].items())))
    return inputs


def predict_table(model, schema, pre, df: pd.DataFrame) -> pd.DataFrame:
    """The class and each class's probability, or the value (in the target's units)."""
    from .training.predict import predict

    out = predict(model, table_inputs(pre, df, need_target=False)).numpy()
    if schema.is_classification:
        proba = torch.softmax(torch.as_tensor(out), 1).numpy()
        result = pd.DataFrame({f"prob_{c}": proba[:, i] for i, c in enumerate(schema.class_names)})
        label = decide(proba, getattr(schema, "threshold", None))   # --metric's threshold
        result.insert(0, f"predicted_{schema.target}",
                      np.asarray(schema.class_names, dtype=object)[label])
    else:
        result = pd.DataFrame({f"predicted_{schema.target}": pre.inverse_target(out).ravel()})
    return result


def array_frame(x: Any, columns: list[str] | None = None) -> pd.DataFrame:
    """Feature rows (NumPy, tensor, list) as a DataFrame with the run's column names (``x0``,
    ``x1``, ... by default); (rows, steps, features) is flattened row by row."""
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    a = np.asarray(x)
    if a.ndim == 1:
        a = a.reshape(-1, 1)
    if a.ndim not in (2, 3):
        raise DataError(t("error.prediction.bad_shape", shape=tuple(a.shape)))
    flat = a.reshape(len(a), -1)
    names = columns if columns and len(columns) == flat.shape[1] else [
        FEATURE_NAME.format(i) for i in range(flat.shape[1])]
    return pd.DataFrame(flat, columns=names)
