"""The loss for a task: cross-entropy for classes, MSE for values, or one named in the config.

Example:
    >>> from hakseup.data.bundle import Schema
    >>> type(loss_function("auto", Schema("multiclass", "table", (3,), 4))).__name__
    'CrossEntropyLoss'
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..data.bundle import Schema
from ..i18n import t

__all__ = ["loss_function", "class_weights", "training_loss"]


def class_weights(target: torch.Tensor, n_classes: int) -> torch.Tensor:
    """scikit-learn's ``class_weight="balanced"``: ``n / (k * count_c)`` per class, from the
    training targets (a class absent from them gets weight 1).

    Example:
        >>> class_weights(torch.tensor([0, 0, 0, 1]), 2)
        tensor([0.6667, 2.0000])
    """
    counts = torch.bincount(target.long().flatten().cpu(), minlength=n_classes).double()
    w = counts.sum() / (n_classes * counts.clamp(min=1))
    return torch.where(counts > 0, w, torch.ones_like(w)).float()


def loss_function(
    name: str, schema: Schema, label_smoothing: float = 0.0, weight: torch.Tensor | None = None
):
    """The loss for ``name`` (``auto``: cross-entropy for classes, MSE for values);
    ``label_smoothing`` and per-class ``weight`` apply to cross-entropy."""
    if name == "auto":
        # A panel's targets are scaled by each series' mean absolute change: L1 on them is
        # the MASE the M competitions score (``data.series.panel``).
        name = (
            "cross_entropy"
            if schema.is_classification
            else "mae"
            if getattr(schema, "n_series", 0)
            else "mse"
        )
    if name in ("cross_entropy", "bce") and not schema.is_classification:
        from ..errors import ConfigError

        raise ConfigError(
            t("error.training.losses.loss_needs_classification", name=name, task=schema.task)
        )
    if name == "cross_entropy":
        return nn.CrossEntropyLoss(weight=weight, label_smoothing=label_smoothing)
    if name == "bce":
        if schema.n_outputs != 2:
            from ..errors import ConfigError

            raise ConfigError(t("error.training.losses.loss_bce_needs", n_outputs=schema.n_outputs))
        # Two logits (l0, l1): BCE on their difference equals 2-class cross-entropy.
        return lambda out, y: F.binary_cross_entropy_with_logits(out[:, 1] - out[:, 0], y.float())
    return {"mse": nn.MSELoss(), "mae": nn.L1Loss(), "huber": nn.HuberLoss()}[name]


def training_loss(cfg, data, device: torch.device):
    """The loss a ``TrainConfig`` asks for on a ``DataBundle``: ``cfg.loss`` with its label
    smoothing and, for ``class_weight="balanced"``, weights from the training targets."""
    schema, weight = data.schema, None
    if cfg.class_weight == "balanced":
        if not schema.is_classification:
            from ..errors import ConfigError

            raise ConfigError(t("error.training.losses.class_weight_balanced", task=schema.task))
        from ..data.loader import split_targets

        target = torch.as_tensor(split_targets(data.train))  # a lazy split: its labels
        weight = class_weights(target, schema.n_outputs).to(device)
    return member_mean(loss_function(cfg.loss, schema, cfg.label_smoothing, weight))


def member_mean(loss):
    """``loss`` for outputs (B, out), and for an ensemble's training outputs (B, k, out) the
    mean of each member's loss (every member learns on its own, as in TabM).

    Example:
        >>> f = member_mean(torch.nn.MSELoss())
        >>> float(f(torch.zeros(2, 3, 1), torch.ones(2, 1)))
        1.0
    """

    def fn(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if out.dim() == 3:
            return torch.stack([loss(out[:, i], target) for i in range(out.shape[1])]).mean()
        return loss(out, target)

    return fn
