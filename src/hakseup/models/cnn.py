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


class _ConvNet(nn.Module):
    """Conv-BN-act-pool blocks, global average pooling, dropout, linear head; ``dims`` picks
    1-D or 2-D layers."""

    dims = 2

    def __init__(
        self,
        in_channels: int,
        channels: list[int],
        n_outputs: int,
        activation: str = "relu",
        dropout: float = 0.1,
        batch_norm: bool = True,
    ):
        super().__init__()
        conv, bn, pool, global_pool = _PARTS[self.dims]
        self.features = _blocks(conv, bn, pool, in_channels, channels, activation, batch_norm)
        self.head = nn.Sequential(
            global_pool(1), nn.Flatten(), nn.Dropout(dropout), nn.Linear(channels[-1], n_outputs)
        )

    @classmethod
    def from_schema(cls, cfg, schema):
        # 2-D inputs are (C, H, W): channels first; 1-D ones are (T, F): features last.
        in_channels = schema.input_shape[0] if cls.dims == 2 else schema.input_shape[-1]
        return cls(
            in_channels,
            list(cfg.channels),
            schema.n_outputs,
            cfg.activation,
            cfg.dropout,
            cfg.batch_norm,
        )


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
