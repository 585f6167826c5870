"""``RecurrentNet``: a sequence classifier/forecaster on an LSTM or GRU — ours or PyTorch's.

(B, T, F) → recurrent layers (optionally bidirectional) → a readout → linear head. The readout
``"mean_last"`` (the default) joins the last hidden state with the mean of the outputs over
all steps: on long series the last state alone has to carry everything through hundreds of
steps, while the mean gives every step a short gradient path to the loss (as in the pooled
readouts of the time-series classification literature).

``patch`` = k > 1 feeds the recurrent layers non-overlapping patches of k steps, each
flattened into one step of k·F features (the series padded with zeros at the start to a
multiple of k): 150 steps become 30 (patching as in PatchTST, Nie et al. 2023, and the
strided inputs of segment-based RNNs). The gradient then crosses k times fewer steps and a
step costs about the same, so training is k times faster. It is done around the recurrent
layers, which stay the plain LSTM/GRU (ours equal to ``nn.LSTM`` on the patched input).

``stem`` says what a patch becomes before the recurrent layers: ``none`` its flat k·F values,
``conv`` (``ConvStem``) a learned convolution over the full-resolution series, max-pooled
over the patch. ``--model lstm`` on sequences gets ``conv``: chosen by 5-fold cross-validation
on the training files of the five UCR problems of the quality suite (mean 0.833 flat, 0.885
conv; better on each of the five), at about 1.3-2x the CPU of a flat run
(``benchmarks/recurrent_stem.py``). The recurrent layers are unchanged: ours still equal
``nn.LSTM`` on the stem's output.

Example:
    >>> RecurrentNet(3, 8, 2)(torch.zeros(4, 10, 3)).shape
    torch.Size([4, 2])
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

from ..i18n import t

__all__ = [
    "RecurrentNet",
    "ConvStem",
    "build_recurrent",
    "READOUTS",
    "STEMS",
    "patches",
    "auto_patch",
]

READOUTS = ["last", "mean", "mean_last"]
PATCH_TARGET_STEPS = 30  # recurrent steps a long sequence is cut down to by default
STEMS = ["none", "conv"]
STEM_CHANNELS = 64  # features the conv stem gives each patch
STEM_KERNEL = 7  # steps the conv stem's filters span


class _Bidirectional(nn.Module):
    """Two of our recurrent layers, one reading the sequence backwards; outputs concatenated
    (the layout of ``nn.LSTM(bidirectional=True)``: forward features first)."""

    def __init__(self, make):
        super().__init__()
        self.forward_rnn, self.backward_rnn = make(), make()

    def forward(self, x: torch.Tensor):
        out_f, h_f = self.forward_rnn(x)
        out_b, h_b = self.backward_rnn(x.flip(1))
        out = torch.cat([out_f, out_b.flip(1)], dim=2)
        if isinstance(h_f, tuple):  # LSTM: (h_n, c_n)
            return out, tuple(torch.cat([a, b], dim=2) for a, b in zip(h_f, h_b))
        return out, torch.cat([h_f, h_b], dim=2)


@dataclass(frozen=True)
class RecurrentOptions:
    """A ``RecurrentNet``'s choices besides its sizes (the model config's keys): ``kind``
    lstm or gru; ``impl`` scratch (ours) or native (``nn.LSTM``/``nn.GRU``); ``readout`` one
    of ``READOUTS``; ``patch`` steps read as one (``patches``); ``stem`` what reads each
    patch (``STEMS``: none, the flat patch; conv, ``ConvStem``)."""

    num_layers: int = 1
    dropout: float = 0.0
    kind: str = "lstm"
    impl: str = "scratch"
    bidirectional: bool = False
    readout: str = "last"
    patch: int = 1
    stem: str = "none"


class RecurrentNet(nn.Module):
    """Sequence (B, T, F) → recurrent layers → readout → linear head; ``options`` are the
    fields of ``RecurrentOptions``, by keyword.

    Images (B, 1, H, W) are read row by row: H steps of W features.
    """

    def __init__(self, input_size: int, hidden_size: int, n_outputs: int, **options: Any):
        super().__init__()
        from .lstm import GRU, LSTM

        o = RecurrentOptions(**options)
        # Kept whole for ``like``: the same network with one choice changed.
        self.sizes, self.options = (input_size, hidden_size, n_outputs), o
        self.kind, self.impl, self.readout = o.kind, o.impl, o.readout
        self.bidirectional, self.patch = o.bidirectional, max(1, int(o.patch))
        self.stem = make_stem(o.stem, input_size, self.patch)
        # a step of the recurrence is a patch: flattened (k·F features) or the stem's features
        input_size = STEM_CHANNELS if self.stem is not None else input_size * self.patch
        classes = {
            ("lstm", "scratch"): LSTM,
            ("lstm", "native"): nn.LSTM,
            ("gru", "scratch"): GRU,
            ("gru", "native"): nn.GRU,
        }
        cls = classes[(o.kind, o.impl)]
        kwargs = dict(
            num_layers=o.num_layers,
            dropout=o.dropout if o.num_layers > 1 else 0.0,
            batch_first=True,
        )
        if o.bidirectional and o.impl == "native":
            self.rnn = cls(input_size, hidden_size, bidirectional=True, **kwargs)
        elif o.bidirectional:
            self.rnn = _Bidirectional(lambda: cls(input_size, hidden_size, **kwargs))
        else:
            self.rnn = cls(input_size, hidden_size, **kwargs)
        width = hidden_size * (2 if o.bidirectional else 1)
        self.head = nn.Linear(width * (2 if o.readout == "mean_last" else 1), n_outputs)

    def like(self, **changes: Any) -> RecurrentNet:
        """A new, untrained network with the same sizes and options except ``changes``."""
        return RecurrentNet(*self.sizes, **{**asdict(self.options), **changes})

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim == 4:  # (B, 1, H, W) image → (B, H, W): rows as steps
            x = x.flatten(1, 2) if x.shape[1] != 1 else x.squeeze(1)
        if self.stem is not None:
            x = self.stem(x)  # (B, T, F) → (B, ceil(T/k), STEM_CHANNELS)
        elif self.patch > 1:
            x = patches(x, self.patch)  # (B, T, F) → (B, ceil(T/k), k·F)
        out, h_n = self.rnn(x)  # out: (B, T, H·dirs); h_n: (layers·dirs, B, H)
        if self.readout == "mean":
            return self.head(out.mean(dim=1))
        last = out[:, -1]  # the last step's output: the last hidden state
        if self.bidirectional:  # ... and the backward pass's final state
            width = out.shape[2] // 2
            last = torch.cat([out[:, -1, :width], out[:, 0, width:]], dim=1)
        if self.readout == "last":
            return self.head(last)  # (B, n_outputs)
        return self.head(torch.cat([last, out.mean(dim=1)], dim=1))


class ConvStem(nn.Module):
    """A learned embedding of each patch: (B, T, F) → (B, ceil(T/k), ``STEM_CHANNELS``).

    One convolution over the full-resolution series (``STEM_KERNEL`` steps, "same"
    padding), BatchNorm and ReLU, then the maximum of each feature over each patch of k
    steps: the recurrent layers read, per patch, whether and how strongly each of 64
    learned local shapes occurred in it, wherever in the patch (the convolutional front end
    of LSTM-FCN, Karim et al. 2018, and PatchTST's learned patch embedding). The series is
    padded with zeros at the start to a multiple of k, as ``patches`` does.

    Example:
        >>> ConvStem(2, 5)(torch.zeros(3, 12, 2)).shape
        torch.Size([3, 3, 64])
    """

    def __init__(self, features: int, k: int):
        super().__init__()
        self.k = k
        self.conv = nn.Conv1d(features, STEM_CHANNELS, STEM_KERNEL, padding=STEM_KERNEL // 2)
        self.norm = nn.BatchNorm1d(STEM_CHANNELS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.transpose(1, 2)  # (B, F, T): channels first, for the convolution
        pad = -x.shape[2] % self.k
        if pad:
            x = nn.functional.pad(x, (pad, 0))
        y = torch.relu(self.norm(self.conv(x)))
        if self.k > 1:
            y = nn.functional.max_pool1d(y, self.k)
        return y.transpose(1, 2)


def make_stem(kind: str, features: int, k: int) -> nn.Module | None:
    """The stem ``kind`` (one of ``STEMS``) for ``features`` inputs and patches of ``k``
    steps; None for ``none`` (the flat patches)."""
    if kind not in STEMS:
        from ..errors import ConfigError, unknown_choice

        raise ConfigError(unknown_choice("model.stem", kind, STEMS))
    return ConvStem(features, k) if kind == "conv" else None


def patches(x: torch.Tensor, k: int) -> torch.Tensor:
    """(B, T, F) → (B, ceil(T/k), k·F): non-overlapping patches of k steps, zero-padded at the
    start (the last patch, which the last state reads most recently, holds the last steps).

    Example:
        >>> patches(torch.arange(5.).view(1, 5, 1), 2).tolist()
        [[[0.0, 0.0], [1.0, 2.0], [3.0, 4.0]]]
    """
    B, T, F_ = x.shape
    pad = -T % k
    if pad:
        x = torch.cat([x.new_zeros(B, pad, F_), x], dim=1)
    return x.reshape(B, (T + pad) // k, k * F_)


def auto_patch(steps: int, target: int = PATCH_TARGET_STEPS) -> int:
    """The patch length for ``--model lstm/gru`` on sequences of ``steps`` steps: the
    smallest that leaves at most ``target`` recurrent steps (1 for short series).

    >>> auto_patch(24), auto_patch(150), auto_patch(427)
    (1, 5, 15)
    """
    return max(1, math.ceil(steps / target))


def build_recurrent(cfg, schema, kind: str) -> RecurrentNet:
    shape = tuple(schema.input_shape)
    if schema.input_kind == "table":
        from ..errors import ConfigError

        raise ConfigError(t("error.models.recurrent.model_needs_sequences", kind=kind))
    return RecurrentNet(
        shape[-1],
        cfg.hidden_size,
        schema.n_outputs,
        num_layers=cfg.layers,
        dropout=cfg.dropout,
        kind=kind,
        impl=cfg.lstm_impl,
        bidirectional=getattr(cfg, "bidirectional", False),
        readout=getattr(cfg, "readout", "mean_last"),
        patch=_patch_for(cfg, schema),
        stem=_stem_for(cfg, schema, kind),
    )


def _stem_for(cfg, schema, kind: str) -> str:
    """``model.stem``: ``auto`` (a config no data resolved; ``config.resolve`` writes the
    choice into a run's config) is the resolved default: conv for an LSTM on sequences,
    else none."""
    stem = getattr(cfg, "stem", "none")
    if stem != "auto":
        return stem
    from ..config.resolve import stem_for

    return stem_for(kind, schema.input_kind)


def _patch_for(cfg, schema) -> int:
    """``model.patch``: 0 (auto) patches sequences (``--layout sequence``) to about
    ``PATCH_TARGET_STEPS`` steps and leaves forecasting windows and images step by step."""
    patch = getattr(cfg, "patch", 1)
    if patch:
        return patch
    return auto_patch(schema.input_shape[0]) if schema.input_kind == "sequence" else 1
