"""Convolutional networks: 2-D for images (C, H, W), 1-D for sequences (T, F).

Example:
    >>> CNN2d(1, [16, 32], 10)(torch.zeros(2, 1, 28, 28)).shape
    torch.Size([2, 10])
    >>> CNN1d(3, [16, 32], 4)(torch.zeros(2, 40, 3)).shape
    torch.Size([2, 4])
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import torch
from torch import nn

from .layers import activation

__all__ = ["CNN2d", "CNN1d"]


def _blocks(
    conv: type, bn: type, pool: type, in_ch: int, channels: list[int], act: str, batch_norm: bool
) -> nn.Sequential:
    layers: list[nn.Module] = []
    for ch in channels:
        layers += [conv(in_ch, ch, kernel_size=3, padding=1)]
        if batch_norm:
            layers.append(bn(ch))
        layers += [activation(act), pool(2, ceil_mode=True)]
        in_ch = ch
    return nn.Sequential(*layers)


# The layers of each kind of convolution: (conv, batch norm, max pool, global average pool).
_PARTS = {
    1: (nn.Conv1d, nn.BatchNorm1d, nn.MaxPool1d, nn.AdaptiveAvgPool1d),
    2: (nn.Conv2d, nn.BatchNorm2d, nn.MaxPool2d, nn.AdaptiveAvgPool2d),
}


@dataclass(frozen=True)
class ConvOptions:
    """Each block's activation and batch norm, and the dropout before the head: the model
    config's keys of the same names."""

    activation: str = "relu"
    dropout: float = 0.1
    batch_norm: bool = True


class _ConvNet(nn.Module):
    """Conv-BN-act-pool blocks, global average pooling, dropout, linear head; ``dims`` picks
    1-D or 2-D layers; ``options`` are the fields of ``ConvOptions``, by keyword."""

    dims = 2

    def __init__(self, in_channels: int, channels: list[int], n_outputs: int, **options: Any):
        super().__init__()
        o = ConvOptions(**options)
        conv, bn, pool, global_pool = _PARTS[self.dims]
        self.features = _blocks(conv, bn, pool, in_channels, channels, o.activation, o.batch_norm)
        self.head = nn.Sequential(
            global_pool(1), nn.Flatten(), nn.Dropout(o.dropout), nn.Linear(channels[-1], n_outputs)
        )

    @classmethod
    def from_schema(cls, cfg, schema):
        # 2-D inputs are (C, H, W): channels first; 1-D ones are (T, F): features last.
        in_channels = schema.input_shape[0] if cls.dims == 2 else schema.input_shape[-1]
        options = {f.name: getattr(cfg, f.name) for f in fields(ConvOptions)}
        return cls(in_channels, list(cfg.channels), schema.n_outputs, **options)


class CNN2d(_ConvNet):
    """Conv-BN-act-pool blocks, global average pooling, dropout, linear head."""

    dims = 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))  # (B, C, H, W) → (B, n_outputs)


class CNN1d(_ConvNet):
    """The 1-D counterpart for sequences given batch-first as (B, T, F)."""

    dims = 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x.transpose(1, 2)))  # (B, T, F) → (B, F, T) → (B, n)
