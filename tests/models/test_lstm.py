"""Our LSTM/GRU against PyTorch's, micrograd-style: copied weights, float64, 1e-10."""

import pytest
import torch
from torch import nn

from hakseup.models.lstm import GRU, LSTM, GRUCell, LSTMCell
from hakseup.models.recurrent import RecurrentNet

TOL = dict(atol=1e-10, rtol=1e-10)


def copy_params(src: nn.Module, dst: nn.Module) -> None:
    with torch.no_grad():
        for (n1, p1), (n2, p2) in zip(src.named_parameters(), dst.named_parameters()):
            assert p1.shape == p2.shape, (n1, n2)
            p2.copy_(p1)


def grads(m: nn.Module) -> list[torch.Tensor]:
    return [p.grad for p in m.parameters()]


def test_cell_matches_torch_lstmcell_outputs_and_gradients():
    torch.manual_seed(0)
    ours, ref = LSTMCell(5, 7).double(), nn.LSTMCell(5, 7).double()
    copy_params(ref, ours)
    x = torch.randn(3, 5, dtype=torch.float64, requires_grad=True)
    h = torch.randn(3, 7, dtype=torch.float64)
    c = torch.randn(3, 7, dtype=torch.float64)
    h1, c1 = ours(x, (h, c))
    h2, c2 = ref(x, (h, c))
    torch.testing.assert_close(h1, h2, **TOL)
    torch.testing.assert_close(c1, c2, **TOL)
    (h1.sum() + (c1 ** 2).sum()).backward()
    gx = x.grad.clone()
    x.grad = None
    (h2.sum() + (c2 ** 2).sum()).backward()
    torch.testing.assert_close(gx, x.grad, **TOL)
    for a, b in zip(grads(ours), grads(ref)):
        torch.testing.assert_close(a, b, **TOL)


@pytest.mark.parametrize("layers,compiled", [(1, False), (2, False),
                                             pytest.param(2, True, marks=pytest.mark.slow)])
def test_layer_matches_nn_lstm_outputs_and_gradients(layers, compiled):
    torch.manual_seed(1)
    ours = LSTM(4, 6, num_layers=layers, batch_first=True,
                compile_recurrence=compiled).double()
    ref = nn.LSTM(4, 6, num_layers=layers, batch_first=True).double()
    copy_params(ref, ours)
    x = torch.randn(3, 9, 4, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(layers, 3, 6, dtype=torch.float64, requires_grad=True)
    c0 = torch.randn(layers, 3, 6, dtype=torch.float64, requires_grad=True)
    out1, (h1, c1) = ours(x, (h0, c0))
    out2, (h2, c2) = ref(x, (h0, c0))
    for a, b in ((out1, out2), (h1, h2), (c1, c2)):
        torch.testing.assert_close(a, b, **TOL)
    w = torch.randn_like(out1)

    def loss(out, h, c):   # touches every output, h_n and c_n
        return (out * w).sum() + h.pow(2).sum() + c.sin().sum()

    g1 = torch.autograd.grad(loss(out1, h1, c1), [x, h0, c0, *ours.parameters()])
    g2 = torch.autograd.grad(loss(out2, h2, c2), [x, h0, c0, *ref.parameters()])
    for a, b in zip(g1, g2):
        torch.testing.assert_close(a, b, **TOL)


def test_hand_written_backward_passes_gradcheck():
    from hakseup.models.lstm import _LSTMRecurrence

    torch.manual_seed(2)
    args = [torch.randn(4, 2, 12, dtype=torch.float64, requires_grad=True),
            torch.randn(2, 3, dtype=torch.float64, requires_grad=True),
            torch.randn(2, 3, dtype=torch.float64, requires_grad=True),
            torch.randn(12, 3, dtype=torch.float64, requires_grad=True)]
    assert torch.autograd.gradcheck(_LSTMRecurrence.apply, args)


def test_gru_matches_nn_gru():
    torch.manual_seed(3)
    ours, ref = GRU(4, 5, num_layers=2).double(), nn.GRU(4, 5, num_layers=2,
                                                          batch_first=True).double()
    copy_params(ref, ours)
    x = torch.randn(2, 6, 4, dtype=torch.float64, requires_grad=True)
    out1, h1 = ours(x)
    out2, h2 = ref(x)
    torch.testing.assert_close(out1, out2, **TOL)
    torch.testing.assert_close(h1, h2, **TOL)
    g1 = torch.autograd.grad(out1.sum() + h1.sum(), [x, *ours.parameters()])
    g2 = torch.autograd.grad(out2.sum() + h2.sum(), [x, *ref.parameters()])
    for a, b in zip(g1, g2):
        torch.testing.assert_close(a, b, **TOL)
    cell, ref_cell = GRUCell(4, 5).double(), nn.GRUCell(4, 5).double()
    copy_params(ref_cell, cell)
    x1, h = torch.randn(3, 4, dtype=torch.float64), torch.randn(3, 5, dtype=torch.float64)
    torch.testing.assert_close(cell(x1, h), ref_cell(x1, h), **TOL)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_scratch_and_native_backends_are_interchangeable(kind):
    torch.manual_seed(4)
    scratch = RecurrentNet(28, 16, 10, num_layers=2, kind=kind, impl="scratch").double().eval()
    native = RecurrentNet(28, 16, 10, num_layers=2, kind=kind, impl="native").double().eval()
    if kind == "lstm":
        native.load_state_dict(scratch.state_dict())     # the same parameter names
    else:
        copy_params(scratch, native)
    x = torch.randn(5, 1, 28, 28, dtype=torch.float64)   # an image, read row by row
    torch.testing.assert_close(scratch(x), native(x), **TOL)


@pytest.mark.parametrize("failing", ["forward", "backward"])
def test_a_failed_compile_falls_back_to_the_eager_loops(monkeypatch, failing):
    import hakseup.models.lstm as lstm

    def compiled(name, fn):
        if name != failing:
            return fn                                   # eager stand-in for the compiled one

        def broken(*args):
            raise RuntimeError("no C++ compiler")
        return broken

    monkeypatch.setattr(lstm, "_compiled", compiled)
    torch.manual_seed(2)
    eager = LSTM(3, 5).double()
    ours = LSTM(3, 5, compile_recurrence=True).double()
    ours.load_state_dict(eager.state_dict())
    x = torch.randn(2, 4, 3, dtype=torch.float64)
    with pytest.warns(UserWarning, match="uncompiled"):
        out = ours(x)[0]
        out.sum().backward()
    eager(x)[0].sum().backward()
    torch.testing.assert_close(out, eager(x)[0], **TOL)
    for a, b in zip(grads(ours), grads(eager)):
        torch.testing.assert_close(a, b, **TOL)


def test_compile_flag_compiles_our_lstm_loops_not_the_module():
    from hakseup.training.trainer import Trainer

    model = RecurrentNet(3, 4, 2)
    assert Trainer(compile=True)._maybe_compile(model) is model
    assert model.rnn.compile_recurrence
