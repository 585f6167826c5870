"""The learning-rate range test: raise the LR exponentially over a few hundred steps, record the
smoothed loss, and suggest the LR where it falls fastest.

Example:
    >>> lrs, losses = lr_range_test(model, bundle, TrainConfig(), steps=200)   # doctest: +SKIP
    >>> suggest_lr(lrs, losses)                                                # doctest: +SKIP
    0.0032
"""

from __future__ import annotations

import copy
import math

import numpy as np
import torch

from ..config import TrainConfig
from ..data.loader import make_batcher
from .device import resolve_device, seed_everything
from .optim import build_optimizer
from .trainer import loss_function

__all__ = ["lr_range_test", "suggest_lr"]


def lr_range_test(model: torch.nn.Module, bundle, cfg: TrainConfig, start: float = 1e-7,
                  end: float = 10.0, steps: int = 200, smoothing: float = 0.05,
                  diverge: float = 4.0) -> tuple[np.ndarray, np.ndarray]:
    """(learning rates, smoothed losses); stops early once the loss exceeds ``diverge`` times
    its best. The model passed in is not changed (a copy is trained)."""
    seed_everything(cfg.seed)
    device = resolve_device(cfg.device)
    model = copy.deepcopy(model).to(device).train()
    loss_fn = loss_function(cfg.loss, bundle.schema)
    optimizer = build_optimizer(model.parameters(), TrainConfig(**{**cfg.__dict__, "lr": start}))
    factor = (end / start) ** (1 / max(1, steps - 1))
    batcher = make_batcher(bundle.train, cfg.batch_size, loader=cfg.loader, device=device,
                           workers=cfg.workers, seed=cfg.seed)
    lrs, losses, avg, best = [], [], 0.0, math.inf
    epoch, batches = 0, iter(batcher.batches(0))
    for step in range(steps):
        try:
            *xs, y = next(batches)
        except StopIteration:
            epoch += 1
            batches = iter(batcher.batches(epoch))
            *xs, y = next(batches)
        lr = start * factor ** step
        for g in optimizer.param_groups:
            g["lr"] = lr
        loss = loss_fn(model(*xs).float(), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        value = loss.item()
        if not math.isfinite(value):
            break
        avg = smoothing * value + (1 - smoothing) * avg            # EMA started at zero...
        corrected = avg / (1 - (1 - smoothing) ** (step + 1))     # ...and bias-corrected
        lrs.append(lr)
        losses.append(corrected)
        best = min(best, corrected)
        if corrected > diverge * best and step > 10:
            break
    return np.asarray(lrs), np.asarray(losses)


def suggest_lr(lrs: np.ndarray, losses: np.ndarray) -> float:
    """The LR of the steepest descent of the loss against log(LR), before the minimum."""
    skip = 10  # the first points carry the smoothing's start-up, not the LR's effect
    if len(lrs) < skip + 5:
        return float(lrs[len(lrs) // 2]) if len(lrs) else float("nan")
    stop = max(skip + 3, int(np.argmin(losses)) + 1)
    slopes = np.gradient(losses[skip:stop], np.log10(lrs[skip:stop]))
    return float(lrs[skip + int(np.argmin(slopes))])
