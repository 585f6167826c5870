"""The loss for a task: cross-entropy for classes, MSE for values, or one named in the config.

Example:
    >>> from hakseup.data.bundle import Schema
    >>> type(loss_function("auto", Schema("multiclass", "table", (3,), 4))).__name__
    'CrossEntropyLoss'
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import nn

from ..data.bundle import Schema

__all__ = ["loss_function"]


def loss_function(name: str, schema: Schema):
    """The loss for ``name`` (``auto``: cross-entropy for classes, MSE for values)."""
    if name == "auto":
        name = "cross_entropy" if schema.is_classification else "mse"
    if name in ("cross_entropy", "bce") and not schema.is_classification:
        from ..errors import ConfigError

        raise ConfigError(f"Loss '{name}' needs a classification target, but this task is "
                          f"{schema.task}. Use mse, mae or huber.")
    if name == "cross_entropy":
        return nn.CrossEntropyLoss()
    if name == "bce":
        if schema.n_outputs != 2:
            from ..errors import ConfigError

            raise ConfigError(f"Loss 'bce' needs a binary target; this one has "
                              f"{schema.n_outputs} classes. Use cross_entropy.")
        # Two logits (l0, l1): BCE on their difference equals 2-class cross-entropy.
        return lambda out, y: F.binary_cross_entropy_with_logits(out[:, 1] - out[:, 0], y.float())
    return {"mse": nn.MSELoss(), "mae": nn.L1Loss(), "huber": nn.HuberLoss()}[name]
