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

__all__ = ["RecurrentNet", "build_recurrent", "READOUTS", "patches", "auto_patch"]

READOUTS = ["last", "mean", "mean_last"]
PATCH_TARGET_STEPS = 30  # recurrent steps a long sequence is cut down to by default


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
    of ``READOUTS``; ``patch`` steps read as one (``patches``)."""

    num_layers: int = 1
    dropout: float = 0.0
    kind: str = "lstm"
    impl: str = "scratch"
    bidirectional: bool = False
    readout: str = "last"
    patch: int = 1


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
        input_size = input_size * self.patch  # a step of the recurrence is a patch
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
        if self.patch > 1:
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
    )


def _patch_for(cfg, schema) -> int:
    """``model.patch``: 0 (auto) patches sequences (``--layout sequence``) to about
    ``PATCH_TARGET_STEPS`` steps and leaves forecasting windows and images step by step."""
    patch = getattr(cfg, "patch", 1)
    if patch:
        return patch
    return auto_patch(schema.input_shape[0]) if schema.input_kind == "sequence" else 1
