"""Two CPU processes with gloo on 127.0.0.1 end where one process with the same global batch
ends."""

import json
import os
import subprocess
import sys

import pytest
import torch
from safetensors.torch import load_file

pytestmark = [pytest.mark.distributed, pytest.mark.slow]   # several processes: minutes

# --device cpu: gloo on the CPUs even where a GPU is present (one GPU cannot host two NCCL ranks).
ARGS = ["--device", "cpu", "--epochs", "2", "--no-progress", "--no-tensorboard", "--optimizer",
        "sgd", "--lr", "0.05",
        "--set", "model.dropout=0", "--set", "train.drop_last=true", "--batch-size", "64"]


@pytest.mark.parametrize("loader", [[], ["--loader", "dataloader", "--workers", "1"]],
                         ids=["in-memory", "dataloader"])
def test_two_gloo_processes_match_one_process(tmp_path, loader):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    r = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                        "--nproc-per-node", "2", "-m", "hakseup", "train", *ARGS, *loader,
                        "--output", str(tmp_path / "ddp")], capture_output=True, text=True,
                       timeout=300, env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.count("Run folder:") == 1                     # only rank 0 reports
    from hakseup.cli.main import main

    assert main(["train", *ARGS, "--output", str(tmp_path / "one")]) == 0
    a = load_file(str(tmp_path / "ddp" / "checkpoints" / "last" / "model.safetensors"))
    b = load_file(str(tmp_path / "one" / "checkpoints" / "last" / "model.safetensors"))
    for k in a:
        torch.testing.assert_close(a[k], b[k], atol=1e-6, rtol=0)
    lines = (tmp_path / "ddp" / "metrics.jsonl").read_text().splitlines()
    assert len(lines) == 2                                         # one writer
    single = [json.loads(ln)["train_loss"] for ln in
              (tmp_path / "one" / "metrics.jsonl").read_text().splitlines()]
    assert [json.loads(ln)["train_loss"] for ln in lines] == pytest.approx(single, rel=1e-5)


def test_global_batch_must_divide_among_processes(tmp_path):
    r = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                        "--nproc-per-node", "2", "-m", "hakseup", "train", "--epochs", "1",
                        "--device", "cpu", "--batch-size", "63", "--no-progress", "--output", str(tmp_path / "x")],
                       capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert r.returncode != 0
    ours = [ln for ln in r.stderr.splitlines() if ln.startswith("hakseup: error:")]
    assert ours and all("multiple of 2" in ln for ln in ours)
    # Each rank printed its one line before torchrun's own launcher report; no run folder.
    before_launcher = r.stderr.split("failed (exitcode")[0]
    assert "Traceback" not in before_launcher
    assert not (tmp_path / "x").exists()


def test_two_nodes_rendezvous_over_tcp_match_one_process(tmp_path):
    """Two torchrun agents, one process each, meeting at a c10d rendezvous endpoint as two
    machines would (here both on 127.0.0.1)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    launch = [sys.executable, "-m", "torch.distributed.run", "--nnodes", "2",
              "--nproc-per-node", "1", "--rdzv-backend", "c10d", "--rdzv-id", "hakseup-test",
              "--rdzv-endpoint", f"127.0.0.1:{port}", "-m", "hakseup", "train", *ARGS,
              "--output", str(tmp_path / "ddp")]
    nodes = [subprocess.Popen(launch, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=env, cwd=tmp_path) for _ in range(2)]
    outputs = [p.communicate(timeout=300) for p in nodes]          # (stdout, stderr) each
    assert [p.returncode for p in nodes] == [0, 0], [err[-2000:] for _, err in outputs]
    assert sum(out.count("Run folder:") for out, _ in outputs) == 1     # global rank 0 only
    from hakseup.cli.main import main

    assert main(["train", *ARGS, "--output", str(tmp_path / "one")]) == 0
    a = load_file(str(tmp_path / "ddp" / "checkpoints" / "last" / "model.safetensors"))
    b = load_file(str(tmp_path / "one" / "checkpoints" / "last" / "model.safetensors"))
    for k in a:
        torch.testing.assert_close(a[k], b[k], atol=1e-6, rtol=0)
