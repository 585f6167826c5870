"""Multi-layer perceptron: flatten, hidden layers, one output per class or value.

Example:
    >>> m = MLP(784, [196, 49], 10)          # the classic MNIST 784→196→49→10
    >>> m(torch.zeros(2, 1, 28, 28)).shape
    torch.Size([2, 10])
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .layers import mlp_stack
from .layers import numeric_only as _numeric_only

__all__ = ["MLP"]


class MLP(nn.Module):
    def __init__(
        self,
        in_features: int,
        hidden: list[int],
        n_outputs: int,
        activation: str = "relu",
        dropout: float = 0.0,
        batch_norm: bool = False,
    ):
        super().__init__()
        self.body, width = mlp_stack(in_features, hidden, activation, dropout, batch_norm)
        self.head = nn.Linear(width, n_outputs)

    def forward(self, x: torch.Tensor, x_cat: torch.Tensor | None = None) -> torch.Tensor:
        # x_cat: a table's (empty) categorical block; categorical columns need `tabular`.
        x = x.flatten(1)  # (B, ...) → (B, F)
        return self.head(self.body(x))  # (B, n_outputs)

    @classmethod
    def from_schema(cls, cfg, schema) -> MLP:
        _numeric_only(schema, "mlp")
        return cls(
            math.prod(schema.input_shape),
            list(cfg.hidden),
            schema.n_outputs,
            cfg.activation,
            cfg.dropout,
        )
