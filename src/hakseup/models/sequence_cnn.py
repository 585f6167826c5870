"""The default model for sequences: a residual fully-convolutional 1-D network.

After Wang, Yan & Oates (2017), "Time series classification from scratch with deep neural
networks: a strong baseline" (FCN and ResNet), the strongest simple deep baselines of the UCR
benchmark of Fawaz et al. (2019): convolution blocks with BatchNorm and ReLU, kernels 8-5-3,
"same" padding (no pooling: the series keeps its resolution), a residual shortcut per block,
global average pooling over time and one linear layer. Global pooling makes the network
independent of the series length and of where in the series a pattern occurs.

``series_norm`` standardises each series (per channel) before the first layer, for data whose
series differ in offset or scale for reasons unrelated to the class.

Example:
    >>> SequenceCNN(3, 4)(torch.zeros(2, 40, 3)).shape
    torch.Size([2, 4])
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["SequenceCNN", "SeriesStandardize", "ConvBlock"]


class SeriesStandardize(nn.Module):
    """Each series (B, T, F) to zero mean and unit variance over time, per channel."""

    def __init__(self, eps: float = 1e-5):
        super().__init__()
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean = x.mean(dim=1, keepdim=True)
        std = x.std(dim=1, keepdim=True, unbiased=False)
        return (x - mean) / (std + self.eps)


class ConvBlock(nn.Module):
    """Conv-BN-ReLU for each kernel size; a 1x1-projected shortcut when ``residual``."""

    def __init__(self, in_ch: int, out_ch: int, kernels: tuple[int, ...] = (8, 5, 3),
                 residual: bool = True):
        super().__init__()
        layers: list[nn.Module] = []
        ch = in_ch
        for k, kernel in enumerate(kernels):
            # "same" padding written out: (k-1)//2 left, the rest right (as PyTorch's "same",
            # without its copy-and-warning path for even kernels).
            layers += [nn.ConstantPad1d(((kernel - 1) // 2, kernel - 1 - (kernel - 1) // 2), 0.0),
                       nn.Conv1d(ch, out_ch, kernel, bias=False), nn.BatchNorm1d(out_ch)]
            if k < len(kernels) - 1:
                layers.append(nn.ReLU())
            ch = out_ch
        self.body = nn.Sequential(*layers)
        self.shortcut = None
        if residual:
            self.shortcut = nn.Identity() if in_ch == out_ch else nn.Sequential(
                nn.Conv1d(in_ch, out_ch, 1, bias=False), nn.BatchNorm1d(out_ch))
        self.act = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.body(x)
        if self.shortcut is not None:
            y = y + self.shortcut(x)
        return self.act(y)


class SequenceCNN(nn.Module):
    """(B, T, F) → residual conv blocks → global average pooling → linear → (B, n_outputs)."""

    def __init__(self, in_features: int, n_outputs: int, channels: tuple[int, ...] = (32, 64),
                 residual: bool = True, dropout: float = 0.0, series_norm: bool = False):
        super().__init__()
        self.norm = SeriesStandardize() if series_norm else nn.Identity()
        blocks, ch = [], in_features
        for out in channels:
            blocks.append(ConvBlock(ch, out, residual=residual))
            ch = out
        self.features = nn.Sequential(*blocks)
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(ch, n_outputs))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim == 2:                         # (B, T): a univariate series
            x = x.unsqueeze(-1)
        z = self.features(self.norm(x).transpose(1, 2))     # (B, C, T)
        return self.head(z.mean(dim=2))                      # global average pooling over time

    @classmethod
    def from_schema(cls, cfg, schema) -> "SequenceCNN":
        from .layers import numeric_only

        numeric_only(schema, "cnn")
        shape = tuple(schema.input_shape)
        return cls(shape[-1], schema.n_outputs, tuple(cfg.channels), residual=True,
                   dropout=cfg.dropout if schema.is_classification else 0.0,
                   series_norm=getattr(cfg, "series_norm", False))
