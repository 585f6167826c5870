"""Model outputs over inputs or whole splits, batched, in eval mode.

Example:
    >>> import torch
    >>> predict(torch.nn.Linear(3, 2), (torch.zeros(5, 3),)).shape
    torch.Size([5, 2])
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from ..data.bundle import DatasetSplit, Split
from ..data.loader import iterate_split
from ..errors import DataError, HakseupWarning
from ..i18n import t
from ..metrics import decide

__all__ = [
    "predict",
    "predict_split",
    "predict_batches",
    "table_inputs",
    "predict_table",
    "array_frame",
    "FEATURE_NAME",
]


@torch.no_grad()
def predict(
    model: nn.Module,
    inputs: tuple[torch.Tensor, ...],
    batch_size: int = 4096,
    device: torch.device | None = None,
    to_cpu: bool = True,
) -> torch.Tensor:
    """Model outputs for ``inputs`` in eval mode, batched; on the CPU unless ``to_cpu=False``
    (the trainer's validation keeps them on the device: no round trip per batch)."""
    was_training = model.training
    model.eval()
    device = device or next(model.parameters()).device
    n = inputs[0].shape[0]
    outs = [
        model(*(x[i : i + batch_size].to(device) for x in inputs)).float()
        for i in range(0, n, batch_size)
    ]
    if to_cpu:
        outs = [o.cpu() for o in outs]
    model.train(was_training)
    return torch.cat(outs) if outs else torch.empty(0)


@torch.no_grad()
def predict_split(
    model: nn.Module,
    split: Split | DatasetSplit,
    batch_size: int = 1024,
    device: torch.device | None = None,
    workers: int | None = None,
    to_cpu: bool = True,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(outputs, targets) over a whole split, tensors or lazy, in eval mode and in order."""
    from ..data.bundle import DatasetSplit, Split
    from ..errors import check_type

    check_type(model, nn.Module, "hakseup.predict_split", "model", "a torch.nn.Module")
    check_type(
        split,
        (Split, DatasetSplit),
        "hakseup.predict_split",
        "split",
        "a hakseup.Split or DatasetSplit",
    )
    check_type(batch_size, int, "hakseup.predict_split", "batch_size", "a whole number")
    device = device or next(model.parameters()).device
    return predict_batches(model, iterate_split(split, batch_size, device, workers), to_cpu)


@torch.no_grad()
def predict_batches(
    model: nn.Module, batches: Iterable[Sequence[torch.Tensor]], to_cpu: bool
) -> tuple[torch.Tensor, torch.Tensor]:
    """(outputs, targets) over ``(input, ..., target)`` batches, in eval mode."""
    was_training = model.training
    model.eval()
    outs, targets = [], []
    for *xs, y in batches:
        outs.append(model(*xs).float())
        targets.append(y)
    model.train(was_training)
    out, target = torch.cat(outs), torch.cat(targets)
    return (out.cpu(), target.cpu()) if to_cpu else (out, target)


FEATURE_NAME = "x{}"  # the column names given to an array's features
# The messages (i18n catalogs): error.predict.rows.not_a_table, warn.predict.rows.unseen,
# error.predict.rows.bad_shape.


def table_inputs(pre, df: pd.DataFrame, need_target: bool):
    """The model's input tensors for ``df`` (warnings for unseen categories, extra columns)."""
    if getattr(pre, "kind", None) != "table":
        raise DataError(t("error.predict.rows.not_a_table"))
    for notice in pre.check_columns(df, need_target):
        warnings.warn(notice, HakseupWarning, stacklevel=2)
    warn_unusable_numbers(df, pre)
    inputs, stats = pre.transform_inputs(df)
    if stats["unknown"]:
        warnings.warn(
            t(
                "warn.predict.rows.unseen",
                counts=", ".join(
                    t("warn.predict.rows.rows", column=c, n=n) for c, n in stats["unknown"].items()
                ),
            ),
            HakseupWarning,
            stacklevel=2,
        )
    return inputs


def predict_table(model, schema, pre, df: pd.DataFrame) -> pd.DataFrame:
    """The class and each class's probability, or the value (in the target's units)."""
    from ..errors import ArgumentError, check_type
    from .forward import predict

    check_type(df, pd.DataFrame, "predict", "new data", "a CSV path, a DataFrame or feature rows")
    if len(df) == 0:  # df.head(0): nothing to predict is a mistake, said so
        raise ArgumentError(t("error.api.no_rows_to_predict", n_columns=len(df.columns)))
    out = predict(model, table_inputs(pre, df, need_target=False)).numpy()
    if schema.is_classification:
        proba = torch.softmax(torch.as_tensor(out), 1).numpy()
        result = pd.DataFrame({f"prob_{c}": proba[:, i] for i, c in enumerate(schema.class_names)})
        label = decide(proba, getattr(schema, "threshold", None))  # --metric's threshold
        result.insert(
            0, f"predicted_{schema.target}", np.asarray(schema.class_names, dtype=object)[label]
        )
    else:
        result = pd.DataFrame({f"predicted_{schema.target}": pre.inverse_target(out).ravel()})
    return result


def array_frame(x: Any, columns: list[str] | None = None) -> pd.DataFrame:
    """Feature rows (NumPy, tensor, list) as a DataFrame with the run's column names (``x0``,
    ``x1``, ... by default); (rows, steps, features) is flattened row by row."""
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    a = np.asarray(x)
    if a.size == 0:  # [] or zeros((0, 3)): no rows to predict, said so
        from ..errors import ArgumentError

        raise ArgumentError(
            t("error.api.no_rows_to_predict", n_columns=a.shape[-1] if a.ndim > 1 else 0)
        )
    if a.ndim == 1:
        a = a.reshape(-1, 1)
    if a.ndim not in (2, 3):
        raise DataError(t("error.predict.rows.bad_shape", shape=tuple(a.shape)))
    flat = a.reshape(len(a), -1)
    names = (
        columns
        if columns and len(columns) == flat.shape[1]
        else [FEATURE_NAME.format(i) for i in range(flat.shape[1])]
    )
    return pd.DataFrame(flat, columns=names)


def warn_unusable_numbers(df, pre) -> None:
    """Warn, with counts, about text and inf in the numeric columns of new data: the saved
    preprocessing would replace them by the training median, so a prediction for such a row
    is not what the row says. (An empty cell is a missing value, imputed as in training.)"""
    found = []
    for col, kind in getattr(pre, "kinds", {}).items():
        if kind != "numeric" or col not in df.columns:
            continue
        s = df[col]
        v = pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        text = int((s.notna().to_numpy() & np.isnan(v)).sum())
        inf = int(np.isinf(v).sum())
        if text or inf:
            found.append(
                f"{col}: "
                + ", ".join(
                    p
                    for p in (
                        t("warn.run.check.n_text", n=text) if text else "",
                        t("warn.run.check.n_inf", n=inf) if inf else "",
                    )
                    if p
                )
            )
    if found:
        warnings.warn(
            t("warn.run.check.not_finite", found="; ".join(found)), HakseupWarning, stacklevel=2
        )
