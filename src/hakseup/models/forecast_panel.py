"""One global forecaster for a panel of series: any window forecaster, and optionally a learned
embedding of the series id.

The inputs of a panel are ``(windows (B, W, C), series index (B,))``. The base forecaster
reads the windows alone — what it learns holds for every series, which is what lets a global
model forecast a series with few points of its own. With ``model.id_embedding`` > 0 each
series also gets a learned vector, mapped to an offset per forecast step (started at zero: the
embedding can only add what the series' own windows support). An index the run did not
train on (a new series at prediction time) gets no offset.

Example:
    >>> from hakseup.models.forecast import NBeats
    >>> m = PanelForecaster(NBeats(8, 2, 3), n_series=5, embedding=4, horizon=3)
    >>> m(torch.zeros(2, 8, 2), torch.tensor([0, 4])).shape
    torch.Size([2, 3])
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["PanelForecaster"]


class PanelForecaster(nn.Module):
    """A window forecaster for every series, plus a per-series offset from an id embedding."""

    def __init__(self, base: nn.Module, n_series: int, embedding: int, horizon: int):
        super().__init__()
        self.base = base
        self.n_series = int(n_series)
        self.embedding = nn.Embedding(n_series, embedding) if embedding > 0 else None
        self.head = nn.Linear(embedding, horizon) if embedding > 0 else None
        if self.head is not None:  # start as the base model alone
            nn.init.zeros_(self.head.weight)
            nn.init.zeros_(self.head.bias)

    def forward(self, x: torch.Tensor, ids: torch.Tensor | None = None) -> torch.Tensor:
        out = self.base(x)
        if self.embedding is None or self.head is None or ids is None:
            return out
        known = (ids >= 0) & (ids < self.n_series)
        offset = self.head(self.embedding(ids.clamp(0, self.n_series - 1)))
        return out + offset * known.unsqueeze(1).to(offset.dtype)
