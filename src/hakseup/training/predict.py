"""Model outputs over inputs or whole splits, batched, in eval mode.

Example:
    >>> import torch
    >>> predict(torch.nn.Linear(3, 2), (torch.zeros(5, 3),)).shape
    torch.Size([5, 2])
"""

from __future__ import annotations

import torch
from torch import nn

from ..data.bundle import DatasetSplit, Split
from ..data.loader import iterate_split

__all__ = ["predict", "predict_split", "predict_batches"]


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
    return predict_batches(model, iterate_split(split, batch_size, device, workers), to_cpu)


@torch.no_grad()
def predict_batches(model: nn.Module, batches, to_cpu: bool) -> tuple[torch.Tensor, ...]:
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
