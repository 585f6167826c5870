"""Linear regression (or logistic regression for classes): one ``nn.Linear``.

Example:
    >>> m = Linear(1, 1)
    >>> m(torch.zeros(4, 1)).shape
    torch.Size([4, 1])
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .layers import numeric_only as _numeric_only

__all__ = ["Linear"]


class Linear(nn.Module):
    def __init__(self, in_features: int, n_outputs: int):
        super().__init__()
        self.linear = nn.Linear(in_features, n_outputs)

    def forward(self, x: torch.Tensor, x_cat: torch.Tensor | None = None) -> torch.Tensor:
        return self.linear(x.flatten(1))      # (B, F) → (B, n_outputs)

    @classmethod
    def from_schema(cls, cfg, schema) -> Linear:
        _numeric_only(schema, "linear")
        return cls(math.prod(schema.input_shape), schema.n_outputs)
