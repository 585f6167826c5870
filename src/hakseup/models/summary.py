"""A model's layer table: output shape and parameters per layer, totals and size.

Example:
    >>> from hakseup.models.mlp import MLP
    >>> rows, totals = summarize(MLP(784, [196, 49], 10), (torch.zeros(1, 1, 28, 28),))
    >>> totals["parameters"]
    164013
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["summarize"]


def _shape(out) -> str:
    if isinstance(out, torch.Tensor):
        return str(tuple(out.shape))
    if isinstance(out, (tuple, list)):
        return ", ".join(_shape(o) for o in out if isinstance(o, (torch.Tensor, tuple, list)))
    return type(out).__name__


def summarize(model: nn.Module, example: tuple[torch.Tensor, ...]) -> tuple[list[dict], dict]:
    """One row per leaf module (in call order) with its output shape and own parameters."""
    rows: list[dict] = []
    hooks = []
    for name, module in model.named_modules():
        if name and not list(module.children()):

            def hook(mod, inputs, out, name=name):
                own = list(mod.parameters(recurse=False))
                rows.append(
                    {
                        "layer": name,
                        "type": type(mod).__name__,
                        "output": _shape(out),
                        "parameters": sum(p.numel() for p in own),
                        "trainable": sum(p.numel() for p in own if p.requires_grad),
                    }
                )

            hooks.append(module.register_forward_hook(hook))
    was_training = model.training
    try:
        with torch.no_grad():
            model.eval()(*example)
    finally:
        model.train(was_training)
        for h in hooks:
            h.remove()
    counted = {r["layer"] for r in rows}
    # Parameters held directly by non-leaf modules (e.g. our LSTM's weights) are listed too.
    for name, module in model.named_modules():
        own = list(module.parameters(recurse=False))
        if own and name not in counted:
            rows.append(
                {
                    "layer": name or "(model)",
                    "type": type(module).__name__,
                    "output": "—",
                    "parameters": sum(p.numel() for p in own),
                    "trainable": sum(p.numel() for p in own if p.requires_grad),
                }
            )
    params = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    size = sum(p.numel() * p.element_size() for p in model.parameters()) + sum(
        b.numel() * b.element_size() for b in model.buffers()
    )
    return rows, {
        "parameters": params,
        "trainable": trainable,
        "non_trainable": params - trainable,
        "size_mb": size / 2**20,
    }
