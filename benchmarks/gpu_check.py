"""The GPU path checked in one go (issue 28): every CUDA test, the GPU commands, the trainer
against a hand-written loop, mixed precision, the image pipeline against an airbench-style
reference loop, default CLI runs, a one-process NCCL/DDP run, and our LSTM's training step
against cuDNN's. Results go to one JSON file and a short table.

    python benchmarks/gpu_check.py --out gpu_check.json            # on a GPU machine, <= 8 min
    python benchmarks/gpu_check.py --out gpu_check.json --dry-run --quick   # on a CPU machine

Every part runs in its own child process (``--run-part NAME``) under its own ``timeout=``, so
a hung or crashed part is reported as ``fail`` and the next part still runs; an overall budget
(``--budget``, default 470 s) skips what no longer fits. Without a CUDA device each CUDA part
is ``skipped: no CUDA device``; with ``--dry-run`` its code also runs on the CPU at tiny sizes
and what it found is kept under the part's ``dry_run`` key (the part stays ``skipped``: a CPU
run proves the script works, not the GPU path). Speed figures are ratios against a reference
measured in the same process; medians of interleaved rounds (see benchmarks/run.py).

Parts run in the order of ``PARTS`` (the issue's two targets early, the CUDA test suite last
with what the budget leaves, up to its own limit); a part cut short is rerun alone, e.g.
``--parts pytest_gpu --out pytest_gpu.json``.

Setup on a fresh machine: a CUDA build of PyTorch, then ``pip install -e .`` (or put ``src``
on PYTHONPATH, which this script does for its children).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SRC = ROOT / "src"

# Each part's own wall-clock limit on a GPU machine (seconds); the sum of what they usually
# take is well under the 8-minute budget, the limits only bound a hang.
TIMEOUTS = {"pytest_gpu": 170, "doctor": 30, "gpu_json": 30, "trainer_vs_hand": 45,
            "precision": 45, "image_pipeline": 90, "cli_runs": 90, "ddp_nccl": 75,
            "lstm_step": 120}
CUDA_PARTS = {"pytest_gpu", "trainer_vs_hand", "precision", "image_pipeline", "cli_runs",
              "ddp_nccl", "lstm_step"}
NO_CUDA = "no CUDA device"


def child_env() -> dict[str, str]:
    """The environment of every subprocess: this checkout's ``src`` first on the path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def run_cmd(cmd: list[str], timeout: float, cwd: Path | None = None) -> dict:
    """Run ``cmd``; its exit status, wall time and output tail (never raises on a timeout).

    The command gets a process group of its own and a timeout kills the whole group: a plain
    ``subprocess.run(timeout=)`` kills only the child, then waits for pipes that its own
    children (torchrun's ranks, pytest's subprocesses) may hold open."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=child_env(), cwd=cwd, start_new_session=True)
    timed_out = False
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, err = proc.communicate()
    return {"rc": None if timed_out else proc.returncode, "timed_out": timed_out,
            "seconds": round(time.perf_counter() - t0, 2),
            "stdout": (out or "")[-1500:], "stderr": (err or "")[-1500:]}


def hakseup(*args: str) -> list[str]:
    return [sys.executable, "-m", "hakseup", *args]


# --------------------------------------------------------------------------- timing helpers


def sync() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.synchronize()


def interleaved(fns: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Median seconds of each function over rounds that alternate them (drift hits all alike),
    and ``ratio:a/b``: the median of the per-round ratios."""
    times: dict[str, list[float]] = {k: [] for k in fns}
    for fn in fns.values():                      # warm-up: first-call costs excluded
        fn()
        sync()
    for _ in range(repeats):
        for k, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            sync()
            times[k].append(time.perf_counter() - t0)
    out = {k: statistics.median(v) for k, v in times.items()}
    for a in fns:
        for b in fns:
            if a != b:
                out[f"ratio:{a}/{b}"] = statistics.median(
                    x / y for x, y in zip(times[a], times[b]))
    return out


def weight_diff(a, b) -> tuple[bool, float]:
    """(bit-identical, max abs difference) of two modules' state dicts."""
    import torch

    sa, sb = a.state_dict(), b.state_dict()
    same = all(torch.equal(sa[k].cpu(), sb[k].cpu()) for k in sa)
    diff = max(float((sa[k].float().cpu() - sb[k].float().cpu()).abs().max()) for k in sa
               if sa[k].numel())
    return same, diff


def device_for(args) -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


# --------------------------------------------------------------------------- subprocess parts


def part_pytest_gpu(args) -> dict:
    """Every test marked ``gpu``, slow ones too; ok when some passed and none failed."""
    # addopts (-q, -m 'not slow') replaced: one -q keeps pytest's summary line, parsed below.
    r = run_cmd([sys.executable, "-m", "pytest", "-o", "addopts=", "-m", "gpu", "-q", "-rfE",
                 "-p", "no:cacheprovider", "tests"], args.timeout, cwd=ROOT)
    lines = [ln for ln in r["stdout"].splitlines() if ln.strip()]
    tail = lines[-1] if lines else ""
    counts = {k: int(n) for n, k in re.findall(r"(\d+) (passed|failed|skipped|errors?)", tail)}
    counts["errors"] = counts.pop("error", 0) + counts.pop("errors", 0)
    ok = r["rc"] == 0 and counts.get("passed", 0) > 0 and not counts.get("failed")
    return {"status": "ok" if ok else "fail", "passed": counts.get("passed", 0),
            "failed": counts.get("failed", 0), "skipped": counts.get("skipped", 0),
            "errors": counts["errors"], "seconds": r["seconds"], "summary": tail,
            **({} if ok else {"reason": "timed out" if r["timed_out"] else
                              f"{counts.get('failed', 0)} failed, {counts['errors']} errors"
                              if counts.get("failed") or counts["errors"] else
                              "none passed (does PyTorch see the GPU?)",
                              "output_tail": r["stdout"][-1500:] + r["stderr"][-500:]})}


def part_doctor(args) -> dict:
    r = run_cmd(hakseup("doctor"), args.timeout)
    marks = [ln.split()[0] for ln in r["stdout"].splitlines() if ln.strip()]
    return {"status": "ok" if r["rc"] == 0 else "fail", "rc": r["rc"], "seconds": r["seconds"],
            "checks": {m: marks.count(m) for m in ("ok", "WARN", "FAIL", "--")},
            "output_tail": r["stdout"][-1200:],
            **({} if r["rc"] == 0 else {"reason": "timed out" if r["timed_out"]
                                        else f"exit status {r['rc']}",
                                        "stderr": r["stderr"][-800:]})}


def part_gpu_json(args) -> dict:
    """``hakseup gpu --json`` (NVML). Exit 1 means no GPU: skipped where torch sees none."""
    import torch

    r = run_cmd(hakseup("gpu", "--json"), args.timeout)
    if r["rc"] != 0:
        if not torch.cuda.is_available():
            return {"status": "skipped", "reason": NO_CUDA, "rc": r["rc"],
                    "stderr": r["stderr"][-400:]}
        return {"status": "fail", "reason": f"exit status {r['rc']}", "stderr": r["stderr"]}
    status = json.loads(r["stdout"])
    gpus = status.get("gpus") or []
    return {"status": "ok" if gpus else "fail", "seconds": r["seconds"],
            "driver_version": status.get("driver"), "cuda_version": status.get("cuda"),
            "gpus": [{k: g.get(k) for k in ("name", "memory_total_mib")} for g in gpus]}


# --------------------------------------------------------------------------- in-process parts


def part_trainer_vs_hand(args) -> dict:
    """``Trainer.fit`` against benchmarks/run.py's hand loop (same data on the device, same
    seed, fused Adam): final weights bit-identical or their max abs difference; time ratio."""
    sys.path.insert(0, str(HERE))
    from hakseup.training.trainer import Trainer
    from run import _hand_loop, _mlp, _mnist_like

    dev = device_for(args)
    n, epochs, repeats = (512, 1, 1) if args.small else (20_000, 2, 5)
    bundle = _mnist_like(n)
    bundle.train = bundle.train.to(dev)
    x, y = bundle.train.inputs[0], bundle.train.target
    init = _mlp().state_dict()

    def ours():
        m = _mlp()
        m.load_state_dict(init)
        Trainer(epochs=epochs, batch_size=64, device=dev, progress=False).fit(m, bundle)
        return m

    def hand():
        m = _mlp().to(dev)
        m.load_state_dict(init)
        return _hand_loop(m, x, y, epochs, 64, 0)

    same, diff = weight_diff(ours(), hand())
    t = interleaved({"ours": ours, "hand": hand}, repeats)
    ratio = t["ratio:ours/hand"]
    return {"status": "ok", "device": dev, "samples": n, "epochs": epochs, "batch": 64,
            "weights_bit_identical": same, "weights_max_abs_diff": diff,
            "trainer_s": t["ours"], "hand_s": t["hand"], "ratio_trainer_over_hand": ratio,
            "target": "<= 1.03x, identical weights",
            "met": bool(ratio <= 1.03 and same) if dev == "cuda" else None}


def part_precision(args) -> dict:
    """The same fit in fp32, bf16 and fp16: seconds (second of two fits) and final loss."""
    import torch

    from hakseup.models.mlp import MLP
    from hakseup.training.trainer import Trainer

    sys.path.insert(0, str(HERE))
    from run import _mnist_like

    dev = device_for(args)
    n, epochs = (512, 1) if args.small else (30_000, 2)
    bundle = _mnist_like(n)
    out: dict = {"status": "ok", "device": dev, "samples": n, "epochs": epochs, "batch": 256}
    for precision in ("32", "bf16", "fp16"):
        if dev == "cpu" and precision == "fp16":
            out[precision] = {"status": "skipped", "reason": "fp16 needs CUDA"}
            continue
        runs = []
        for _ in range(2):                         # the first fit pays the warm-up
            torch.manual_seed(0)
            model = MLP(784, [1024, 1024], 10)
            t0 = time.perf_counter()
            hist = Trainer(epochs=epochs, batch_size=256, device=dev, precision=precision,
                           progress=False).fit(model, bundle)
            sync()
            runs.append((time.perf_counter() - t0, hist[-1]["train_loss"]))
        out[precision] = {"seconds": runs[-1][0], "final_train_loss": runs[-1][1]}
    base = out["32"]["seconds"]
    for p in ("bf16", "fp16"):
        if "seconds" in out[p]:
            out[p]["time_ratio_vs_fp32"] = out[p]["seconds"] / base
    return out


def make_image_folder(root: Path, per_class: int, seed: int = 0) -> int:
    """A CIFAR-shaped folder: 10 class folders of 32x32 RGB PNGs whose mean colour depends on
    the class (learnable, so the loss falls); the number of images."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    for c in range(10):
        folder = root / f"class{c}"
        folder.mkdir(parents=True, exist_ok=True)
        tint = rng.integers(0, 256, 3)
        for i in range(per_class):
            img = np.clip(rng.normal(tint, 60, (32, 32, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(img).save(folder / f"{i:05d}.png")
    return 10 * per_class


def train_rows(n: int) -> int:
    """The training rows of hakseup's default split (15% test, then 15% of the rest val)."""
    n_test = round(0.15 * n)
    return n - n_test - round(0.15 * (n - n_test))


def airbench_net(width: int = 64):
    """airbench's shape: a whitening-size stem, three conv groups with max-pooling, BatchNorm
    and GELU, a max-pooled linear head."""
    from torch import nn

    def group(cin, cout):
        return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.MaxPool2d(2),
                             nn.BatchNorm2d(cout), nn.GELU(),
                             nn.Conv2d(cout, cout, 3, padding=1, bias=False),
                             nn.BatchNorm2d(cout), nn.GELU())

    return nn.Sequential(nn.Conv2d(3, 24, 2, padding=0, bias=True), nn.GELU(),
                         group(24, width), group(width, 4 * width), group(4 * width, 4 * width),
                         nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Linear(4 * width, 10))


def reference_images_per_s(folder: Path, n_train: int, epochs: int, batch: int, dev: str,
                           ) -> tuple[float, float]:
    """The airbench-style loop over the same PNGs: decoded once, uint8 on the device,
    normalised per batch, random flips, channels_last, autocast; (images/s, final loss)."""
    import numpy as np
    import torch
    from PIL import Image
    from torch import nn

    files = sorted(folder.glob("*/*.png"))
    g = torch.Generator().manual_seed(0)
    order = torch.randperm(len(files), generator=g)[:n_train].tolist()
    x = torch.from_numpy(np.stack([np.asarray(Image.open(files[i]).convert("RGB"))
                                   for i in order])).permute(0, 3, 1, 2).contiguous().to(dev)
    y = torch.tensor([int(files[i].parent.name[5:]) for i in order], device=dev)
    torch.manual_seed(0)
    net = airbench_net().to(dev).to(memory_format=torch.channels_last)
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, nesterov=True,
                          weight_decay=5e-4)
    dtype = torch.bfloat16 if dev == "cpu" or torch.cuda.is_bf16_supported() else torch.float16
    scaler = torch.amp.GradScaler(dev, enabled=dtype == torch.float16)
    mean, std = x.float().mean((0, 2, 3), keepdim=True), x.float().std((0, 2, 3), keepdim=True)
    times, loss = [], torch.zeros(())
    for _ in range(epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(n_train, device=dev)
        for i in range(0, n_train, batch):
            idx = perm[i:i + batch]
            xb = ((x[idx].float() - mean) / std).contiguous(memory_format=torch.channels_last)
            flip = torch.rand(len(idx), 1, 1, 1, device=dev) < 0.5
            xb = torch.where(flip, xb.flip(-1), xb)
            with torch.autocast(dev, dtype=dtype):
                loss = nn.functional.cross_entropy(net(xb), y[idx], label_smoothing=0.2)
            opt.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
        sync()
        times.append(time.perf_counter() - t0)
    per_epoch = statistics.median(times[1:] or times)          # the first epoch warms up
    return n_train / per_epoch, float(loss)


def part_image_pipeline(args) -> dict:
    """``hakseup train`` on a generated CIFAR-shaped PNG folder against the reference loop:
    images/s from the run's per-epoch times (median of epochs after the first; the epoch time
    includes the validation pass), the same training-row count and batch for the reference."""
    import torch

    dev = device_for(args)
    per_class, epochs, batch = (12, 2, 32) if args.small else (1000, 4, 256)
    with tempfile.TemporaryDirectory() as tmp:
        folder, run = Path(tmp) / "images", Path(tmp) / "run"
        t0 = time.perf_counter()
        n = make_image_folder(folder, per_class)
        made_s = time.perf_counter() - t0
        precision = "bf16" if dev == "cpu" or torch.cuda.is_bf16_supported() else "fp16"
        r = run_cmd(hakseup("train", "--data", str(folder), "--device", dev, "--epochs",
                            str(epochs), "--batch-size", str(batch), "--precision", precision,
                            "--no-progress", "--no-tensorboard", "--references", "none",
                            "--output", str(run)), max(10.0, args.timeout - 30))
        if r["rc"] != 0:
            return {"status": "fail", "reason": "timed out" if r["timed_out"]
                    else f"hakseup train exit {r['rc']}", "stderr": r["stderr"][-1200:]}
        lines = [json.loads(ln) for ln in (run / "metrics.jsonl").read_text().splitlines()]
        secs = [ln["time"] for ln in lines if "time" in ln]
        n_train = train_rows(n)
        ours = n_train / statistics.median(secs[1:] or secs)
        ref, ref_loss = reference_images_per_s(folder, n_train, epochs, batch, dev)
        model = json.loads((run / "run.json").read_text()).get("model")
    return {"status": "ok", "device": dev, "images": n, "train_images": n_train,
            "epochs": epochs, "batch": batch, "precision": precision, "model": model,
            "png_generation_s": made_s, "hakseup_train_wall_s": r["seconds"],
            "hakseup_images_per_s": ours, "reference_images_per_s": ref,
            "ratio_reference_over_hakseup": ref / ours, "reference_final_loss": ref_loss,
            "note": "different networks (hakseup's default image model vs airbench's): the "
                    "ratio is the price of the pipeline and model together"}


def write_series_csv(path: Path, n: int) -> None:
    """A daily series: trend, weekly season and noise."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    t = np.arange(n)
    value = 100 + 0.05 * t + 5 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 1, n)
    pd.DataFrame({"date": pd.date_range("2020-01-01", periods=n, freq="D"),
                  "value": value}).to_csv(path, index=False)


def write_sequence_csv(path: Path, n: int, steps: int = 20, features: int = 2) -> None:
    """Sequences of ``steps`` x ``features`` flattened into columns; the label is whether the
    first feature's sum over time is positive."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, steps, features))
    frame = pd.DataFrame(x.reshape(n, -1), columns=[f"x{i}" for i in range(steps * features)])
    frame["label"] = (x[:, :, 0].sum(1) > 0).astype(int)
    frame.to_csv(path, index=False)


def cli_run(name: str, extra: list[str], dev: str, out: Path, timeout: float) -> dict:
    """One ``hakseup train`` run: exit status, wall time, the device it used, its metric."""
    run = out / name
    r = run_cmd(hakseup("train", *extra, "--device", dev, "--no-progress", "--no-tensorboard",
                        "--references", "none", "--output", str(run)), timeout)
    if r["rc"] != 0:
        return {"status": "fail", "reason": "timed out" if r["timed_out"]
                else f"exit status {r['rc']}", "stderr": r["stderr"][-800:]}
    env = json.loads((run / "environment.json").read_text())
    info = json.loads((run / "run.json").read_text())
    used = str(env.get("device"))
    return {"status": "ok" if used.startswith(dev) else "fail", "device_used": used,
            "model": info.get("model"), "wall_s": r["seconds"],
            "main_metric": info.get("main_metric"),
            **({} if used.startswith(dev) else {"reason": f"ran on {used}, not {dev}"})}


def part_cli_runs(args) -> dict:
    """The default table run (digits), a time series and a sequence (our scratch LSTM), each
    ``hakseup train --device <dev>``; on a CPU machine they run with ``--device cpu``."""
    dev = device_for(args)
    epochs = "1" if args.small else "5"
    runs: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        write_series_csv(out / "series.csv", 300 if args.small else 1500)
        write_sequence_csv(out / "seq.csv", 200 if args.small else 4000)
        plans = {"table": ["--epochs", epochs],
                 "series": ["--data", str(out / "series.csv"), "--time-col", "date",
                            "--target", "value", "--window", "14", "--epochs", epochs],
                 "sequence": ["--data", str(out / "seq.csv"), "--target", "label",
                              "--layout", "sequence", "--sequence-shape", "20x2", "--model",
                              "lstm", "--lstm-impl", "scratch", "--epochs", epochs]}
        if args.quick:                      # one smoke run keeps the CPU check quick
            plans = {"table": plans["table"]}
        deadline = time.monotonic() + args.timeout - 5
        for name, extra in plans.items():
            left = deadline - time.monotonic()
            runs[name] = (cli_run(name, extra, dev, out, left) if left > 5 else
                          {"status": "skipped", "reason": "the part's time limit was spent"})
    failed = [k for k, v in runs.items() if v["status"] == "fail"]
    return {"status": "fail" if failed else "ok", "device": dev, "epochs": int(epochs),
            "runs": runs, **({"reason": f"failed: {', '.join(failed)}"} if failed else {})}


# One rank of a DDP run: joins the process group (NCCL on a GPU, gloo on the CPU), trains a
# model in DistributedDataParallel and the same model alone from the same weights on the same
# batches, runs an all-reduce, and prints what it found as one JSON line.
DDP_RANK = r'''
import json, os, sys, time
import torch, torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from hakseup.training.distributed import all_reduce_sum
from hakseup.models.mlp import MLP

backend = sys.argv[1]
dev = torch.device("cpu")
if backend == "nccl":
    dev = torch.device("cuda", int(os.environ["LOCAL_RANK"]))
if backend == "nccl":
    torch.cuda.set_device(dev)
dist.init_process_group(backend=backend)
torch.manual_seed(0)
alone = MLP(32, [64], 10).to(dev)
ddp_model = MLP(32, [64], 10).to(dev)
ddp_model.load_state_dict(alone.state_dict())
alone.eval(); ddp_model.eval()                      # no dropout: the two must agree
ddp = DistributedDataParallel(ddp_model, device_ids=[dev.index] if backend == "nccl" else None)
opts = [torch.optim.SGD(m.parameters(), lr=0.1) for m in (alone, ddp)]
g = torch.Generator().manual_seed(1)
t0 = time.perf_counter()
for step in range(50):
    x = torch.randn(64, 32, generator=g).to(dev)
    y = torch.randint(0, 10, (64,), generator=g).to(dev)
    for m, opt in zip((alone, ddp), opts):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(m(x), y).backward()
        opt.step()
total = torch.ones(1, device=dev)
dist.all_reduce(total)                              # a collective on the backend itself
all_reduce_sum(total)                               # hakseup's helper (a no-op at world 1)
if dev.type == "cuda":
    torch.cuda.synchronize()
diff = max(float((a - b).abs().max()) for a, b in zip(alone.state_dict().values(),
                                                       ddp_model.state_dict().values()))
print("DDP_RESULT " + json.dumps({"backend": dist.get_backend(), "world": dist.get_world_size(),
      "all_reduce_sum": float(total), "max_abs_diff_vs_alone": diff,
      "seconds": time.perf_counter() - t0}))
dist.destroy_process_group()
'''


def part_ddp_nccl(args) -> dict:
    """``torchrun --nproc-per-node 1``: (a) a DDP rank on NCCL (hakseup's training path only
    joins a process group when WORLD_SIZE > 1, so one process is checked with this rank
    script); (b) ``hakseup train`` launched by torchrun; (c) with 2+ GPUs, hakseup's own DDP
    path with two NCCL ranks."""
    import torch

    dev = device_for(args)
    backend = "nccl" if dev == "cuda" else "gloo"
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
    out: dict = {"device": dev, "backend": backend}
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "ddp_rank.py"
        script.write_text(DDP_RANK)
        deadline = time.monotonic() + args.timeout - 3
        r = run_cmd([*torchrun, "--nproc-per-node", "1", str(script), backend],
                    args.timeout * 0.4, cwd=Path(tmp))
        found = [ln for ln in r["stdout"].splitlines() if ln.startswith("DDP_RESULT ")]
        if r["rc"] != 0 or not found:
            return {**out, "status": "fail", "reason": "timed out" if r["timed_out"]
                    else f"exit status {r['rc']}", "stderr": r["stderr"][-1200:]}
        out["rank_script"] = json.loads(found[0].split(" ", 1)[1])
        ok = out["rank_script"]["max_abs_diff_vs_alone"] < 1e-5
        gpus = torch.cuda.device_count()
        plans = [("hakseup_train_1proc", 1)] if not args.quick else []
        plans += [("hakseup_train_ddp_2proc", 2)] if gpus >= 2 else []
        for i, (name, procs) in enumerate(plans):
            left = (deadline - time.monotonic()) / (len(plans) - i)
            r = run_cmd([*torchrun, "--nproc-per-node", str(procs), "-m", "hakseup", "train",
                         "--device", dev, "--epochs", "2", "--no-progress", "--no-tensorboard",
                         "--references", "none", "--output", str(Path(tmp) / name)],
                        max(left, 1.0), cwd=Path(tmp))
            out[name] = {"rc": r["rc"], "wall_s": r["seconds"],
                         **({} if r["rc"] == 0 else {"stderr": r["stderr"][-800:]})}
            ok = ok and r["rc"] == 0
        if gpus < 2:
            out["hakseup_train_ddp_2proc"] = {"status": "skipped", "reason": "needs 2 GPUs"}
    return {**out, "status": "ok" if ok else "fail",
            **({} if ok else {"reason": "DDP weights differ or a torchrun run failed"})}


# --------------------------------------------------------------------------- LSTM step


def lstm_step_fn(impl: str, x, y, compiled: bool = False, graphed: str = ""):
    """One SGD training step of RecurrentNet (batch, 28 steps, hidden 128) on ``impl``
    (``scratch``: ours; ``native``: nn.LSTM, cuDNN on a GPU) — eager, with the compiled time
    loops (ours) / ``torch.compile`` (native), or under CUDA graphs: ``step`` captures
    forward, backward and the optimizer step in one ``torch.cuda.CUDAGraph``; ``module``
    wraps the model with ``torch.cuda.make_graphed_callables`` (optimizer eager).
    Returns (step function, model)."""
    import torch
    from torch import nn

    from hakseup.models.recurrent import RecurrentNet

    torch.manual_seed(0)
    model = RecurrentNet(28, 128, 10, impl=impl).to(x.device)
    forward = model
    if compiled and impl == "scratch":
        model.rnn.compile_recurrence = True                 # what --compile does for ours
    elif compiled:
        forward = torch.compile(model)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    if graphed == "module":
        forward = torch.cuda.make_graphed_callables(model, (x,))
    if graphed != "step":
        def step():
            opt.zero_grad(set_to_none=True)
            nn.functional.cross_entropy(forward(x), y).backward()
            opt.step()
        return step, model
    side = torch.cuda.Stream()                     # warm up on a side stream, as documented
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(3):
            opt.zero_grad(set_to_none=True)
            nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    opt.zero_grad(set_to_none=True)
    with torch.cuda.graph(graph):
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    return graph.replay, model


def part_lstm_step(args) -> dict:
    """Our scratch LSTM's training step against nn.LSTM's (cuDNN), median of interleaved
    rounds; every variant that builds is timed, one that fails says why."""
    import torch

    dev = device_for(args)
    batch, repeats = (16, 2) if args.small else (100, 30)
    x = torch.randn(batch, 28, 28, device=dev)
    y = torch.randint(0, 10, (batch,), device=dev)
    variants = {"native": ("native", False, ""), "scratch": ("scratch", False, "")}
    if dev == "cuda":                # cheap first: a compile may take a minute
        variants.update({"native+graph_step": ("native", False, "step"),
                         "scratch+graph_step": ("scratch", False, "step"),
                         "scratch+graph_module": ("scratch", False, "module"),
                         "scratch+compile": ("scratch", True, ""),
                         "native+compile": ("native", True, "")})
    steps, notes, build_s = {}, {}, {}
    deadline = time.monotonic() + args.timeout
    for name, (impl, compiled, graphed) in variants.items():
        # Keep time to measure what was built: a compile is not started with < 60 s left.
        if deadline - time.monotonic() < (60 if compiled else 20):
            notes[name] = "not built: the part's time limit was near"
            continue
        t0 = time.perf_counter()
        try:
            step, _ = lstm_step_fn(impl, x, y, compiled, graphed)
            step()                                          # compiles / checks the capture
            sync()
        except Exception as e:  # a variant the model does not support: say why, time the rest
            notes[name] = f"{type(e).__name__}: {str(e)[:300]}"
            continue
        build_s[name] = time.perf_counter() - t0
        steps[name] = step
    t = interleaved(steps, repeats)
    ours = {k: t[f"ratio:{k}/native"] for k in steps if k.startswith("scratch")}
    best = min(ours, key=ours.get)
    out = {"status": "ok", "device": dev, "batch": batch, "steps": 28, "hidden": 128,
           "median_step_ms": {k: 1e3 * t[k] for k in steps},
           "ratio_vs_native_eager": {k: t[f"ratio:{k}/native"] for k in steps if k != "native"},
           "first_step_s": build_s, "failed_variants": notes, "best_ours": best,
           "best_ratio_vs_cudnn_eager": ours[best], "target": "<= 1.5x cuDNN",
           "met": bool(ours[best] <= 1.5) if dev == "cuda" else None}
    if dev == "cuda" and "scratch+graph_step" in steps:
        out["graph_step_weights_max_abs_diff_vs_eager"] = graph_vs_eager(x, y)
    return out


def graph_vs_eager(x, y, n: int = 5) -> float:
    """Max abs weight difference between n graph replays and n eager steps of ours (same
    start): the captured step must compute the same update."""
    eager, m_eager = lstm_step_fn("scratch", x, y)
    for _ in range(3 + n):                  # the capture's 3 warm-up steps, then n replays
        eager()
    replay, m_graph = lstm_step_fn("scratch", x, y, graphed="step")
    for _ in range(n):
        replay()
    sync()
    return weight_diff(m_eager, m_graph)[1]


# --------------------------------------------------------------------------- orchestration


# In order of what the targets need most, so that a short budget cuts the least
# important: the GPU commands, the two targets (LSTM step, trainer vs hand loop), then the rest;
# the CUDA test suite last, with what is left (up to its own limit).
PARTS: dict[str, Callable[[argparse.Namespace], dict]] = {
    "doctor": part_doctor, "gpu_json": part_gpu_json, "lstm_step": part_lstm_step,
    "trainer_vs_hand": part_trainer_vs_hand, "precision": part_precision,
    "image_pipeline": part_image_pipeline, "ddp_nccl": part_ddp_nccl,
    "cli_runs": part_cli_runs, "pytest_gpu": part_pytest_gpu}


def environment() -> dict:
    """Device, driver and CUDA versions, torch, Python, the commit."""
    import torch

    env = {"python": platform.python_version(), "platform": platform.platform(),
           "torch": torch.__version__, "torch_cuda": torch.version.cuda,
           "cudnn": torch.backends.cudnn.version() if torch.backends.cudnn.is_available()
           else None, "cuda_available": torch.cuda.is_available(),
           "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu",
           "gpu_count": torch.cuda.device_count(), "cpu_count": os.cpu_count(),
           "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None}
    if shutil.which("nvidia-smi"):
        r = run_cmd(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"], 20)
        env["driver"] = r["stdout"].strip().splitlines()[0] if r["rc"] == 0 else None
    git = run_cmd(["git", "-C", str(ROOT), "rev-parse", "HEAD"], 10) if shutil.which("git") \
        else {"rc": 1}
    env["commit"] = git["stdout"].strip() if git["rc"] == 0 else None
    if env["commit"]:
        dirty = run_cmd(["git", "-C", str(ROOT), "status", "--porcelain"], 10)
        env["worktree_dirty"] = bool(dirty["stdout"].strip())
    return env


def run_part_in_child(name: str, timeout: float, small: bool, quick: bool) -> dict:
    """``name`` in a child process under ``timeout``: its dict, or a fail saying why."""
    with tempfile.TemporaryDirectory() as tmp:
        result = Path(tmp) / "part.json"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--run-part", name, "--result",
               str(result), "--part-timeout", str(timeout), *(["--small"] if small else []),
               *(["--quick"] if quick else [])]
        r = run_cmd(cmd, timeout)
        if result.exists():
            out = json.loads(result.read_text())
        elif r["timed_out"]:
            out = {"status": "fail", "reason": f"timed out after {timeout:.0f} s"}
        else:
            out = {"status": "fail", "reason": f"crashed (exit status {r['rc']})",
                   "stderr": r["stderr"][-1500:]}
    out["part_wall_s"] = r["seconds"]
    return out


def child_main(args: argparse.Namespace) -> int:
    """Run one part in this process and write its dict (an exception becomes a fail)."""
    args.timeout = args.part_timeout
    try:
        out = PARTS[args.run_part](args)
    except Exception as e:  # a broken part is a result, not the end of the check
        import traceback

        out = {"status": "fail", "reason": f"{type(e).__name__}: {str(e)[:500]}",
               "traceback": traceback.format_exc()[-2000:]}
    Path(args.result).write_text(json.dumps(out, indent=1, default=str))
    return 0


def check(args: argparse.Namespace) -> dict:
    """Every selected part in order, within the overall budget."""
    import torch

    cuda = torch.cuda.is_available()
    start, report = time.monotonic(), {"environment": environment(), "parts": {}}
    report["settings"] = {"quick": args.quick, "dry_run": args.dry_run, "budget_s": args.budget}
    for name in args.parts:
        left = args.budget - (time.monotonic() - start)
        limit = min(TIMEOUTS[name], left)
        if name in CUDA_PARTS and not cuda:
            out: dict = {"status": "skipped", "reason": NO_CUDA}
            # pytest -m gpu on a CPU machine would only count skips; not worth its collection.
            if args.dry_run and name != "pytest_gpu" and limit > 5:
                out["dry_run"] = run_part_in_child(name, limit, small=True, quick=args.quick)
        elif limit < 10:
            out = {"status": "skipped", "reason": "the overall time budget was spent"}
        else:
            out = run_part_in_child(name, limit, small=args.quick, quick=args.quick)
        report["parts"][name] = out
        print(f"  {name:<16} {row_text(out)}", flush=True)
    report["total_s"] = round(time.monotonic() - start, 1)
    return report


def figure(out: dict) -> str:
    """The one figure a part is read by, for the table."""
    if "passed" in out:
        return f"{out['passed']} passed, {out['failed']} failed, {out['errors']} errors"
    if "ratio_trainer_over_hand" in out:
        same = "identical" if out["weights_bit_identical"] else \
            f"max diff {out['weights_max_abs_diff']:.2g}"
        return f"trainer/hand {out['ratio_trainer_over_hand']:.3f}x, weights {same}"
    if "best_ratio_vs_cudnn_eager" in out:
        return f"ours/cuDNN {out['best_ratio_vs_cudnn_eager']:.2f}x ({out['best_ours']})"
    if "ratio_reference_over_hakseup" in out:
        return (f"{out['hakseup_images_per_s']:.0f} img/s vs reference "
                f"{out['reference_images_per_s']:.0f} img/s")
    if "bf16" in out and "seconds" in out.get("32", {}):
        return ", ".join(f"{p}: {out[p]['seconds']:.2f} s loss {out[p]['final_train_loss']:.3f}"
                         for p in ("32", "bf16", "fp16") if "seconds" in out[p])
    if "runs" in out:
        return ", ".join(f"{k} {v['status']}" for k, v in out["runs"].items())
    if "rank_script" in out:
        rank = out["rank_script"]
        return f"{rank['backend']} DDP, weights vs alone {rank['max_abs_diff_vs_alone']:.1g}"
    if "checks" in out:
        return ", ".join(f"{n} {m}" for m, n in out["checks"].items() if n)
    if "gpus" in out:
        return ", ".join(g["name"] or "?" for g in out["gpus"])
    return out.get("reason", "")


def row_text(out: dict) -> str:
    text = f"{out['status']:<8} {figure(out)}"
    if "dry_run" in out:
        d = out["dry_run"]
        text += f"  [dry run on CPU: {d['status']}; {figure(d)}]"
    elif out["status"] != "ok" and out.get("reason") and out.get("reason") not in text:
        text += f" ({out['reason']})"
    return text


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default="gpu_check.json", help="the JSON file written")
    p.add_argument("--quick", action="store_true", help="tiny sizes everywhere")
    p.add_argument("--dry-run", action="store_true",
                   help="without CUDA, also run each CUDA part's code on the CPU at tiny sizes")
    p.add_argument("--parts", default=",".join(PARTS),
                   help=f"comma-separated, in order; default all: {','.join(PARTS)}")
    p.add_argument("--budget", type=float, default=470.0, help="overall seconds")
    p.add_argument("--run-part", help=argparse.SUPPRESS)
    p.add_argument("--result", help=argparse.SUPPRESS)
    p.add_argument("--part-timeout", type=float, default=60.0, help=argparse.SUPPRESS)
    p.add_argument("--small", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    sys.path.insert(0, str(SRC))
    if args.run_part:
        return child_main(args)
    args.parts = [s.strip() for s in args.parts.split(",") if s.strip()]
    unknown = [s for s in args.parts if s not in PARTS]
    if unknown:
        p.error(f"unknown part(s) {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    report = check(args)
    Path(args.out).write_text(json.dumps(report, indent=1, default=str))
    env = report["environment"]
    print(f"device {env['device']} | torch {env['torch']} (CUDA {env['torch_cuda']}) | commit "
          f"{(env['commit'] or '?')[:10]} | {report['total_s']} s → {args.out}")
    return 1 if any(v["status"] == "fail" for v in report["parts"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
