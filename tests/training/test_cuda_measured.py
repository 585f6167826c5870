"""The correctness behind benchmarks/gpu_check.py's CUDA figures: the trainer and the hand loop
end on the same weights on the GPU, bf16 learns like fp32, the image pipeline trains on the GPU
from a PNG folder, our scratch LSTM's float32 training step agrees with cuDNN's, and its step
can be captured in a CUDA graph without changing what it computes. Skipped without CUDA."""

import importlib.util
import json
from pathlib import Path

import pytest
import torch
from torch import nn

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _load(name: str):
    """A benchmark script as a module under a name no test package can shadow."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def bench():
    """benchmarks/run.py and gpu_check.py (their data and loops are what the figures are
    measured on); run.py sets torch's thread count on import, restored afterwards."""
    threads = torch.get_num_threads()
    try:
        yield _load("run"), _load("gpu_check")
    finally:
        torch.set_num_threads(threads)


def test_trainer_and_hand_loop_end_on_the_same_weights_on_the_gpu(bench):
    from hakseup.training.trainer import Trainer

    run, gpu_check = bench
    bundle = run._mnist_like(2_000)
    bundle.train = bundle.train.to("cuda")
    init = run._mlp().state_dict()
    ours, hand = run._mlp(), run._mlp().cuda()
    ours.load_state_dict(init)
    hand.load_state_dict(init)
    Trainer(epochs=2, batch_size=64, device="cuda", progress=False).fit(ours, bundle)
    run._hand_loop(hand, bundle.train.inputs[0], bundle.train.target, 2, 64, 0)
    same, diff = gpu_check.weight_diff(ours, hand)
    assert same, f"max abs difference {diff:.3g}"


def test_bf16_reaches_about_the_fp32_loss(bench):
    from hakseup.models.mlp import MLP
    from hakseup.training.trainer import Trainer

    bundle = bench[0]._mnist_like(4_000)
    losses = {}
    for precision in ("32", "bf16"):
        torch.manual_seed(0)
        hist = Trainer(epochs=3, batch_size=128, device="cuda", precision=precision,
                       progress=False).fit(MLP(784, [256], 10), bundle)
        losses[precision] = hist[-1]["train_loss"]
    # Random labels: the loss falls by memorising; bf16's rounding must not stop that.
    assert losses["bf16"] == pytest.approx(losses["32"], rel=0.05), losses


def test_a_png_folder_trains_on_the_gpu_in_bf16(tmp_path, bench, cli):
    gpu_check = bench[1]
    gpu_check.make_image_folder(tmp_path / "images", per_class=30)
    code, _, err = cli("train", "--data", tmp_path / "images", "--device", "cuda", "--epochs",
                       "2", "--precision", "bf16", "--no-progress", "--no-tensorboard",
                       "--references", "none", "--output", tmp_path / "run")
    assert code == 0, err
    env = json.loads((tmp_path / "run" / "environment.json").read_text())
    assert env["device"].startswith("cuda"), env
    lines = (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
    assert len(lines) == 2 and all(json.loads(ln)["train_loss"] < 10 for ln in lines)


def _same_start(impl_a: str, impl_b: str):
    """Two RecurrentNets (LSTM, 28 steps of 28 features, hidden 64) with the same weights."""
    from hakseup.models.recurrent import RecurrentNet

    torch.manual_seed(0)
    a = RecurrentNet(28, 64, 10, impl=impl_a).cuda()
    b = RecurrentNet(28, 64, 10, impl=impl_b).cuda()
    b.load_state_dict(a.state_dict())
    return a, b


def test_scratch_lstm_float32_training_steps_agree_with_cudnn(monkeypatch):
    monkeypatch.setattr(torch.backends.cuda.matmul, "allow_tf32", False)
    monkeypatch.setattr(torch.backends.cudnn, "allow_tf32", False)
    ours, ref = _same_start("scratch", "native")
    x = torch.randn(32, 28, 28, device="cuda")
    y = torch.randint(0, 10, (32,), device="cuda")
    opts = [torch.optim.SGD(m.parameters(), lr=0.1) for m in (ours, ref)]
    for _ in range(5):
        for m, opt in zip((ours, ref), opts):
            opt.zero_grad()
            nn.functional.cross_entropy(m(x), y).backward()
            opt.step()
    for (k, a), b in zip(ours.state_dict().items(), ref.state_dict().values()):
        torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-3, msg=k)


def test_a_cuda_graph_of_the_scratch_lstm_step_computes_the_eager_step(bench):
    """What gpu_check's ``scratch+graph_step`` times: forward, backward and SGD captured once
    and replayed end where the same eager steps end."""
    gpu_check = bench[1]
    x = torch.randn(16, 28, 28, device="cuda")
    y = torch.randint(0, 10, (16,), device="cuda")
    assert gpu_check.graph_vs_eager(x, y, n=4) < 1e-5
