"""The training loop. Everything optional is a callback (see ``callbacks.py``).

Example:
    >>> import torch
    >>> from hakseup.data.bundle import DataBundle, Schema, Split
    >>> x, y = torch.randn(64, 3), torch.randint(0, 2, (64,))
    >>> split = Split((x,), y)
    >>> bundle = DataBundle(split, split, split, Schema("binary", "table", (3,), 2), None)
    >>> history = Trainer(epochs=2, verbosity="quiet").fit(torch.nn.Linear(3, 2), bundle)
    >>> len(history), sorted(history[-1])[:3]
    (2, ['epoch', 'lr', 'time'])
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time
from pathlib import Path
from typing import Any, cast

import torch
from torch import nn

from ..config import TrainConfig, generic_train
from ..data.bundle import DataBundle, DatasetSplit, Split, first_samples, is_lazy
from ..data.loader import LoaderBatcher, choose_loader, make_batcher
from ..errors import ConfigError, Interrupted
from ..i18n import t
from ..models.forward import predict, predict_batches, predict_split
from .callbacks import Callback, GradientClipping, LRScheduler, NonFiniteGuard
from .checkpoint import load_checkpoint, save_checkpoint
from .device import resolve_device, rng_state, seed_everything, set_rng_state
from .history import History
from .losses import loss_function, training_loss
from .optim import build_optimizer, concrete
from .progress import progress_callbacks

__all__ = ["Trainer", "TrainState", "loss_function", "predict", "predict_split"]

HOOKS = (
    "on_fit_begin",
    "on_epoch_begin",
    "on_before_optimizer_step",
    "on_train_batch_end",
    "on_epoch_end",
    "on_fit_end",
)


@dataclasses.dataclass
class TrainState:
    """Where training stands — what callbacks read (and ``stop_training``, what they set)."""

    epoch: int = 0  # epochs finished
    global_step: int = 0  # optimizer steps taken
    batch_in_epoch: int = 0  # batches of the current epoch done
    steps_per_epoch: int = 0
    epochs: int = 0  # epochs planned
    stop_training: bool = False  # set by a callback: stop (checkpointed, so resume agrees)
    device: torch.device = dataclasses.field(default_factory=lambda: torch.device("cpu"))


def _checked_config(config: Any, overrides: dict[str, Any]) -> TrainConfig:
    """``Trainer(config, **overrides)``'s config: a ``TrainConfig`` (or ``None``) whose values
    pass a YAML file's checks, overrides naming its fields; else one line, never a
    ``TypeError`` from ``dataclasses.replace``."""
    from ..config.api import check_section
    from ..errors import closest

    config = config if config is not None else TrainConfig()
    check_section(config, "train", "hakseup.Trainer", "config")
    names = [f.name for f in dataclasses.fields(TrainConfig)]
    for key in overrides:
        if key not in names:
            near = closest(key, names, n=3)
            raise ConfigError(
                t(
                    "error.api.unknown_override",
                    function="hakseup.Trainer",
                    name=key,
                    near=", ".join(near) or "-",
                )
            )
    config = dataclasses.replace(config, **overrides)
    check_section(config, "train", "hakseup.Trainer", "config")
    return config


def _check_fit_arguments(model: Any, data: Any, resume: Any, callbacks: Any) -> None:
    from ..errors import check_type
    from .callbacks import check_callbacks

    check_type(model, nn.Module, "Trainer.fit", "model", "a torch.nn.Module")
    check_type(data, DataBundle, "Trainer.fit", "data", "a hakseup.DataBundle (load_data)")
    check_type(
        resume,
        (str, os.PathLike, type(None)),
        "Trainer.fit",
        "resume",
        "a checkpoint folder's path",
    )
    check_callbacks(callbacks, "Trainer.fit")


class Trainer:
    """Fit a model on a ``DataBundle``.

    Args:
        config: a ``TrainConfig``; keyword arguments override its fields
            (``Trainer(epochs=5, lr=0.01)``).
        callbacks: extra callbacks; the scheduler, gradient clipping and the NaN/inf guard
            are added from the config. ``fit(callbacks=...)`` adds more for one fit.
    """

    def __init__(
        self,
        config: TrainConfig | None = None,
        callbacks: list[Callback] | None = None,
        **overrides: Any,
    ):
        # Unresolved (no Experiment, no data): ``auto`` values are the generic ones.
        self.config = generic_train(_checked_config(config, overrides))
        from .callbacks import check_callbacks

        check_callbacks(callbacks, "hakseup.Trainer")
        self.callbacks = list(callbacks or [])
        self._ready: tuple[int, int] | None = None  # (id(model), id(data)) set up for

    # ------------------------------------------------------------------ set-up

    def setup(self, model: nn.Module, data: DataBundle) -> None:
        """Place the model, choose the batches, build loss, optimizer and precision — once
        per (model, data); ``validate`` and ``fit`` share it."""
        from .distributed import rank_and_world

        if self._ready == (id(model), id(data)):
            return
        cfg = self.config
        self.rank, self.world_size = rank_and_world()
        self._check_global_batch()
        device = resolve_device(cfg.device)
        if device.type == "cuda" and self.world_size > 1:
            device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        self.schema = data.schema
        # val_mae in the target's units, as the final test MAE is: the model's outputs are
        # scaled; where the map back is a plain factor (preprocessors' ``mae_scale``).
        scale = getattr(getattr(data, "preprocessor", None), "mae_scale", None)
        self._mae_scale = (scale() if callable(scale) else None) or 1.0
        self.loss_fn = training_loss(cfg, data, device)
        self.state = TrainState(epochs=concrete(cfg.epochs, "epochs"), device=device)
        self.autocast, self.scaler = self._precision(device)
        # Data that fits on the device moves there once and batches are index slices there;
        # a lazy dataset, or tensors too large for the device, go through a DataLoader.
        self.loader = choose_loader(data.train, cfg.loader, device)
        on_device = self.loader == "memory"
        self.train_data: Split | DatasetSplit = data.train.to(device) if on_device else data.train
        self.val_data: Split | DatasetSplit = data.val.to(device) if on_device else data.val
        batch_size = concrete(cfg.batch_size, "batch_size")
        self.batcher = make_batcher(
            self.train_data,
            batch_size // self.world_size,
            loader=self.loader,
            device=device,
            workers=cfg.workers,
            shuffle=cfg.shuffle,
            drop_last=cfg.drop_last,
            seed=cfg.seed,
            rank=self.rank,
            world_size=self.world_size,
        )
        self.state.steps_per_epoch = len(self.batcher)
        self._eval_batchers: dict[int, LoaderBatcher] = {}
        self.augment = data.augment
        getattr(model, "fit_features", lambda split: None)(data.train)  # rocket: its biases
        self.model = model.to(device)
        self.optimizer = build_optimizer(self.model.parameters(), cfg)
        self._forward = self._wrap(self.model)  # compiled and/or DDP: what the step calls
        self.history = History()
        self._ready = (id(model), id(data))

    def validate(self, model: nn.Module, data: DataBundle) -> None:
        """Raise the user error ``fit`` would raise, without training — a bad optimizer name,
        precision, monitor, or a model whose forward pass does not fit the data — so it is
        reported before a run folder is created. The dry forward runs in train mode on the
        smallest training batch (two samples; one if the batch size is 1: BatchNorm refuses
        it), then in eval mode; the model's buffers (BatchNorm's running statistics) are left
        as they were."""
        self.setup(model, data)
        self._check_monitor(data)
        sample, target = first_samples(self.train_data)
        batch_size = concrete(self.config.batch_size, "batch_size")
        smallest = min(2, batch_size // self.world_size)  # batches of 1 stay 1
        buffers = [b.detach().clone() for b in model.buffers()]
        was_training = model.training
        try:
            with torch.no_grad():
                model.train()(*(x[:smallest] for x in sample))
                out = model.eval()(*sample)
                self.loss_fn(out.float(), target)
        except Exception as e:
            shapes = ", ".join(str(tuple(x.shape)) for x in sample)
            raise ConfigError(
                t(
                    "error.training.trainer.model_cannot_process",
                    kind=type(model).__name__,
                    kind2=type(e).__name__,
                    value=str(e).splitlines()[0] if str(e) else "",
                    shapes=shapes,
                    n_outputs=data.schema.n_outputs,
                )
            ) from None
        finally:
            model.train(was_training)
            with torch.no_grad():
                for buf, saved in zip(model.buffers(), buffers):
                    buf.copy_(saved)

    def logged_keys(self, data: DataBundle) -> list[str]:
        """The metrics each epoch's logs hold (what ``train.monitor`` may name)."""
        main = "accuracy" if data.schema.is_classification else "mae"
        return ["train_loss"] + (["val_loss", f"val_{main}"] if len(data.val) else [])

    # ------------------------------------------------------------------ the loop

    def fit(
        self,
        model: nn.Module,
        data: DataBundle,
        resume: str | os.PathLike | None = None,
        callbacks: list[Callback] | None = None,
    ) -> History:
        """Train ``model`` (``resume``: from a checkpoint folder, exactly); the history."""
        _check_fit_arguments(model, data, resume, callbacks)
        self.setup(model, data)
        cfg, s = self.config, self.state
        # Ranks agree on the data order (the batcher's seed) but not on dropout/augmentation.
        seed_everything(cfg.seed + self.rank, cfg.deterministic)
        # The epoch's summed training loss stays on the device (read once per epoch; the NaN
        # guard reads it every few steps on accelerators).
        self._loss_sum = torch.zeros((), device=s.device)
        self._seen, self.elapsed = 0, 0.0
        self._fit_callbacks = list(callbacks or [])
        self._callbacks = sorted(
            self._builtin_callbacks() + self.callbacks + self._fit_callbacks, key=lambda c: c.order
        )
        # Per hook, only the callbacks that override it: the per-step hooks stay cheap.
        self._hooks = {
            hook: [
                getattr(cb, hook)
                for cb in self._callbacks
                if getattr(type(cb), hook) is not getattr(Callback, hook)
            ]
            for hook in HOOKS
        }
        pending = self._restore(resume) if resume is not None else None
        self._call("on_fit_begin")  # after the weights: loggers trim to the epoch
        if pending is not None:
            self._restore_callbacks(pending)

        t0 = time.perf_counter() - self.elapsed
        epochs = concrete(cfg.epochs, "epochs")
        while s.epoch < epochs and not s.stop_training:
            self._call("on_epoch_begin")
            self._forward.train()
            for batch in self.batcher.batches(s.epoch, start=s.batch_in_epoch):
                *inputs, y = batch  # inputs: (B, ...), y: (B,) or (B, H)
                xs = tuple(inputs)
                if self.augment is not None:
                    xs = self.augment(xs)
                loss = self.train_step(xs, y)
                self._loss_sum.add_(loss, alpha=y.shape[0])  # stays on device: no sync
                self._seen += y.shape[0]
                s.batch_in_epoch += 1
                s.global_step += 1
                self._call(
                    "on_train_batch_end",
                    {"loss": loss, "step": s.global_step, "loss_sum": self._loss_sum},
                )
                Interrupted.check()  # a SIGTERM whose exception garbage collection dropped
                if s.stop_training:  # e.g. the LR sweep is done
                    break
            if s.stop_training and s.batch_in_epoch < s.steps_per_epoch:
                break  # stopped mid-epoch
            logs = self._end_epoch(t0)
            self._call("on_epoch_end", logs)
        self._call("on_fit_end")
        return self.history

    def train_step(self, xs: tuple[torch.Tensor, ...], y: torch.Tensor) -> torch.Tensor:
        """One optimisation step; returns the (detached) loss."""
        with self.autocast():
            out = self._forward(*xs)  # (B, n_outputs)
            loss = self.loss_fn(out.float(), y)
        self.optimizer.zero_grad(set_to_none=True)
        if self.scaler is not None:  # fp16: scale against underflow
            self.scaler.scale(loss).backward()
            self._call("on_before_optimizer_step")
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            loss.backward()
            self._call("on_before_optimizer_step")
            self.optimizer.step()
        return loss.detach()

    def _end_epoch(self, t0: float) -> dict:
        """The epoch's logs: mean training loss (over every rank), validation, learning rate."""
        from .distributed import all_reduce_sum

        s = self.state
        loss_sum, seen = self._loss_sum.item(), float(self._seen)
        if self.world_size > 1:  # every rank's share of the epoch: reduce the sums
            totals = all_reduce_sum(torch.tensor([loss_sum, seen], device=s.device))
            loss_sum, seen = float(totals[0]), float(totals[1])
        logs = {
            "epoch": s.epoch + 1,
            "train_loss": loss_sum / max(1.0, seen),
            **self.evaluate(self.val_data, prefix="val_"),
            "lr": self.optimizer.param_groups[0]["lr"],
        }
        s.epoch += 1
        s.batch_in_epoch = 0
        self._loss_sum.zero_()
        self._seen = 0
        self.elapsed = time.perf_counter() - t0
        logs["time"] = round(self.elapsed, 4)
        self.history.append(logs)
        return logs

    @torch.no_grad()
    def evaluate(self, split: Split | DatasetSplit, prefix: str = "") -> dict[str, float]:
        """Loss and the main metric on a split (accuracy for classes, MAE for values: in the
        target's units where the data's scaling is a plain factor, see ``_prepare``)."""
        if len(split) == 0:
            return {}
        device = self.state.device
        if is_lazy(split):  # one in-order DataLoader per split, its workers kept for reuse
            batcher = self._eval_batchers.get(id(split))
            if batcher is None:
                batcher = self._eval_batchers[id(split)] = LoaderBatcher(
                    split, 1024, shuffle=False, workers=self.config.workers, device=device
                )
            with self.autocast():  # the training precision: what the model will run at
                out, target = predict_batches(self._forward, batcher.batches(0), to_cpu=False)
        else:
            split = split.to(device)
            with self.autocast():
                out = predict(self._forward, split.inputs, device=device, to_cpu=False)
            target = split.target
        logs = {f"{prefix}loss": float(self.loss_fn(out, target))}
        if self.schema.is_classification:
            logs[f"{prefix}accuracy"] = float((out.argmax(1) == target).float().mean())
        else:
            logs[f"{prefix}mae"] = float((out - target).abs().mean()) * getattr(
                self, "_mae_scale", 1.0
            )
        return logs

    def example_inputs(self) -> tuple[torch.Tensor, ...]:
        """Two training samples' inputs on the training device."""
        inputs, _ = first_samples(self.train_data)
        return tuple(x.to(self.state.device) for x in inputs)

    # ------------------------------------------------------------------ helpers

    @property
    def stop_training(self) -> bool:  # Keras' name for the flag
        return self.state.stop_training

    @stop_training.setter
    def stop_training(self, value: bool) -> None:
        self.state.stop_training = value

    @property
    def device(self) -> torch.device:
        return self.state.device

    def _check_global_batch(self) -> None:
        if self.config.batch_size % self.world_size:
            raise ConfigError(
                t(
                    "error.training.trainer.train_batch_size",
                    batch_size=self.config.batch_size,
                    world_size=self.world_size,
                )
            )

    def _check_monitor(self, data: DataBundle) -> None:
        from ..errors import unknown_choice

        keys = self.logged_keys(data)
        monitor = self.config.monitor
        if monitor not in keys and not (monitor.startswith("val_") and len(data.val) == 0):
            raise ConfigError(
                unknown_choice("train.monitor", monitor, keys) + t("error.monitor_logged")
            )

    def _builtin_callbacks(self) -> list[Callback]:
        cbs: list[Callback] = [NonFiniteGuard()]
        if self.config.scheduler != "none":
            cbs.append(LRScheduler(self.config.monitor))
        grad_clip = concrete(self.config.grad_clip, "grad_clip")
        if grad_clip:
            cbs.append(GradientClipping(grad_clip))
        extra = self.callbacks + self._fit_callbacks
        return cbs + progress_callbacks(self.config, self.rank, extra)

    def _call(self, hook: str, *args: Any) -> None:
        for fn in self._hooks[hook]:
            fn(self, *args)

    def _precision(self, device: torch.device):
        p = self.config.precision
        if p == "32":
            return contextlib.nullcontext, None
        dtype = torch.bfloat16 if p == "bf16" else torch.float16
        if device.type == "cpu" and p == "fp16":
            raise ConfigError(t("error.training.trainer.precision_needs_cuda"))
        scaler = torch.amp.GradScaler("cuda") if p == "fp16" else None
        return (lambda: torch.autocast(device.type, dtype=dtype)), scaler

    def _wrap(self, model: nn.Module) -> nn.Module:
        """The module the step calls: compiled when asked, in DDP when distributed."""
        forward = self._maybe_compile(model)
        if self.world_size > 1:
            from torch.nn.parallel import DistributedDataParallel

            device = self.state.device
            forward = DistributedDataParallel(
                forward, device_ids=[device.index] if device.type == "cuda" else None
            )
        return forward

    def _maybe_compile(self, model: nn.Module) -> nn.Module:
        if not self.config.compile:
            return model
        loops = [m for m in model.modules() if hasattr(m, "compile_recurrence")]
        if loops:  # our LSTM: compile its time loops, which is what helps (see models/lstm.py)
            for m in loops:
                # setattr: nn.Module types a set attribute as Tensor | Module; this flag is a bool
                setattr(m, "compile_recurrence", True)  # noqa: B010
            return model
        try:
            # A Module compiles to an OptimizedModule (a Module); the stubs say a callable.
            return cast(nn.Module, torch.compile(model))
        except Exception as e:  # compile is an optimisation: never a reason to fail
            import warnings

            warnings.warn(t("warn.training.trainer.torch_compile_available", e=e))
            return model

    # ------------------------------------------------------------------ checkpoints

    def state_dict(self) -> dict:
        """Everything needed to continue exactly: optimizer, counters, RNG, callbacks."""
        s = self.state
        return {
            "optimizer": self.optimizer.state_dict(),
            "scaler": self.scaler.state_dict() if self.scaler is not None else None,
            "epoch": s.epoch,
            "global_step": s.global_step,
            "batch_in_epoch": s.batch_in_epoch,
            "stop_training": s.stop_training,
            "loss_sum": self._loss_sum.detach().cpu(),
            "seen": self._seen,
            "elapsed": self.elapsed,
            "history": list(self.history),
            "rng": rng_state(),
            "callbacks": {
                f"{type(cb).__name__}_{i}": cb.state_dict() for i, cb in enumerate(self._callbacks)
            },
            "config": dataclasses.asdict(self.config),
        }

    def save_checkpoint(self, folder: str | os.PathLike, weights_only: bool = False) -> Path:
        from ..errors import CheckpointError, describe_os_error

        s = self.state
        meta = {"epoch": s.epoch, "global_step": s.global_step}
        try:
            return save_checkpoint(
                folder, self.model.state_dict(), None if weights_only else self.state_dict(), meta
            )
        except Exception as e:  # OSError, or safetensors' own error for the same cause
            line = describe_os_error(e)
            if line is None:
                raise
            raise CheckpointError(
                t(
                    "error.training.trainer.while_writing_checkpoint",
                    line=line.rstrip("."),
                    folder=folder,
                    global_step=s.global_step,
                )
            ) from None

    def _restore(self, folder: str | os.PathLike) -> dict:
        """Load weights and counters; a checkpoint that does not fit this model or optimizer
        (valid files, wrong shapes) falls back to the previous one."""

        def fits(weights: dict, state: dict) -> None:
            self.model.load_state_dict(weights)  # raises on a shape mismatch
            self.optimizer.load_state_dict(state["optimizer"])

        _, state = load_checkpoint(folder, check=fits)
        s = self.state
        s.epoch, s.global_step = state["epoch"], state["global_step"]
        s.batch_in_epoch = state["batch_in_epoch"]
        s.stop_training = bool(state.get("stop_training", False))
        self._loss_sum = state["loss_sum"].to(s.device)
        self._seen, self.elapsed = state["seen"], state["elapsed"]
        self.history = History(state["history"])
        return state

    def _restore_callbacks(self, state: dict) -> None:
        # After on_fit_begin: building a scheduler steps it once and would overwrite the LR.
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scaler is not None and state.get("scaler"):
            self.scaler.load_state_dict(state["scaler"])
        for i, cb in enumerate(self._callbacks):
            cb.load_state_dict(state["callbacks"].get(f"{type(cb).__name__}_{i}", {}))
        set_rng_state(state["rng"])  # last: nothing after this may draw random numbers
