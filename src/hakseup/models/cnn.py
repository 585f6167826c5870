"""Convolutional networks: 2-D for images (C, H, W), 1-D for sequences (T, F).

Example:
    >>> CNN2d(1, [16, 32], 10)(torch.zeros(2, 1, 28, 28)).shape
    torch.Size([2, 10])
    >>> CNN1d(3, [16, 32], 4)(torch.zeros(2, 40, 3)).shape
    torch.Size([2, 4])
"""

from __future__ import annotations

import torch
from torch import nn

from .layers import activation

__all__ = ["CNN2d", "CNN1d"]


def _blocks(conv: type, bn: type, pool: type, in_ch: int, channels: list[int], act: str,
            batch_norm: bool) -> nn.Sequential:
    layers: list[nn.Module] = []
    for ch in channels:
        layers += [conv(in_ch, ch, kernel_size=3, padding=1)]
        if batch_norm:
            layers.append(bn(ch))
        layers += [activation(act), pool(2, ceil_mode=True)]
        in_ch = ch
    return nn.Sequential(*layers)


class CNN2d(nn.Module):
    """Conv-BN-act-pool blocks, global average pooling, dropout, linear head."""

    def __init__(self, in_channels: int, channels: list[int], n_outputs: int,
                 activation: str = "relu", dropout: float = 0.1, batch_norm: bool = True):
        super().__init__()
        self.features = _blocks(nn.Conv2d, nn.BatchNorm2d, nn.MaxPool2d, in_channels, channels,
                                activation, batch_norm)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(dropout),
                                  nn.Linear(channels[-1], n_outputs))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))    # (B, C, H, W) → (B, n_outputs)

    @classmethod
    def from_schema(cls, cfg, schema) -> CNN2d:
        return cls(schema.input_shape[0], list(cfg.channels), schema.n_outputs, cfg.activation,
                   cfg.dropout, cfg.batch_norm)


class CNN1d(nn.Module):
    """The 1-D counterpart for sequences given batch-first as (B, T, F)."""

    def __init__(self, in_features: int, channels: list[int], n_outputs: int,
                 activation: str = "relu", dropout: float = 0.1, batch_norm: bool = True):
        super().__init__()
        self.features = _blocks(nn.Conv1d, nn.BatchNorm1d, nn.MaxPool1d, in_features, channels,
                                activation, batch_norm)
        self.head = nn.Sequential(nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Dropout(dropout),
                                  nn.Linear(channels[-1], n_outputs))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x.transpose(1, 2)))   # (B, T, F) → (B, F, T) → (B, n)

    @classmethod
    def from_schema(cls, cfg, schema) -> CNN1d:
        return cls(schema.input_shape[-1], list(cfg.channels), schema.n_outputs, cfg.activation,
                   cfg.dropout, cfg.batch_norm)
