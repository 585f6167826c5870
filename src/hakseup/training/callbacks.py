"""Callbacks: every optional behaviour of the training loop, behind named hooks.

Hooks (all optional), in the order the trainer calls them::

    on_fit_begin(trainer)
      on_epoch_begin(trainer)
        on_before_optimizer_step(trainer)        after backward, before optimizer.step()
        on_train_batch_end(trainer, logs)        logs: {"loss": tensor, "step": int}
      on_epoch_end(trainer, logs)                logs: {"epoch", "train_loss", "val_loss", ...}
    on_fit_end(trainer)

Set ``trainer.stop_training = True`` to stop after the current epoch. A callback with state
(early stopping, the scheduler) returns it from ``state_dict()`` so that it is checkpointed and a
resumed run continues exactly. ``order`` sorts callbacks: checkpointing runs last so it captures
everything the others changed.

Example:
    >>> class PrintLoss(Callback):
    ...     def on_epoch_end(self, trainer, logs):
    ...         print(logs["epoch"], logs["train_loss"])
"""

from __future__ import annotations

import json
import math
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import torch

from ..errors import HakseupError

__all__ = ["Callback", "ProgressBar", "EarlyStopping", "LRScheduler", "GradientClipping",
           "NonFiniteGuard", "ModelCheckpoint", "MetricsLogger", "TensorBoardLogger",
           "TrainingDiverged", "GPUStats"]


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


class TrainingDiverged(HakseupError):
    """The loss became NaN or infinite."""


class NonFiniteGuard(Callback):
    """Stop at the first NaN/inf loss, naming the step, with a hint.

    Reading a loss is free on the CPU but a synchronisation on a GPU, which would stall the
    pipeline every step. There the guard reads the trainer's running loss sum, which stays on
    the device anyway (a non-finite loss makes it non-finite), every ``every`` steps (default:
    1 on the CPU, 32 elsewhere), and the epoch's mean loss at each epoch's end: no extra kernel
    per step, and the message names the window of steps.
    """

    order = 0

    def __init__(self, every: int | None = None):
        self.every = every

    def on_fit_begin(self, trainer):
        self._every = self.every or (1 if trainer.device.type == "cpu" else 32)
        self._first = trainer.global_step + 1          # first step not yet known to be finite

    def on_train_batch_end(self, trainer, logs):
        step = logs["step"]
        if self._every == 1:
            self._check(trainer, logs["loss"].item(), step, step, trainer.epoch + 1)
        elif step % self._every == 0:                  # the epoch's sum so far, one read
            self._check(trainer, trainer.loss_sum.item(), self._first, step, trainer.epoch + 1)
            self._first = step + 1

    def on_epoch_end(self, trainer, logs):
        if self._every > 1 and self._first <= trainer.global_step:
            self._check(trainer, logs["train_loss"], self._first, trainer.global_step,
                        logs["epoch"])
        self._first = trainer.global_step + 1

    @staticmethod
    def _check(trainer, value: float, first: int, step: int, epoch: int) -> None:
        if not math.isfinite(value):
            where = f"at step {step}" if first == step else f"within steps {first}-{step}"
            raise TrainingDiverged(
                f"The training loss became {value} {where} (epoch {epoch}). Expected a finite "
                f"loss. Fix: lower the learning rate (now {trainer.config.lr:g}), set --set "
                f"train.grad_clip=1.0, or check the data for NaN/inf values.")


class GradientClipping(Callback):
    """Clip the global gradient norm before each optimizer step."""

    def __init__(self, max_norm: float):
        self.max_norm = max_norm

    def on_before_optimizer_step(self, trainer):
        if trainer.scaler is not None:
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
        self.scheduler = build_scheduler(trainer.optimizer, trainer.config, trainer.steps_per_epoch)

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


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved for ``patience`` epochs."""

    order = 20

    def __init__(self, monitor: str = "val_loss", patience: int = 5, min_delta: float = 0.0):
        self.monitor, self.patience, self.min_delta = monitor, patience, min_delta
        self.best, self.wait, self.stopped_epoch = None, 0, None

    @property
    def mode(self) -> str:
        return "min" if any(k in self.monitor for k in ("loss", "error", "mae", "mse", "rmse",
                                                        "mape", "mase")) else "max"

    def improved(self, value: float) -> bool:
        if self.best is None:
            return True
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_epoch_end(self, trainer, logs):
        value = logs.get(self.monitor)
        if value is None or math.isnan(value):
            return
        if self.improved(value):
            self.best, self.wait = value, 0
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.stopped_epoch = logs["epoch"]
                trainer.stop_training = True

    def state_dict(self):
        return {"best": self.best, "wait": self.wait, "stopped_epoch": self.stopped_epoch}

    def load_state_dict(self, state):
        self.best, self.wait = state.get("best"), state.get("wait", 0)
        self.stopped_epoch = state.get("stopped_epoch")


class ProgressBar(Callback):
    """One tqdm bar per epoch, with the running loss; the epoch's metrics when it ends."""

    order = 90

    def __init__(self, file=None):
        self.file = file
        self.bar = None

    def on_epoch_begin(self, trainer):
        from tqdm.auto import tqdm

        self.bar = tqdm(total=trainer.steps_per_epoch, initial=trainer.batch_in_epoch,
                        desc=f"epoch {trainer.epoch + 1}/{trainer.config.epochs}",
                        file=self.file or sys.stderr, leave=True, dynamic_ncols=True,
                        unit="batch", mininterval=0.2)

    def on_train_batch_end(self, trainer, logs):
        self.bar.update(1)

    def on_epoch_end(self, trainer, logs):
        if self.bar is not None:
            shown = {k: f"{v:.4g}" for k, v in logs.items()
                     if k in ("train_loss", "val_loss", "val_accuracy", "val_mae", "lr")}
            self.bar.set_postfix(shown, refresh=True)
            self.bar.close()
            self.bar = None

    def on_fit_end(self, trainer):
        if self.bar is not None:
            self.bar.close()


class MetricsLogger(Callback):
    """One JSON line per epoch in ``metrics.jsonl``, rewritten atomically each epoch (temp file,
    fsync, rename) so a kill never leaves a torn line."""

    order = 60

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.lines: list[str] = []

    def on_fit_begin(self, trainer):
        # On resume, keep only the epochs the checkpoint contains (the rest will be redone).
        self.lines = []
        if self.path.exists():
            self.lines = [ln for ln in self.path.read_text(encoding="utf-8").splitlines()
                          if ln.strip() and _epoch_of(ln) is not None
                          and _epoch_of(ln) <= trainer.epoch]
        from ..fileio import atomic_write_text

        atomic_write_text(self.path, "".join(ln + "\n" for ln in self.lines))

    def on_epoch_end(self, trainer, logs):
        from ..fileio import atomic_write_text

        self.lines.append(json.dumps(logs))
        atomic_write_text(self.path, "".join(ln + "\n" for ln in self.lines))


def _epoch_of(line: str) -> int | None:
    try:
        return int(json.loads(line)["epoch"])
    except (ValueError, KeyError, TypeError):
        return None


class TensorBoardLogger(Callback):
    """Scalars per epoch, the model graph once, weight histograms per epoch.

    TensorBoard's writer appends to its event file as it goes; so that a kill never leaves a
    half-written file in the run folder, it writes into a hidden staging folder beside
    ``log_dir`` and each epoch's end publishes the event files into ``log_dir`` by copy to a
    temporary file, fsync and rename (``fileio.atomic_write``).
    """

    order = 70

    def __init__(self, log_dir: str | os.PathLike, histograms: bool = True, graph: bool = True):
        self.log_dir, self.histograms, self.graph = str(log_dir), histograms, graph
        self.writer = None

    @property
    def staging_dir(self) -> Path:
        log_dir = Path(self.log_dir)
        return log_dir.with_name(f".{log_dir.name}-staging")

    def on_fit_begin(self, trainer):
        from torch.utils.tensorboard import SummaryWriter

        # A killed run's staging folder was published up to its last epoch: drop it, and any
        # temporary file a kill left mid-publish (its name contains "tfevents").
        shutil.rmtree(self.staging_dir, ignore_errors=True)
        for stale in Path(self.log_dir).glob(".*.tmp"):
            stale.unlink(missing_ok=True)
        self.writer = SummaryWriter(str(self.staging_dir), purge_step=trainer.epoch + 1
                                    if trainer.epoch else None)
        if self.graph and trainer.epoch == 0:
            import warnings

            try:
                from ..data.bundle import first_samples

                inputs, _ = first_samples(trainer.train_data)
                example = tuple(x.to(trainer.device) for x in inputs)
                was_training = trainer.raw_model.training
                with warnings.catch_warnings():  # tracer chatter is not the user's concern
                    warnings.simplefilter("ignore")
                    self.writer.add_graph(trainer.raw_model.eval(), example)
                trainer.raw_model.train(was_training)
            except Exception:  # tracing fails for some user models; the graph is a nicety
                pass

    def on_epoch_end(self, trainer, logs):
        step = logs["epoch"]
        for k, v in logs.items():
            if k != "epoch" and isinstance(v, (int, float)):
                group = "loss" if k.endswith("loss") else "metrics"
                self.writer.add_scalar(f"{group}/{k}", v, step)
        if self.histograms:
            for name, p in trainer.raw_model.named_parameters():
                self.writer.add_histogram(f"weights/{name}", p.detach().float().cpu(), step)
        self.writer.flush()
        self._publish()

    def on_fit_end(self, trainer):
        if self.writer is not None:
            self.writer.close()
            self._publish()
            shutil.rmtree(self.staging_dir, ignore_errors=True)

    def _publish(self) -> None:
        from ..fileio import atomic_write

        for src in self.staging_dir.iterdir():
            with open(src, "rb") as f:
                atomic_write(Path(self.log_dir) / src.name, lambda out: shutil.copyfileobj(f, out))


class GPUStats(Callback):
    """Per epoch on CUDA: GPU memory (PyTorch's and NVML's view) and utilisation into the logs
    (so TensorBoard and metrics.jsonl get them), and a warning before memory runs out."""

    order = 55

    def __init__(self, warn_fraction: float = 0.9, nvml=None):
        self.warn_fraction, self.nvml, self.warned = warn_fraction, nvml, False

    def on_fit_begin(self, trainer):
        if self.nvml is None and trainer.device.type == "cuda":
            try:
                from ..monitor.gpu import load_nvml

                self.nvml = load_nvml()
            except Exception:  # NVML missing: PyTorch's own counters still work
                self.nvml = None

    def on_epoch_end(self, trainer, logs):
        if trainer.device.type == "cuda":
            index = trainer.device.index or 0
            logs["gpu_max_allocated_mib"] = torch.cuda.max_memory_allocated(index) / 2**20
            torch.cuda.reset_peak_memory_stats(index)
        else:
            index = 0
        if self.nvml is None:
            return
        h = self.nvml.nvmlDeviceGetHandleByIndex(index)
        mem = self.nvml.nvmlDeviceGetMemoryInfo(h)
        logs["gpu_memory_used_mib"] = mem.used / 2**20
        logs["gpu_utilization_percent"] = float(self.nvml.nvmlDeviceGetUtilizationRates(h).gpu)
        if mem.used > self.warn_fraction * mem.total and not self.warned:
            import warnings

            self.warned = True
            warnings.warn(f"GPU {index} memory is {mem.used / mem.total:.0%} full "
                          f"({mem.used / 2**20:.0f} of {mem.total / 2**20:.0f} MiB). Lower "
                          f"--batch-size or use --precision bf16 before it runs out.")


class ModelCheckpoint(Callback):
    """Save ``last`` every epoch (or every N steps) and ``best`` when ``monitor`` improves."""

    order = 100

    def __init__(self, folder: str | os.PathLike, monitor: str = "val_loss",
                 every_n_steps: int = 0):
        self.folder = Path(folder)
        self.tracker = EarlyStopping(monitor, patience=10**9)
        self.every_n_steps = every_n_steps

    def on_train_batch_end(self, trainer, logs):
        if self.every_n_steps and trainer.global_step % self.every_n_steps == 0 \
                and trainer.batch_in_epoch < trainer.steps_per_epoch:
            trainer.save_checkpoint(self.folder / "last")

    def on_epoch_end(self, trainer, logs):
        value = logs.get(self.tracker.monitor)
        if value is not None and not math.isnan(value) and self.tracker.improved(value):
            self.tracker.best = value
            trainer.save_checkpoint(self.folder / "best", weights_only=True)
        trainer.save_checkpoint(self.folder / "last")

    def state_dict(self):
        return {"best": self.tracker.best}

    def load_state_dict(self, state):
        self.tracker.best = state.get("best")
