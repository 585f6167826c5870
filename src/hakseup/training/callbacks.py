"""Callbacks: every optional behaviour of the training loop, behind named hooks.

Hooks (all optional), in the order the trainer calls them::

    on_fit_begin(trainer)
      on_epoch_begin(trainer)
        on_before_optimizer_step(trainer)        after backward, before optimizer.step()
        on_train_batch_end(trainer, logs)        logs: {"loss": tensor, "step": int,
                                                        "loss_sum": the epoch's summed loss}
      on_epoch_end(trainer, logs)                logs: {"epoch", "train_loss", "val_loss", ...}
    on_fit_end(trainer)

What a callback may use of the trainer — its documented surface, nothing else:

- ``trainer.model``: the ``nn.Module`` being trained (unwrapped: not the compiled/DDP wrapper)
- ``trainer.optimizer``, ``trainer.scaler`` (a ``GradScaler`` for fp16, else ``None``)
- ``trainer.config``: the ``TrainConfig``
- ``trainer.state``: a ``TrainState`` (epoch, global_step, batch_in_epoch, steps_per_epoch,
  epochs, device, stop_training); set ``trainer.state.stop_training = True`` to stop after the
  current batch's epoch (or, mid-epoch, after the current batch)
- ``trainer.history``: the logs of the epochs so far
- ``trainer.example_inputs()``: a couple of training inputs on the device (graphs, summaries)
- ``trainer.save_checkpoint(folder, weights_only=False)``

A callback with state (early stopping, the scheduler) returns it from ``state_dict()`` so that
it is checkpointed and a resumed run continues exactly. ``order`` sorts callbacks:
checkpointing runs last so it captures everything the others changed. The loggers (progress
bar, metrics file, TensorBoard, GPU statistics) live in ``loggers.py``.

Example:
    >>> class PrintLoss(Callback):
    ...     def on_epoch_end(self, trainer, logs):
    ...         print(logs["epoch"], round(logs["train_loss"], 2))
    >>> PrintLoss().on_epoch_end(None, {"epoch": 1, "train_loss": 0.5})
    1 0.5
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import torch

from ..errors import ConfigError, HakseupError
from ..i18n import t

__all__ = [
    "Callback",
    "MonitorCallback",
    "EarlyStopping",
    "LRScheduler",
    "GradientClipping",
    "NonFiniteGuard",
    "ModelCheckpoint",
    "BestWeights",
    "TrainingDiverged",
    "check_callbacks",
]


def check_callbacks(callbacks: object, function: str) -> None:
    """``callbacks=`` of the Python API: ``None`` or a list of ``Callback`` objects; anything
    else is one ``ArgumentTypeError`` before training starts (``callbacks=5``)."""
    from ..errors import check_type

    check_type(
        callbacks,
        (list, tuple, type(None)),
        function,
        "callbacks",
        "a list of hakseup.Callback objects",
    )
    for c in callbacks or ():  # type: ignore[attr-defined]  # a list or tuple: checked
        check_type(c, Callback, function, "callbacks", "a list of hakseup.Callback objects")


class Callback:
    order = 50

    def on_fit_begin(self, trainer) -> None: ...
    def on_epoch_begin(self, trainer) -> None: ...
    def on_before_optimizer_step(self, trainer) -> None: ...
    def on_train_batch_end(self, trainer, logs: dict) -> None: ...
    def on_epoch_end(self, trainer, logs: dict) -> None: ...
    def on_fit_end(self, trainer) -> None: ...

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass


class MonitorCallback(Callback):
    """A callback that watches one logged metric and knows whether it should go up or down.

    ``mode="auto"`` takes the direction from the metric's definition
    (``evaluation.metrics.metric_direction``: losses and errors go down, accuracy goes up).

    Example:
        >>> MonitorCallback("val_accuracy").mode, MonitorCallback("val_loss").mode
        ('max', 'min')
    """

    def __init__(self, monitor: str = "val_loss", mode: str = "auto", min_delta: float = 0.0):
        from ..errors import check_type
        from ..metrics import metric_direction

        check_type(monitor, str, type(self).__name__, "monitor", "a metric's name (val_loss)")
        check_type(min_delta, (int, float), type(self).__name__, "min_delta", "a number")
        if mode not in ("auto", "min", "max"):
            raise ConfigError(
                t("error.training.callbacks.unknown_mode_monitoring", mode=mode, monitor=monitor)
            )
        self.monitor, self.min_delta = monitor, min_delta
        self.mode = metric_direction(monitor) if mode == "auto" else mode
        self.best: float | None = None

    def improved(self, value: float) -> bool:
        if self.best is None:
            return True
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def value(self, logs: dict) -> float | None:
        """The monitored value in ``logs``, or None when absent or NaN."""
        v = logs.get(self.monitor)
        return None if v is None or math.isnan(v) else float(v)


class TrainingDiverged(HakseupError):
    """The loss became NaN or infinite."""


class NonFiniteGuard(Callback):
    """Stop at the first NaN/inf loss, naming the step, with a hint.

    Reading a loss is free on the CPU but a synchronisation on a GPU, which would stall the
    pipeline every step. There the guard reads the epoch's running loss sum, which stays on
    the device anyway (a non-finite loss makes it non-finite), every ``every`` steps (default:
    1 on the CPU, 32 elsewhere), and the epoch's mean loss at each epoch's end: no extra kernel
    per step, and the message names the window of steps.
    """

    order = 0

    def __init__(self, every: int | None = None):
        self.every = every

    def on_fit_begin(self, trainer):
        self._every = self.every or (1 if trainer.state.device.type == "cpu" else 32)
        self._first = trainer.state.global_step + 1  # first step not yet known to be finite

    def on_train_batch_end(self, trainer, logs):
        if trainer.state.stop_training:  # a callback already ended the fit (an LR sweep)
            return
        step, epoch = logs["step"], trainer.state.epoch + 1
        if self._every == 1:
            self._check(trainer, logs["loss"].item(), step, step, epoch)
        elif step % self._every == 0:  # the epoch's sum so far, one read
            self._check(trainer, logs["loss_sum"].item(), self._first, step, epoch)
            self._first = step + 1

    def on_epoch_end(self, trainer, logs):
        step = trainer.state.global_step
        if self._every > 1 and self._first <= step and not trainer.state.stop_training:
            self._check(trainer, logs["train_loss"], self._first, step, logs["epoch"])
        self._first = step + 1

    @staticmethod
    def _check(trainer, value: float, first: int, step: int, epoch: int) -> None:
        if not math.isfinite(value):
            where = (
                t("fragment.at_step", step=step)
                if first == step
                else t("fragment.within_steps", first=first, step=step)
            )
            raise TrainingDiverged(
                t(
                    "error.training.callbacks.training_loss_became",
                    value=value,
                    where=where,
                    epoch=epoch,
                    lr=trainer.config.lr,
                )
            )


class GradientClipping(Callback):
    """Clip the global gradient norm before each optimizer step."""

    def __init__(self, max_norm: float):
        self.max_norm = max_norm

    def on_before_optimizer_step(self, trainer):
        if trainer.scaler is not None:  # fp16: clip the true gradients, not scaled ones
            trainer.scaler.unscale_(trainer.optimizer)
        torch.nn.utils.clip_grad_norm_(trainer.model.parameters(), self.max_norm)


class LRScheduler(Callback):
    """Own the learning-rate schedule: per-step schedules step after each batch, the others
    after each epoch (ReduceLROnPlateau with the monitored metric)."""

    order = 10

    def __init__(self, monitor: str = "val_loss"):
        self.monitor = monitor
        self.scheduler = None

    def on_fit_begin(self, trainer):
        from .optim import PER_STEP_SCHEDULERS, build_scheduler

        self.per_step = trainer.config.scheduler in PER_STEP_SCHEDULERS
        self.scheduler = build_scheduler(
            trainer.optimizer, trainer.config, trainer.state.steps_per_epoch
        )

    def on_train_batch_end(self, trainer, logs):
        if self.scheduler is not None and self.per_step:
            self.scheduler.step()

    def on_epoch_end(self, trainer, logs):
        if self.scheduler is None or self.per_step:
            return
        if isinstance(self.scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
            self.scheduler.step(logs.get(self.monitor, logs["train_loss"]))
        else:
            self.scheduler.step()

    def state_dict(self):
        if self.scheduler is None:
            return {}
        # LambdaLR's lambdas are code, not state: they are rebuilt from the config.
        return {k: v for k, v in self.scheduler.state_dict().items() if k != "lr_lambdas"}

    def load_state_dict(self, state):
        if self.scheduler is not None and state:
            self.scheduler.load_state_dict({**self.scheduler.state_dict(), **state})


class EarlyStopping(MonitorCallback):
    """Stop when ``monitor`` has not improved for ``patience`` epochs."""

    order = 20

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 5,
        min_delta: float = 0.0,
        mode: str = "auto",
    ):
        from ..errors import check_type

        super().__init__(monitor, mode, min_delta)
        check_type(patience, int, "EarlyStopping", "patience", "a whole number of epochs")
        self.patience = patience
        self.wait, self.stopped_epoch = 0, None

    def on_epoch_end(self, trainer, logs):
        value = self.value(logs)
        if value is None:
            return
        if self.improved(value):
            self.best, self.wait = value, 0
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.stopped_epoch = logs["epoch"]
                trainer.state.stop_training = True

    def state_dict(self):
        return {"best": self.best, "wait": self.wait, "stopped_epoch": self.stopped_epoch}

    def load_state_dict(self, state):
        self.best, self.wait = state.get("best"), state.get("wait", 0)
        self.stopped_epoch = state.get("stopped_epoch")


class BestWeights(MonitorCallback):
    """Keep a copy of the weights of the best epoch in memory and load them when the fit
    ends (Keras' ``restore_best_weights``): what ``train`` gets from its ``best`` checkpoint,
    for fits that write no run folder of their own (the folds of ``cv``).

    Example:
        >>> m = torch.nn.Linear(1, 1)
        >>> cb = BestWeights("val_loss")
        >>> cb.on_epoch_end(type("T", (), {"model": m})(), {"val_loss": 0.5})
        >>> cb.best
        0.5
    """

    order = 90

    def __init__(self, monitor: str = "val_loss", mode: str = "auto"):
        super().__init__(monitor, mode)
        self.weights: dict | None = None

    def on_epoch_end(self, trainer, logs):
        value = self.value(logs)
        if value is not None and self.improved(value):
            self.best = value
            self.weights = {k: v.detach().clone() for k, v in trainer.model.state_dict().items()}

    def on_fit_end(self, trainer):
        if self.weights is not None:
            trainer.model.load_state_dict(self.weights)


class ModelCheckpoint(MonitorCallback):
    """Save ``last`` every epoch (or every N steps) and ``best`` when ``monitor`` improves."""

    order = 100

    def __init__(
        self,
        folder: str | os.PathLike,
        monitor: str = "val_loss",
        every_n_steps: int = 0,
        mode: str = "auto",
    ):
        from ..errors import check_type

        check_type(folder, (str, os.PathLike), "ModelCheckpoint", "folder", "a folder path")
        check_type(every_n_steps, int, "ModelCheckpoint", "every_n_steps", "a whole number")
        super().__init__(monitor, mode)
        self.folder = Path(folder)
        self.every_n_steps = every_n_steps

    def on_train_batch_end(self, trainer, logs):
        s = trainer.state
        if (
            self.every_n_steps
            and s.global_step % self.every_n_steps == 0
            and s.batch_in_epoch < s.steps_per_epoch
        ):
            trainer.save_checkpoint(self.folder / "last")

    def on_epoch_end(self, trainer, logs):
        value = self.value(logs)
        if value is not None and self.improved(value):
            self.best = value
            trainer.save_checkpoint(self.folder / "best", weights_only=True)
        trainer.save_checkpoint(self.folder / "last")

    def state_dict(self):
        return {"best": self.best}

    def load_state_dict(self, state):
        self.best = state.get("best")
