"""The training loop. Everything optional is a callback (see ``callbacks.py``).

Example:
    >>> bundle = load_data(DataConfig(dataset="digits"))                      # doctest: +SKIP
    >>> model = build_model(ModelConfig(name="mlp"), bundle.schema)          # doctest: +SKIP
    >>> history = Trainer(epochs=5, lr=1e-3).fit(model, bundle)              # doctest: +SKIP
    >>> history[-1]["val_accuracy"]                                          # doctest: +SKIP
    0.96
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..config import TrainConfig
from ..data.bundle import DataBundle, DatasetSplit, Schema, Split, first_samples, is_lazy
from ..data.loader import LoaderBatcher, choose_loader, iterate_split, make_batcher
from .callbacks import Callback, GradientClipping, LRScheduler, NonFiniteGuard
from .checkpoint import load_checkpoint, save_checkpoint
from .device import resolve_device, rng_state, seed_everything, set_rng_state
from .optim import build_optimizer

__all__ = ["Trainer", "loss_function", "predict", "predict_split"]


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


@torch.no_grad()
def predict(model: nn.Module, inputs: tuple[torch.Tensor, ...], batch_size: int = 4096,
            device: torch.device | None = None, to_cpu: bool = True) -> torch.Tensor:
    """Model outputs for ``inputs`` in eval mode, batched; on the CPU unless ``to_cpu=False``
    (the trainer's validation keeps them on the device: no round trip per batch)."""
    was_training = model.training
    model.eval()
    device = device or next(model.parameters()).device
    n = inputs[0].shape[0]
    outs = [model(*(x[i:i + batch_size].to(device) for x in inputs)).float()
            for i in range(0, n, batch_size)]
    if to_cpu:
        outs = [o.cpu() for o in outs]
    model.train(was_training)
    return torch.cat(outs) if outs else torch.empty(0)


@torch.no_grad()
def predict_split(model: nn.Module, split: Split | DatasetSplit, batch_size: int = 1024,
                  device: torch.device | None = None, workers: int | None = None,
                  to_cpu: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """(outputs, targets) over a whole split, tensors or lazy, in eval mode and in order."""
    device = device or next(model.parameters()).device
    return _predict_batches(model, iterate_split(split, batch_size, device, workers), to_cpu)


@torch.no_grad()
def _predict_batches(model: nn.Module, batches, to_cpu: bool) -> tuple[torch.Tensor, ...]:
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


class Trainer:
    """Fit a model on a ``DataBundle``.

    Args:
        config: a ``TrainConfig``; keyword arguments override its fields
            (``Trainer(epochs=5, lr=0.01)``).
        callbacks: extra callbacks; the scheduler, gradient clipping and the NaN/inf guard
            are added from the config.
    """

    def __init__(self, config: TrainConfig | None = None,
                 callbacks: list[Callback] | None = None, **overrides: Any):
        self.config = dataclasses.replace(config or TrainConfig(), **overrides)
        self.callbacks = list(callbacks or [])

    def validate(self, model: nn.Module, data: DataBundle) -> None:
        """Raise the user error ``fit`` would raise, without training — a bad optimizer name,
        precision, or a model whose forward pass does not fit the data — so it is reported
        before a run folder is created. The dry forward runs in train mode on the smallest
        training batch (two samples; one if the batch size is 1: BatchNorm refuses it), then in
        eval mode; the model's buffers (BatchNorm's running statistics) are left as they were."""
        from ..errors import ConfigError
        from .distributed import rank_and_world

        self.device = resolve_device(self.config.device)
        world = rank_and_world()[1]
        self._check_global_batch(world)
        loss_fn = loss_function(self.config.loss, data.schema)
        build_optimizer(model.parameters(), self.config)
        self._precision()
        choose_loader(data.train, self.config.loader, self.device)  # lazy + memory: an error
        sample, target = first_samples(data.train)
        smallest = min(2, self.config.batch_size // world)          # batches of 1 stay 1
        buffers = [b.detach().clone() for b in model.buffers()]
        was_training = model.training
        try:
            with torch.no_grad():
                model.train()(*(x[:smallest] for x in sample))
                out = model.eval()(*sample)
                loss_fn(out.float(), target)
        except Exception as e:
            shapes = ", ".join(str(tuple(x.shape)) for x in sample)
            raise ConfigError(f"The model {type(model).__name__} cannot process this data: "
                              f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''} "
                              f"(inputs of shape {shapes}; expected output (batch, "
                              f"{data.schema.n_outputs})).") from None
        finally:
            model.train(was_training)
            with torch.no_grad():
                for buf, saved in zip(model.buffers(), buffers):
                    buf.copy_(saved)

    # ------------------------------------------------------------------ the loop

    def fit(self, model: nn.Module, data: DataBundle,
            resume: str | os.PathLike | None = None) -> list[dict]:
        """Train ``model``; returns the history (one dict of logs per epoch).
        With ``resume`` (a checkpoint folder), continue exactly where it stopped."""
        from .distributed import all_reduce_sum, rank_and_world

        cfg = self.config
        self.rank, self.world_size = rank_and_world()
        # Ranks agree on the data order (the batcher's seed) but not on dropout/augmentation.
        seed_everything(cfg.seed + self.rank, cfg.deterministic)
        self.device = resolve_device(cfg.device)
        if self.device.type == "cuda" and self.world_size > 1:
            self.device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        self.schema = data.schema
        self.raw_model = model.to(self.device)
        self.model = self._maybe_compile(self.raw_model)
        if self.world_size > 1:
            from torch.nn.parallel import DistributedDataParallel

            self.model = DistributedDataParallel(
                self.model, device_ids=[self.device.index] if self.device.type == "cuda" else None)
        self._check_global_batch(self.world_size)
        # Data that fits on the device moves there once and batches are index slices there;
        # a lazy dataset, or tensors too large for the device, go through a DataLoader.
        self.loader = choose_loader(data.train, cfg.loader, self.device)
        on_device = self.loader == "memory"
        self.train_data: Split | DatasetSplit = data.train.to(self.device) if on_device \
            else data.train
        self.val_data: Split | DatasetSplit = data.val.to(self.device) if on_device \
            else data.val
        self.batcher = make_batcher(self.train_data, cfg.batch_size // self.world_size,
                                    loader=self.loader, device=self.device, workers=cfg.workers,
                                    shuffle=cfg.shuffle, drop_last=cfg.drop_last, seed=cfg.seed,
                                    rank=self.rank, world_size=self.world_size)
        self._eval_batchers: dict[int, LoaderBatcher] = {}
        self.augment = data.augment
        self.loss_fn = loss_function(cfg.loss, data.schema)
        self.optimizer = build_optimizer(self.raw_model.parameters(), cfg)
        self.autocast, self.scaler = self._precision()
        self.steps_per_epoch = len(self.batcher)
        self.epoch = self.global_step = self.batch_in_epoch = 0
        self.history: list[dict] = []
        self.stop_training = False
        # The epoch's summed training loss, kept on the device (read once per epoch; the NaN
        # guard reads it every few steps on accelerators).
        self.loss_sum = torch.zeros((), device=self.device)
        self._seen = 0
        self.elapsed = 0.0

        self._all_callbacks = sorted(self._builtin_callbacks() + self.callbacks,
                                     key=lambda c: c.order)
        # Per hook, only the callbacks that override it: the per-step hooks stay cheap.
        self._hooks = {hook: [getattr(cb, hook) for cb in self._all_callbacks
                              if getattr(type(cb), hook) is not getattr(Callback, hook)]
                       for hook in ("on_fit_begin", "on_epoch_begin", "on_before_optimizer_step",
                                    "on_train_batch_end", "on_epoch_end", "on_fit_end")}
        if resume is not None:
            self._restore(resume)  # before on_fit_begin: loggers trim to the resumed epoch
        self._call("on_fit_begin")
        if resume is not None:
            self._restore_callbacks()

        t0 = time.perf_counter() - self.elapsed
        while self.epoch < cfg.epochs and not self.stop_training:
            self._call("on_epoch_begin")
            self.model.train()
            for batch in self.batcher.batches(self.epoch, start=self.batch_in_epoch):
                *xs, y = batch                                   # xs: (B, ...), y: (B,) or (B, H)
                if self.augment is not None:
                    xs = self.augment(tuple(xs))
                loss = self.train_step(xs, y)
                self.loss_sum.add_(loss, alpha=y.shape[0])       # stays on device: no sync
                self._seen += y.shape[0]
                self.batch_in_epoch += 1
                self.global_step += 1
                self._call("on_train_batch_end", {"loss": loss, "step": self.global_step})
            loss_sum, seen = self.loss_sum.item(), float(self._seen)
            if self.world_size > 1:  # every rank's share of the epoch: reduce the sums
                totals = all_reduce_sum(torch.tensor([loss_sum, seen], device=self.device))
                loss_sum, seen = float(totals[0]), float(totals[1])
            logs = {"epoch": self.epoch + 1,
                    "train_loss": loss_sum / max(1.0, seen),
                    **self.evaluate(self.val_data, prefix="val_"),
                    "lr": self.optimizer.param_groups[0]["lr"]}
            self.epoch += 1
            self.batch_in_epoch = 0
            self.loss_sum.zero_()
            self._seen = 0
            self.elapsed = time.perf_counter() - t0
            logs["time"] = round(self.elapsed, 4)
            self.history.append(logs)
            self._call("on_epoch_end", logs)
        self._call("on_fit_end")
        return self.history

    def train_step(self, xs: tuple[torch.Tensor, ...], y: torch.Tensor) -> torch.Tensor:
        """One optimisation step; returns the (detached) loss."""
        with self.autocast():
            out = self.model(*xs)                                # (B, n_outputs)
            loss = self.loss_fn(out.float(), y)
        self.optimizer.zero_grad(set_to_none=True)
        if self.scaler is not None:                              # fp16: scale against underflow
            self.scaler.scale(loss).backward()
            self._call("on_before_optimizer_step")
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            loss.backward()
            self._call("on_before_optimizer_step")
            self.optimizer.step()
        return loss.detach()

    @torch.no_grad()
    def evaluate(self, split: Split, prefix: str = "") -> dict[str, float]:
        """Loss and the main metric on a split (accuracy for classes, MAE for values)."""
        if len(split) == 0:
            return {}
        if is_lazy(split):   # one in-order DataLoader per split, its workers kept for reuse
            batcher = self._eval_batchers.get(id(split))
            if batcher is None:
                batcher = self._eval_batchers[id(split)] = LoaderBatcher(
                    split, 1024, shuffle=False, workers=self.config.workers, device=self.device)
            with self.autocast():   # the training precision: what the model will run at
                out, target = _predict_batches(self.model, batcher.batches(0), to_cpu=False)
        else:
            with self.autocast():
                out = predict(self.model, split.inputs, device=self.device, to_cpu=False)
            target = split.target.to(self.device)
        logs = {f"{prefix}loss": float(self.loss_fn(out, target))}
        if self.schema.is_classification:
            logs[f"{prefix}accuracy"] = float((out.argmax(1) == target).float().mean())
        else:
            logs[f"{prefix}mae"] = float((out - target).abs().mean())
        return logs

    # ------------------------------------------------------------------ helpers

    def _check_global_batch(self, world_size: int) -> None:
        if self.config.batch_size % world_size:
            from ..errors import ConfigError

            raise ConfigError(f"train.batch_size {self.config.batch_size} is the global batch "
                              f"and must divide evenly among {world_size} processes; use a "
                              f"multiple of {world_size}.")

    def _builtin_callbacks(self) -> list[Callback]:
        cbs: list[Callback] = [NonFiniteGuard()]
        if self.config.scheduler != "none":
            cbs.append(LRScheduler(self.config.monitor))
        if self.config.grad_clip:
            cbs.append(GradientClipping(self.config.grad_clip))
        return cbs

    def _call(self, hook: str, *args: Any) -> None:
        for fn in self._hooks[hook]:
            fn(self, *args)

    def _precision(self):
        p = self.config.precision
        if p == "32":
            return contextlib.nullcontext, None
        dtype = torch.bfloat16 if p == "bf16" else torch.float16
        if self.device.type == "cpu" and p == "fp16":
            from ..errors import ConfigError

            raise ConfigError("--precision fp16 needs a CUDA GPU. Use bf16 on the CPU, or 32.")
        scaler = torch.amp.GradScaler("cuda") if p == "fp16" else None
        return (lambda: torch.autocast(self.device.type, dtype=dtype)), scaler

    def _maybe_compile(self, model: nn.Module) -> nn.Module:
        if not self.config.compile:
            return model
        loops = [m for m in model.modules() if hasattr(m, "compile_recurrence")]
        if loops:   # our LSTM: compile its time loops, which is what helps (see models/lstm.py)
            for m in loops:
                m.compile_recurrence = True
            return model
        try:
            return torch.compile(model)
        except Exception as e:  # compile is an optimisation: never a reason to fail
            import warnings

            warnings.warn(f"torch.compile is not available here ({e}); training uncompiled.")
            return model

    # ------------------------------------------------------------------ checkpoints

    def state_dict(self) -> dict:
        """Everything needed to continue exactly: optimizer, counters, RNG, callbacks."""
        return {
            "optimizer": self.optimizer.state_dict(),
            "scaler": self.scaler.state_dict() if self.scaler is not None else None,
            "epoch": self.epoch, "global_step": self.global_step,
            "batch_in_epoch": self.batch_in_epoch,
            "loss_sum": self.loss_sum.detach().cpu(), "seen": self._seen,
            "elapsed": self.elapsed, "history": self.history, "rng": rng_state(),
            "callbacks": {f"{type(cb).__name__}_{i}": cb.state_dict()
                          for i, cb in enumerate(self._all_callbacks)},
            "config": dataclasses.asdict(self.config),
        }

    def save_checkpoint(self, folder: str | os.PathLike, weights_only: bool = False) -> Path:
        import errno

        meta = {"epoch": self.epoch, "global_step": self.global_step}
        try:
            return save_checkpoint(folder, self.raw_model.state_dict(),
                                   None if weights_only else self.state_dict(), meta)
        except OSError as e:
            if e.errno not in (errno.ENOSPC, errno.EDQUOT):
                raise
            from ..errors import CheckpointError

            raise CheckpointError(f"No space left on the device while writing checkpoint "
                                  f"'{folder}' (step {self.global_step}); the previous "
                                  f"checkpoint is intact. Free some space, then continue with "
                                  f"--resume.") from None

    def _restore(self, folder: str | os.PathLike) -> None:
        weights, state = load_checkpoint(folder)
        self.raw_model.load_state_dict(weights)
        self.epoch, self.global_step = state["epoch"], state["global_step"]
        self.batch_in_epoch = state["batch_in_epoch"]
        self.loss_sum = state["loss_sum"].to(self.device)
        self._seen, self.elapsed = state["seen"], state["elapsed"]
        self.history = state["history"]
        self._pending_state = state

    def _restore_callbacks(self) -> None:
        state = self._pending_state
        # After on_fit_begin: building a scheduler steps it once and would overwrite the LR.
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scaler is not None and state.get("scaler"):
            self.scaler.load_state_dict(state["scaler"])
        for i, cb in enumerate(self._all_callbacks):
            cb.load_state_dict(state["callbacks"].get(f"{type(cb).__name__}_{i}", {}))
        set_rng_state(state["rng"])  # last: nothing after this may draw random numbers
        del self._pending_state
