"""What only a CUDA GPU can check: the dataset resident on the device, mixed precision with
its scaler, compile, the scratch LSTM against cuDNN's, the NaN guard's batched reads, the NCCL
launch check, NVML, and the whole CLI run. Skipped where PyTorch sees no CUDA device."""

import json
import subprocess
import sys

import pytest
import torch

from conftest import assert_same_weights, crash_at_step_then_resume, quick_config, run_weights
from hakseup.data.bundle import DataBundle, Schema, Split
from hakseup.models.mlp import MLP
from hakseup.training.trainer import Trainer

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]


def synthetic(n: int, seed: int = 0) -> DataBundle:
    """A learnable 10-class problem: the class is the argmax of a fixed projection."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 32, generator=g)
    y = (x @ torch.randn(32, 10, generator=g)).argmax(1)
    cut = int(n * 0.8)
    schema = Schema("multiclass", "table", (32,), 10, class_names=[str(i) for i in range(10)])
    empty = Split((x[:0],), y[:0])
    return DataBundle(Split((x[:cut],), y[:cut]), Split((x[cut:],), y[cut:]), empty, schema,
                      None)


def mlp() -> MLP:
    torch.manual_seed(0)
    return MLP(32, [64], 10)


def test_the_dataset_moves_to_the_gpu_once_and_batches_are_slices_there():
    from torch.profiler import ProfilerActivity, profile

    bundle = synthetic(20_000)
    trainer = Trainer(epochs=1, batch_size=64, device="cuda", progress=False)
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        trainer.fit(mlp(), bundle)
        torch.cuda.synchronize()
    assert trainer.loader == "memory" and trainer.train_data.inputs[0].is_cuda
    steps = trainer.state.steps_per_epoch                                 # 250
    h2d = [e for e in prof.events() if "HtoD" in e.name]
    # The inputs and targets of both splits, plus a few scalars: not one copy per batch.
    assert len(h2d) < steps // 10, (len(h2d), steps, sorted({e.name for e in h2d}))


def test_cuda_training_agrees_with_the_cpu():
    bundle = synthetic(4_000)
    runs = {}
    for device in ("cpu", "cuda"):
        model = mlp()
        hist = Trainer(epochs=2, device=device, progress=False).fit(model, bundle)
        runs[device] = (hist, {k: v.cpu() for k, v in model.state_dict().items()})
    (h_cpu, w_cpu), (h_gpu, w_gpu) = runs["cpu"], runs["cuda"]
    for k in w_cpu:
        torch.testing.assert_close(w_gpu[k], w_cpu[k], atol=1e-4, rtol=1e-4)
    assert h_gpu[-1]["train_loss"] == pytest.approx(h_cpu[-1]["train_loss"], rel=1e-4)


@pytest.mark.parametrize("precision,dtype", [("bf16", torch.bfloat16), ("fp16", torch.float16)])
def test_mixed_precision_runs_in_the_low_dtype_and_learns(precision, dtype):
    bundle = synthetic(8_000)
    model = mlp()
    seen = []
    model.body[0].register_forward_hook(lambda m, i, o: seen.append(o.dtype))
    trainer = Trainer(epochs=5, lr=3e-3, device="cuda", precision=precision, progress=False)
    hist = trainer.fit(model, bundle)
    assert set(seen) == {dtype}
    assert next(model.parameters()).dtype == torch.float32         # master weights stay fp32
    assert (trainer.scaler is not None) == (precision == "fp16")
    if trainer.scaler is not None:
        assert trainer.scaler.get_scale() > 1
    assert hist[-1]["val_accuracy"] > 0.8, hist[-1]


def test_fp16_run_resumes_bit_identical_with_its_scaler(tmp_path, monkeypatch):
    extra = {"precision": "fp16", "checkpoint_every": 10}
    state = crash_at_step_then_resume(
        tmp_path, monkeypatch, lambda out: quick_config(out, epochs=3, device="cuda", **extra),
        step=30)
    assert state["scaler"] and state["scaler"]["scale"] > 0 and "cuda" in state["rng"]
    assert_same_weights(run_weights(tmp_path / "full"), run_weights(tmp_path / "part"))


def test_compile_on_cuda_trains_like_eager():
    bundle = synthetic(4_000)
    eager = Trainer(epochs=2, device="cuda", progress=False).fit(mlp(), bundle)
    trainer = Trainer(epochs=2, device="cuda", compile=True, progress=False)
    compiled = trainer.fit(mlp(), bundle)
    assert trainer._forward is not trainer.model                  # really wrapped
    assert compiled[-1]["train_loss"] == pytest.approx(eager[-1]["train_loss"], rel=1e-3)


@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "compiled"])
def test_scratch_lstm_matches_cudnn_lstm_on_the_gpu(compiled):
    from torch import nn

    from hakseup.models.lstm import LSTM

    torch.manual_seed(1)
    dev = torch.device("cuda")
    ours = LSTM(4, 6, num_layers=2, batch_first=True, compile_recurrence=compiled)
    ours = ours.double().to(dev)
    ref = nn.LSTM(4, 6, num_layers=2, batch_first=True).double().to(dev)
    with torch.no_grad():
        for p_ours, p_ref in zip(ours.parameters(), ref.parameters()):
            p_ours.copy_(p_ref)
    x = torch.randn(3, 9, 4, dtype=torch.float64, device=dev, requires_grad=True)
    out1, (h1, c1) = ours(x)
    out2, (h2, c2) = ref(x)
    tol = dict(atol=1e-10, rtol=1e-10)
    torch.testing.assert_close(out1, out2, **tol)
    w = torch.randn_like(out1)
    g1 = torch.autograd.grad((out1 * w).sum() + c1.sin().sum(), [x, *ours.parameters()])
    g2 = torch.autograd.grad((out2 * w).sum() + c2.sin().sum(), [x, *ref.parameters()])
    for a, b in zip(g1, g2):
        torch.testing.assert_close(a, b, **tol)


def test_nan_guard_reads_the_gpu_every_32_steps_and_names_the_window():
    from hakseup.training.callbacks import TrainingDiverged

    bundle = synthetic(20_000)
    bundle.train.inputs[0][64 * 40] = float("nan")                 # batch 41, unshuffled
    trainer = Trainer(epochs=1, shuffle=False, device="cuda", progress=False)
    with pytest.raises(TrainingDiverged, match=r"within steps 33-64 \(epoch 1\)"):
        trainer.fit(mlp(), bundle)


def test_dataloader_path_on_the_gpu_matches_the_in_memory_path():
    bundle = synthetic(4_000)
    results = []
    for loader in ("memory", "dataloader"):
        model = mlp()
        trainer = Trainer(epochs=2, device="cuda", loader=loader, progress=False)
        trainer.fit(model, bundle)
        assert trainer.loader == loader
        results.append(model.state_dict())
    for k in results[0]:
        torch.testing.assert_close(results[0][k], results[1][k], atol=1e-6, rtol=0)


def test_more_processes_than_gpus_is_one_clear_line(tmp_path):
    procs = torch.cuda.device_count() + 1
    r = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                        "--nproc-per-node", str(procs), "-m", "hakseup", "train", "--epochs", "1",
                        "--no-progress", "--output", str(tmp_path / "x")],
                       capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert r.returncode != 0
    ours = [ln for ln in r.stderr.splitlines() if ln.startswith("hakseup: error:")]
    assert ours and "NCCL needs one GPU per process" in ours[0], r.stderr[-2000:]
    assert not (tmp_path / "x").exists()


def test_gpu_command_reads_the_real_card(cli):
    code, out, _ = cli("gpu", "--json")
    assert code == 0
    status = json.loads(out)
    names = [g["name"] for g in status["gpus"]]
    assert len(names) == torch.cuda.device_count()
    assert torch.cuda.get_device_name(0) in names[0] or names[0] in torch.cuda.get_device_name(0)
    assert status["gpus"][0]["memory_total_mib"] > 1000


def test_the_default_cli_run_trains_on_the_gpu(tmp_path, cli):
    code, out, err = cli("train", "--no-progress", "--output", str(tmp_path / "r"))  # default
    assert code == 0, err
    env = json.loads((tmp_path / "r" / "environment.json").read_text())
    assert env["device"].startswith("cuda") and env["cuda_available"], env
    assert env["gpus"] and env["gpus"][0]["name"], env["gpus"]
    metrics = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert metrics["split"] == "test" and metrics["metrics"]["accuracy"] > 0.9, metrics
    assert (tmp_path / "r" / "report.html").exists() and (tmp_path / "r" / "report.md").exists()
