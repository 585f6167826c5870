"""Optimisers (any ``torch.optim`` class by name) and learning-rate schedules.

Example:
    >>> opt = build_optimizer(model.parameters(),
    ...                       TrainConfig(optimizer="sgd", lr=0.1))       # doctest: +SKIP
"""

from __future__ import annotations

import inspect
import math
from typing import TypeVar

import torch

from ..config import TrainConfig
from ..config.rules import UNSUPPORTED_OPTIMIZERS, optimizer_names
from ..config.values import Auto
from ..errors import ConfigError, unknown_choice
from ..i18n import t

__all__ = [
    "optimizer_names",
    "build_optimizer",
    "build_scheduler",
    "concrete",
    "PER_STEP_SCHEDULERS",
]

T = TypeVar("T")

# Schedules stepped after every batch (the rest once per epoch).
PER_STEP_SCHEDULERS = {"onecycle", "warmup"}


def build_optimizer(params, cfg: TrainConfig) -> torch.optim.Optimizer:
    params = [p for p in params if p.requires_grad]
    if not params:
        raise ConfigError(t("error.training.optim.model_trainable_parameters"))
    classes = optimizer_names()
    cls = classes.get(cfg.optimizer.lower())
    if cls is None:
        raise ConfigError(unknown_choice("optimizer", cfg.optimizer, classes))
    if cfg.optimizer.lower() in UNSUPPORTED_OPTIMIZERS:  # a TrainConfig built in code
        raise ConfigError(
            t(
                "error.training.optim.optimizer_supported",
                optimizer=cfg.optimizer,
                unsupported_optimizers=t(f"unsupported_optimizer.{cfg.optimizer.lower()}"),
            )
        )
    accepted = inspect.signature(cls).parameters  # the constructor's, without self
    kwargs = {"lr": cfg.lr}
    if cfg.weight_decay and "weight_decay" in accepted:
        kwargs["weight_decay"] = cfg.weight_decay
    if cfg.momentum is not None:
        if "momentum" not in accepted:
            raise ConfigError(
                t("error.training.optim.optimizer_momentum_remove", optimizer=cfg.optimizer)
            )
        kwargs["momentum"] = cfg.momentum
    if "fused" in accepted and _fusable(params):
        # One kernel for the whole update instead of ~10 per parameter tensor: on small models
        # the optimizer's per-tensor dispatch otherwise costs as much as the forward pass.
        try:
            return cls(params, **kwargs, fused=True)
        except (RuntimeError, ValueError):
            pass  # this build or device has no fused kernel
    try:
        return cls(params, **kwargs)
    except ValueError as e:
        raise ConfigError(
            t("error.training.optim.optimizer_rejected_settings", optimizer=cfg.optimizer, e=e)
        ) from None


def concrete(value: T | Auto, key: str) -> T:
    """``value`` of the train key ``key`` once ``auto`` is replaced: a Trainer's config went
    through ``generic_train`` (or an Experiment's ``resolve``), so an ``auto`` here is a bug
    in hakseup, not a user error.

    >>> concrete(30, "epochs")
    30
    """
    if isinstance(value, str) and value == "auto":  # the literal: narrows Auto away
        raise AssertionError(f"train.{key} is still auto: resolve the config first")
    return value


def _fusable(params: list[torch.Tensor]) -> bool:
    devices = {p.device.type for p in params}
    return (
        len(devices) == 1
        and devices <= {"cpu", "cuda"}
        and all(
            p.dtype in (torch.float16, torch.bfloat16, torch.float32, torch.float64) for p in params
        )
    )


def build_scheduler(optimizer: torch.optim.Optimizer, cfg: TrainConfig, steps_per_epoch: int):
    """The configured schedule, or None. ``warmup`` rises linearly for ``warmup_epochs`` and
    then follows a cosine decay to zero (a LambdaLR)."""
    s = torch.optim.lr_scheduler
    name = cfg.scheduler
    epochs = concrete(cfg.epochs, "epochs")
    total_steps = max(1, epochs * steps_per_epoch)
    if name == "none":
        return None
    if name == "step":
        return s.StepLR(optimizer, step_size=cfg.step_size, gamma=cfg.gamma)
    if name == "multistep":
        milestones = cfg.milestones or [max(1, epochs // 2), max(1, 3 * epochs // 4)]
        return s.MultiStepLR(optimizer, milestones=milestones, gamma=cfg.gamma)
    if name == "exponential":
        return s.ExponentialLR(optimizer, gamma=cfg.gamma if cfg.gamma < 1 else 0.95)
    if name == "cosine":
        return s.CosineAnnealingLR(optimizer, T_max=epochs)
    if name == "onecycle":
        return s.OneCycleLR(optimizer, max_lr=concrete(cfg.lr, "lr"), total_steps=total_steps)
    if name == "plateau":
        return s.ReduceLROnPlateau(
            optimizer, mode="min", factor=cfg.gamma, patience=max(1, (cfg.patience or 4) // 2)
        )
    if name == "warmup":
        warm = max(1, cfg.warmup_epochs * steps_per_epoch)

        def factor(step: int) -> float:
            if step < warm:
                return (step + 1) / warm
            progress = (step - warm) / max(1, total_steps - warm)
            return 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))

        return s.LambdaLR(optimizer, factor)
    raise ConfigError(
        unknown_choice(
            "scheduler",
            name,
            ["none", "step", "multistep", "exponential", "cosine", "onecycle", "plateau", "warmup"],
        )
    )
