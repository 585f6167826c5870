"""Recurrent networks from scratch: the LSTM cell with its gates written out, a stacked LSTM
layer built on it, a GRU, and the native ``nn.LSTM``/``nn.GRU`` as interchangeable backends.

Parameters use PyTorch's layout (``weight_ih`` is (4H, I) with gate blocks in the order input,
forget, cell, output), so weights copy one-to-one between our modules and ``nn.LSTMCell`` /
``nn.LSTM`` — which is how the tests check us.

Speed: ``LSTM`` computes the input projection of every time step in one matrix product before
the recurrence, and runs the recurrence in an autograd ``Function`` whose backward pass
(backpropagation through time) is written out by hand: per step only the recurrent product and
the gate arithmetic; the weight gradients are one matrix product each after the loop. Measured
on 2 CPU cores (batch 100, 28 steps, hidden 128) a training step takes about 1.35x
``nn.LSTM``'s time, whose CPU path is oneDNN's fused RNN kernel; a plain per-step cell takes
about 1.5x. With ``compile_recurrence`` (set by ``--compile``) the two time loops go through
``torch.compile``, which fuses each step's gate arithmetic into one kernel: about 1.16x, after
a one-off compile of 30-60 s. Compiling the whole module instead (through the hand-written
backward) was 5x slower than eager; TorchScript made no difference.

Example:
    >>> lstm = LSTM(28, 128, batch_first=True)
    >>> out, (h, c) = lstm(torch.zeros(100, 28, 28))          # (B, T, I)
    >>> out.shape, h.shape
    (torch.Size([100, 28, 128]), torch.Size([1, 100, 128]))
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple, cast

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["LSTMCell", "LSTM", "GRUCell", "GRU", "lstm_step"]


def _init_uniform(module: nn.Module, hidden_size: int) -> None:
    """PyTorch's RNN initialisation: U(-1/sqrt(H), 1/sqrt(H)) for every parameter."""
    bound = 1.0 / math.sqrt(hidden_size)
    for p in module.parameters():
        nn.init.uniform_(p, -bound, bound)


class LSTMCell(nn.Module):
    """One LSTM step, gates written out (the reference for ``LSTM``)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True):
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        self.weight_ih = nn.Parameter(torch.empty(4 * hidden_size, input_size))
        self.weight_hh = nn.Parameter(torch.empty(4 * hidden_size, hidden_size))
        self.bias_ih = nn.Parameter(torch.empty(4 * hidden_size)) if bias else None
        self.bias_hh = nn.Parameter(torch.empty(4 * hidden_size)) if bias else None
        _init_uniform(self, hidden_size)

    def forward(
        self, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor] | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        # x: (B, I); h, c: (B, H)
        if state is None:
            zeros = x.new_zeros(x.shape[0], self.hidden_size)
            state = (zeros, zeros)
        h, c = state
        gates = F.linear(x, self.weight_ih, self.bias_ih) + F.linear(
            h, self.weight_hh, self.bias_hh
        )  # (B, 4H)
        return lstm_step(gates, c)


# ``hakseup code`` copies this function's source into the plain scripts it writes
# (experiment/plain_model.py): it uses nothing but torch.
def lstm_step(gates: torch.Tensor, c: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """One LSTM step from its gates: ``gates`` (B, 4H) holds the pre-activations of the
    input, forget, cell and output gates, in that order; ``c`` (B, H) is the cell state.
    Returns the new h and c, each (B, H)."""
    i, f, g, o = gates.chunk(4, dim=1)  # each (B, H)
    input_gate = torch.sigmoid(i)  # how much of the candidate to write
    forget_gate = torch.sigmoid(f)  # how much of the old cell to keep
    cell_candidate = torch.tanh(g)  # what could be written
    output_gate = torch.sigmoid(o)  # how much of the cell to expose
    c = forget_gate * c + input_gate * cell_candidate
    h = output_gate * torch.tanh(c)
    return h, c


def _forward_loop(
    x_scaled: torch.Tensor,
    w_hh_scaled_t: torch.Tensor,
    hs: torch.Tensor,
    cs: torch.Tensor,
    tanh_cs: torch.Tensor,
    acts: torch.Tensor,
) -> None:
    """The recurrence, in place: fills hs[1:], cs[1:], tanh_cs and acts (gates i, f, g, o)."""
    H = hs.shape[2]
    for t in range(x_scaled.shape[0]):
        a = acts[t]
        torch.sigmoid(torch.addmm(x_scaled[t], hs[t], w_hh_scaled_t), out=a)  # (B, 4H)
        g = a[:, 2 * H : 3 * H]
        g.mul_(2.0).sub_(1.0)  # cell candidate (tanh)
        i, f, o = a[:, :H], a[:, H : 2 * H], a[:, 3 * H :]
        torch.addcmul(f * cs[t], i, g, out=cs[t + 1])  # c = f*c + i*g
        torch.tanh(cs[t + 1], out=tanh_cs[t])
        torch.mul(o, tanh_cs[t], out=hs[t + 1])  # h = o*tanh(c)


class _Local(NamedTuple):
    """Every step's local derivatives (``_local_derivatives``), the first axis time."""

    dh_to_c: torch.Tensor  # (T, B, H): from h to c, through h = o*tanh(c)
    dc_factors: torch.Tensor  # (T, B, 3, H): from c to the input, forget and cell gates
    dh_to_gate_o: torch.Tensor  # (T, B, H): from h to the output gate
    forget: torch.Tensor  # (T, B, H): from c to the previous c


def _backward_loop(
    d_out: torch.Tensor | None,
    d_state: tuple[torch.Tensor, torch.Tensor],
    local: _Local,
    w_hh: torch.Tensor,
    d_gates: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Backpropagation through time from ``d_state``, the gradients of the last h and c;
    fills d_gates (T, B, 4H), returns the gradients for h0 and c0."""
    T, B, H4 = d_gates.shape
    H = H4 // 4
    d_ifg = d_gates[:, :, : 3 * H].view(T, B, 3, H)
    dh, dc = d_state
    for t in reversed(range(T)):
        if d_out is not None and t < T - 1:  # d_out[T-1] was added with d_hT
            dh = dh + d_out[t]
        dc = torch.addcmul(dc, dh, local.dh_to_c[t])
        torch.mul(dc.unsqueeze(1), local.dc_factors[t], out=d_ifg[t])  # input, forget, cell
        torch.mul(dh, local.dh_to_gate_o[t], out=d_gates[t, :, 3 * H :])  # output gate
        dc = dc * local.forget[t]  # to c_{t-1}
        dh = torch.mm(d_gates[t], w_hh)  # to h_{t-1}: (B, H)
    return dh, dc


def _forward_steps(
    x_scaled: torch.Tensor, w_hh_scaled_t: torch.Tensor, h: torch.Tensor, c: torch.Tensor
) -> tuple[torch.Tensor, ...]:
    """``_forward_loop`` written functionally, for ``torch.compile``: Inductor fuses each
    step's gate arithmetic into one kernel, where eager mode runs best with in-place ops."""
    H = h.shape[1]
    hs, cs, tanh_cs, acts = [], [], [], []
    for t in range(x_scaled.shape[0]):
        a = torch.sigmoid(torch.addmm(x_scaled[t], h, w_hh_scaled_t))  # (B, 4H)
        i, f, g, o = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H] * 2 - 1, a[:, 3 * H :]
        c = f * c + i * g
        tanh_c = torch.tanh(c)
        h = o * tanh_c
        hs.append(h)
        cs.append(c)
        tanh_cs.append(tanh_c)
        acts.append(torch.cat([i, f, g, o], 1))
    return torch.stack(hs), torch.stack(cs), torch.stack(tanh_cs), torch.stack(acts)


def _backward_steps(
    d_out: torch.Tensor | None,
    d_state: tuple[torch.Tensor, torch.Tensor],
    local: _Local,
    w_hh: torch.Tensor,
) -> tuple[torch.Tensor, ...]:
    """``_backward_loop`` written functionally, for ``torch.compile``; returns d_gates too."""
    T = local.forget.shape[0]
    dh, dc = d_state
    d_gates: list[torch.Tensor] = []
    for t in reversed(range(T)):
        if d_out is not None and t < T - 1:
            dh = dh + d_out[t]
        dc = dc + dh * local.dh_to_c[t]
        d = torch.cat(
            [(dc.unsqueeze(1) * local.dc_factors[t]).flatten(1), dh * local.dh_to_gate_o[t]], 1
        )
        d_gates.append(d)
        dc = dc * local.forget[t]
        dh = d @ w_hh
    return torch.stack(d_gates[::-1]), dh, dc


_COMPILED: dict[str, object] = {}


def _compiled(name: str, fn):
    """``torch.compile(fn)``, made once per process (Inductor also caches it on disk)."""
    if name not in _COMPILED:
        _COMPILED[name] = torch.compile(fn)
    return _COMPILED[name]


class _LSTMRecurrence(torch.autograd.Function):
    """The recurrence over precomputed input projections, with a hand-written BPTT."""

    @staticmethod
    def forward(ctx, x_proj, h0, c0, w_hh, compiled=False):
        # x_proj: (T, B, 4H) = x_t W_ih^T + b_ih + b_hh for every t; h0, c0: (B, H)
        ctx.compiled = compiled
        if compiled:
            hs, cs, tanh_cs, acts = _compiled("forward", _forward_all)(x_proj, h0, c0, w_hh)
        else:
            T, B, H4 = x_proj.shape
            x_scaled, w_t = _scaled(x_proj, w_hh)
            hs = x_proj.new_empty(T + 1, B, H4 // 4)
            cs = x_proj.new_empty(T + 1, B, H4 // 4)
            tanh_cs = x_proj.new_empty(T, B, H4 // 4)
            acts = x_proj.new_empty(T, B, H4)  # activated gates: i, f, g, o
            hs[0], cs[0] = h0, c0
            _forward_loop(x_scaled, w_t, hs, cs, tanh_cs, acts)
        ctx.save_for_backward(hs, cs, tanh_cs, acts, w_hh)
        ctx.set_materialize_grads(False)  # unused outputs (often all but h_T) cost nothing
        T = x_proj.shape[0]
        return hs[1:], hs[T].clone(), cs[T].clone()

    @staticmethod
    def backward(ctx, d_out, d_hT, d_cT):
        hs, cs, tanh_cs, acts, w_hh = ctx.saved_tensors
        T, B, H4 = acts.shape
        dh = d_hT.clone() if d_hT is not None else hs.new_zeros(B, H4 // 4)
        if d_out is not None:
            dh = dh + d_out[T - 1]
        dc = d_cT.clone() if d_cT is not None else hs.new_zeros(B, H4 // 4)
        if ctx.compiled:
            try:
                d_gates, dh, dc, d_w_hh = _compiled("backward", _backward_all)(
                    d_out, dh, dc, hs, cs, tanh_cs, acts, w_hh
                )
                return d_gates, dh, dc, d_w_hh, None
            except Exception as e:  # as in LSTM._recurrence: fall back to the eager loop
                import warnings

                from .. import i18n

                warnings.warn(
                    i18n.t("warn.models.lstm.compiling_lstm_backward", kind=type(e).__name__)
                )
        d_gates = acts.new_empty(T, B, H4)
        local = _local_derivatives(cs, tanh_cs, acts)
        dh, dc = _backward_loop(d_out, (dh, dc), local, w_hh, d_gates)
        return d_gates, dh, dc, _weight_grad(d_gates, hs), None


def _scaled(x_proj: torch.Tensor, w_hh: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The cell-gate block doubled, in the input projection and in W_hh^T.

    tanh(z) = 2*sigmoid(2z) - 1: doubling the cell-gate block once lets every step use one
    contiguous sigmoid over all four gates (a strided tanh is several times slower on CPU).
    """
    H4 = x_proj.shape[2]
    H = H4 // 4
    scale = x_proj.new_ones(H4)
    scale[2 * H : 3 * H] = 2.0
    return (x_proj * scale).contiguous(), (w_hh * scale[:, None]).t()


def _local_derivatives(cs: torch.Tensor, tanh_cs: torch.Tensor, acts: torch.Tensor) -> _Local:
    """Every step's local derivatives at once (a few large ops instead of many small ones):
    dL/d(pre-activation) = upstream * activation', i.e.

        input:  dc * g      * i(1-i)        forget: dc * c_prev * f(1-f)
        cell:   dc * i      * (1-g^2)       output: dh * tanh(c) * o(1-o)
    """
    H = acts.shape[2] // 4
    i, f, g, o = acts[..., :H], acts[..., H : 2 * H], acts[..., 2 * H : 3 * H], acts[..., 3 * H :]
    dc_factors = torch.stack([g * (i - i * i), cs[:-1] * (f - f * f), i * (1 - g * g)], dim=2)
    dh_to_gate_o = tanh_cs * (o - o * o)
    dh_to_c = o * (1 - tanh_cs * tanh_cs)  # through h = o*tanh(c)
    return _Local(dh_to_c, dc_factors, dh_to_gate_o, f.contiguous())


def _weight_grad(d_gates: torch.Tensor, hs: torch.Tensor) -> torch.Tensor:
    """dL/dW_hh = sum over t of d_gates_t^T h_{t-1}: one product after the loop, (4H, H)."""
    T, B, H4 = d_gates.shape
    return d_gates.reshape(T * B, H4).t() @ hs[:-1].reshape(T * B, H4 // 4)


def _forward_all(x_proj, h0, c0, w_hh):
    """The whole forward recurrence, for ``torch.compile``."""
    h_seq, c_seq, tanh_cs, acts = _forward_steps(*_scaled(x_proj, w_hh), h0, c0)
    return torch.cat([h0[None], h_seq]), torch.cat([c0[None], c_seq]), tanh_cs, acts


def _backward_all(d_out, dh, dc, hs, cs, tanh_cs, acts, w_hh):
    """The whole backward pass, for ``torch.compile``: local derivatives, loop, weight grad."""
    local = _local_derivatives(cs, tanh_cs, acts)
    d_gates, dh, dc = _backward_steps(d_out, (dh, dc), local, w_hh)
    return d_gates, dh, dc, _weight_grad(d_gates, hs)


class _Stacked(nn.Module):
    """What ``LSTM`` and ``GRU`` share with ``nn.LSTM`` and ``nn.GRU``: the constructor's
    arguments, inputs (B, T, I) when ``batch_first`` else (T, B, I), and dropout between
    layers (not after the last). A subclass makes its layers' parameters in ``_make_layers``."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        dropout: float = 0.0,
        batch_first: bool = True,
    ):
        super().__init__()
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.dropout, self.batch_first = dropout, batch_first
        self._make_layers()

    def _make_layers(self) -> None:
        raise NotImplementedError

    def _time_major(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, ...) ↔ (T, B, ...) when ``batch_first``: the loops run over time first."""
        return x.transpose(0, 1) if self.batch_first else x

    def _between_layers(self, x: torch.Tensor, k: int) -> torch.Tensor:
        """Layer ``k``'s output as the next layer's input: dropout while training."""
        if self.dropout and self.training and k < self.num_layers - 1:
            return F.dropout(x, self.dropout, training=True)
        return x


class LSTM(_Stacked):
    """A stacked LSTM layer on our recurrence; the same interface as ``nn.LSTM``
    (parameters ``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}``)."""

    def __init__(self, *args: Any, compile_recurrence: bool = False, **kwargs: Any):
        """``nn.LSTM``'s arguments (``_Stacked``'s). ``compile_recurrence``: torch.compile the
        two time loops (not the module: compiling through the hand-written backward is slower
        than eager). The trainer sets it for --compile."""
        super().__init__(*args, **kwargs)
        self.compile_recurrence = compile_recurrence

    def _make_layers(self) -> None:
        H = self.hidden_size
        for k in range(self.num_layers):
            fan_in = self.input_size if k == 0 else H
            self.register_parameter(f"weight_ih_l{k}", nn.Parameter(torch.empty(4 * H, fan_in)))
            self.register_parameter(f"weight_hh_l{k}", nn.Parameter(torch.empty(4 * H, H)))
            self.register_parameter(f"bias_ih_l{k}", nn.Parameter(torch.empty(4 * H)))
            self.register_parameter(f"bias_hh_l{k}", nn.Parameter(torch.empty(4 * H)))
        _init_uniform(self, H)

    def forward(self, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor] | None = None):
        x = self._time_major(x)  # (T, B, I)
        T, B, _ = x.shape
        if state is None:
            zeros = x.new_zeros(self.num_layers, B, self.hidden_size)
            state = (zeros, zeros)
        h0, c0 = state
        h_n, c_n = [], []
        for k in range(self.num_layers):
            w_ih, w_hh = getattr(self, f"weight_ih_l{k}"), getattr(self, f"weight_hh_l{k}")
            bias = getattr(self, f"bias_ih_l{k}") + getattr(self, f"bias_hh_l{k}")
            # Every step's input projection in one product: (T*B, I) @ (I, 4H).
            x_proj = torch.addmm(bias, x.reshape(T * B, -1), w_ih.t()).view(T, B, -1)
            x, h_last, c_last = self._recurrence(x_proj, h0[k], c0[k], w_hh)  # x: (T, B, H)
            h_n.append(h_last)
            c_n.append(c_last)
            x = self._between_layers(x, k)
        return self._time_major(x), (torch.stack(h_n), torch.stack(c_n))

    def _recurrence(self, x_proj, h0, c0, w_hh):
        if self.compile_recurrence:
            try:
                return _LSTMRecurrence.apply(x_proj, h0, c0, w_hh, True)
            except Exception as e:  # no C++ compiler, unsupported platform: run eagerly
                import warnings

                from .. import i18n

                warnings.warn(
                    i18n.t("warn.models.lstm.compiling_lstm_recurrence", kind=type(e).__name__)
                )
                self.compile_recurrence = False
        return _LSTMRecurrence.apply(x_proj, h0, c0, w_hh)


class GRUCell(nn.Module):
    """One GRU step (reset, update and new gates), PyTorch's parameter layout."""

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        self.hidden_size = hidden_size
        self.weight_ih = nn.Parameter(torch.empty(3 * hidden_size, input_size))
        self.weight_hh = nn.Parameter(torch.empty(3 * hidden_size, hidden_size))
        self.bias_ih = nn.Parameter(torch.empty(3 * hidden_size))
        self.bias_hh = nn.Parameter(torch.empty(3 * hidden_size))
        _init_uniform(self, hidden_size)

    def step(self, x_proj: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        # x_proj: (B, 3H) precomputed input projection; h: (B, H)
        hr, hz, hn = F.linear(h, self.weight_hh, self.bias_hh).chunk(3, 1)
        xr, xz, xn = x_proj.chunk(3, 1)
        reset_gate = torch.sigmoid(xr + hr)
        update_gate = torch.sigmoid(xz + hz)
        new_gate = torch.tanh(xn + reset_gate * hn)
        return (1 - update_gate) * new_gate + update_gate * h

    def forward(self, x: torch.Tensor, h: torch.Tensor | None = None) -> torch.Tensor:
        h = x.new_zeros(x.shape[0], self.hidden_size) if h is None else h
        return self.step(F.linear(x, self.weight_ih, self.bias_ih), h)


class GRU(_Stacked):
    """A stacked GRU on ``GRUCell`` (input projections precomputed); returns (out, h_n)."""

    def _make_layers(self) -> None:
        self.cells = nn.ModuleList(
            GRUCell(self.input_size if k == 0 else self.hidden_size, self.hidden_size)
            for k in range(self.num_layers)
        )

    def forward(self, x: torch.Tensor, h0: torch.Tensor | None = None):
        x = self._time_major(x)  # (T, B, I)
        T, B, _ = x.shape
        h_n = []
        for k, module in enumerate(self.cells):
            cell = cast(GRUCell, module)  # a ModuleList yields nn.Module: all GRUCells
            h = x.new_zeros(B, self.hidden_size) if h0 is None else h0[k]
            x_proj = F.linear(x, cell.weight_ih, cell.bias_ih)  # (T, B, 3H)
            outs = []
            for t in range(T):
                h = cell.step(x_proj[t], h)
                outs.append(h)
            x = self._between_layers(torch.stack(outs), k)
            h_n.append(h)
        return self._time_major(x), torch.stack(h_n)
