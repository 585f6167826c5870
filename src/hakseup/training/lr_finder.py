"""The learning-rate range test, as a callback on the normal training loop: the LR rises
exponentially step by step while the smoothed loss is recorded; the suggestion is the LR where
the loss falls fastest. Because it runs inside ``Trainer.fit``, the sweep uses the run's own
step: precision, gradient scaling, augmentation and clipping included.

Example:
    >>> import torch
    >>> from hakseup.data.bundle import DataBundle, Schema, Split
    >>> from hakseup.training.trainer import Trainer
    >>> x = torch.randn(256, 4); y = (x[:, 0] > 0).long()
    >>> bundle = DataBundle(Split((x,), y), Split((x,), y), Split((x,), y),
    ...                     Schema("binary", "table", (4,), 2), None)
    >>> sweep = LRSweep(start=1e-5, end=10.0, steps=60)
    >>> _ = Trainer(sweep_config(Trainer().config, 1e-5, 60), batch_size=16).fit(
    ...     torch.nn.Linear(4, 2), bundle, callbacks=[sweep])
    >>> len(sweep.lrs) > 10, 1e-5 < suggest_lr(sweep.lrs, sweep.losses) < 10
    (True, True)
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from ..config import TrainConfig
from .callbacks import Callback

__all__ = ["LRSweep", "sweep_config", "suggest_lr"]


def sweep_config(cfg: TrainConfig, start: float, steps: int) -> TrainConfig:
    """The training settings of a sweep: the sweep owns the LR (no schedule, no early
    stopping, no settings resolved from the data) and stops itself after ``steps`` steps,
    whatever the epoch count."""
    return dataclasses.replace(
        cfg,
        lr=start,
        scheduler="none",
        patience=None,
        epochs=steps,
        progress=False,
        verbosity="quiet",
        tensorboard=False,
        sequence_defaults=False,
    )


class LRSweep(Callback):
    """Set the LR of step ``i`` to ``start * (end / start) ** (i / (steps - 1))``; record the
    bias-corrected exponential moving average of the loss; stop after ``steps`` steps, or once
    the loss exceeds ``diverge`` times its best (or is not finite)."""

    order = -10  # before the NaN guard: a diverging loss is how a sweep ends

    def __init__(
        self,
        start: float = 1e-7,
        end: float = 10.0,
        steps: int = 200,
        smoothing: float = 0.05,
        diverge: float = 4.0,
    ):
        self.start, self.end, self.steps = start, end, steps
        self.smoothing, self.diverge = smoothing, diverge
        self.lrs: np.ndarray = np.empty(0)
        self.losses: np.ndarray = np.empty(0)

    def on_fit_begin(self, trainer):
        self._factor = (self.end / self.start) ** (1 / max(1, self.steps - 1))
        self._lrs, self._losses, self._avg, self._best = [], [], 0.0, math.inf
        self._set_lr(trainer, 0)

    def on_train_batch_end(self, trainer, logs):
        i = len(self._lrs)
        value = logs["loss"].item()
        if not math.isfinite(value):
            trainer.state.stop_training = True
            return
        self._avg = self.smoothing * value + (1 - self.smoothing) * self._avg
        corrected = self._avg / (1 - (1 - self.smoothing) ** (i + 1))  # EMA started at zero
        self._lrs.append(self.start * self._factor**i)
        self._losses.append(corrected)
        self._best = min(self._best, corrected)
        if i + 1 >= self.steps or (corrected > self.diverge * self._best and i > 10):
            trainer.state.stop_training = True
        else:
            self._set_lr(trainer, i + 1)

    def on_fit_end(self, trainer):
        self.lrs, self.losses = np.asarray(self._lrs), np.asarray(self._losses)

    def _set_lr(self, trainer, i: int) -> None:
        for g in trainer.optimizer.param_groups:
            g["lr"] = self.start * self._factor**i


def suggest_lr(lrs: np.ndarray, losses: np.ndarray) -> float:
    """The LR of the steepest descent of the loss against log(LR), before the minimum."""
    skip = 10  # the first points carry the smoothing's start-up, not the LR's effect
    if len(lrs) < skip + 5:
        return float(lrs[len(lrs) // 2]) if len(lrs) else float("nan")
    stop = max(skip + 3, int(np.argmin(losses)) + 1)
    slopes = np.gradient(losses[skip:stop], np.log10(lrs[skip:stop]))
    return float(lrs[skip + int(np.argmin(slopes))])
