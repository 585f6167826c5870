"""Periodic embeddings of numeric columns (Gorishniy et al. 2022, "On embeddings for numerical
features in tabular deep learning", PLR): each scaled value x becomes
``ReLU(Linear([cos(2π c x), sin(2π c x)]))`` with k trainable frequencies c per column, so an
MLP can use sharp, non-monotone effects of one number that a single weight on x cannot.

Example:
    >>> PeriodicEmbedding(3)(torch.zeros(8, 3)).shape
    torch.Size([8, 3, 16])
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["PeriodicEmbedding"]


class PeriodicEmbedding(nn.Module):
    """(B, n) scaled numbers → (B, n, dim): per column, k frequencies and its own linear map."""

    def __init__(self, n_features: int, frequencies: int = 16, dim: int = 16, sigma: float = 0.1):
        super().__init__()
        self.dim = dim
        # Small initial frequencies: cos/sin start nearly linear in x (the paper's σ; the
        # reference implementation's default is 0.01, ours reads robust-scaled values in ±6).
        self.frequencies = nn.Parameter(torch.randn(n_features, frequencies) * sigma)
        bound = 1 / math.sqrt(2 * frequencies)
        self.weight = nn.Parameter(
            torch.empty(n_features, 2 * frequencies, dim).uniform_(-bound, bound)
        )
        self.bias = nn.Parameter(torch.empty(n_features, dim).uniform_(-bound, bound))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = 2 * math.pi * self.frequencies * x.unsqueeze(-1)  # (B, n, k)
        z = torch.cat([torch.cos(z), torch.sin(z)], dim=-1)  # (B, n, 2k)
        return torch.relu(torch.einsum("bnk,nkd->bnd", z, self.weight) + self.bias)
