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

import math
from typing import cast

import torch
from torch import nn

__all__ = ["SequenceCNN", "SeriesStandardize", "ConvBlock", "member_prediction"]


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

    def __init__(
        self, in_ch: int, out_ch: int, kernels: tuple[int, ...] = (8, 5, 3), residual: bool = True
    ):
        super().__init__()
        layers: list[nn.Module] = []
        ch = in_ch
        for k, kernel in enumerate(kernels):
            # "same" padding written out: (k-1)//2 left, the rest right (as PyTorch's "same",
            # without its copy-and-warning path for even kernels).
            layers += [
                nn.ConstantPad1d(((kernel - 1) // 2, kernel - 1 - (kernel - 1) // 2), 0.0),
                nn.Conv1d(ch, out_ch, kernel, bias=False),
                nn.BatchNorm1d(out_ch),
            ]
            if k < len(kernels) - 1:
                layers.append(nn.ReLU())
            ch = out_ch
        self.body = nn.Sequential(*layers)
        self.shortcut = None
        if residual:
            self.shortcut = (
                nn.Identity()
                if in_ch == out_ch
                else nn.Sequential(nn.Conv1d(in_ch, out_ch, 1, bias=False), nn.BatchNorm1d(out_ch))
            )
        self.act = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.body(x)
        if self.shortcut is not None:
            y = y + self.shortcut(x)
        return self.act(y)


class SequenceCNN(nn.Module):
    """(B, T, F) → residual conv blocks → global average pooling → linear → (B, n_outputs).

    ``ensemble`` = k > 1: k such networks over the same standardised input, each with its own
    initialisation and, in training, its own loss (the outputs are (B, k, n_outputs);
    ``training.losses.member_mean`` averages the members' losses); in evaluation the
    prediction is the members' mean probability (mean value for regression), so the
    validation loss that picks the best checkpoint is the ensemble's.
    """

    def __init__(
        self,
        in_features: int,
        n_outputs: int,
        channels: tuple[int, ...] = (32, 64),
        residual: bool = True,
        dropout: float = 0.0,
        series_norm: bool = False,
        ensemble: int = 1,
        classification: bool = True,
    ):
        super().__init__()
        self.norm = SeriesStandardize() if series_norm else nn.Identity()
        self.classification = classification
        self.features, self.head = _member(in_features, n_outputs, channels, residual, dropout)
        # The first member keeps the single network's parameter names (runs saved before
        # ensembles load unchanged); the others follow in ``members``.
        self.members = nn.ModuleList(
            nn.Sequential(*_member(in_features, n_outputs, channels, residual, dropout))
            for _ in range(max(1, ensemble) - 1)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim == 2:  # (B, T): a univariate series
            x = x.unsqueeze(-1)
        x = self.norm(x).transpose(1, 2)  # (B, F, T)
        out = self.head(self.features(x).mean(dim=2))  # global average pooling over time
        if not len(self.members):
            return out
        outs = [out]
        for member in self.members:
            features, head = cast(nn.Sequential, member)  # Sequential(features, head)
            outs.append(head(features(x).mean(dim=2)))
        out = torch.stack(outs, 1)
        return out if self.training else member_prediction(out, self.classification)

    @classmethod
    def from_schema(cls, cfg, schema) -> SequenceCNN:
        from .layers import numeric_only

        numeric_only(schema, "cnn")
        shape = tuple(schema.input_shape)
        return cls(
            shape[-1],
            schema.n_outputs,
            tuple(cfg.channels),
            residual=True,
            dropout=cfg.dropout if schema.is_classification else 0.0,
            series_norm=getattr(cfg, "series_norm", False),
            ensemble=getattr(cfg, "ensemble", 1),
            classification=schema.is_classification,
        )


def _member(
    in_features: int, n_outputs: int, channels: tuple[int, ...], residual: bool, dropout: float
) -> tuple[nn.Sequential, nn.Sequential]:
    """One network's conv blocks and its head (dropout, linear)."""
    blocks, ch = [], in_features
    for out in channels:
        blocks.append(ConvBlock(ch, out, residual=residual))
        ch = out
    return nn.Sequential(*blocks), nn.Sequential(nn.Dropout(dropout), nn.Linear(ch, n_outputs))


def member_prediction(out: torch.Tensor, classification: bool) -> torch.Tensor:
    """An ensemble's prediction from its members' outputs (B, k, n): for classes the log of
    the mean probability (logits whose softmax is the mean of the members' softmaxes), for
    values the mean.

    Example:
        >>> member_prediction(torch.tensor([[[0.0, 0.0], [0.0, 0.0]]]), True).exp()
        tensor([[0.5000, 0.5000]])
    """
    if not classification:
        return out.mean(dim=1)
    return torch.logsumexp(torch.log_softmax(out, dim=2), dim=1) - math.log(out.shape[1])
