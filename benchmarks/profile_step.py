"""Where a training step's time goes: ``Trainer.fit`` against the hand-written loop of B1/G1,
timed per epoch, then one epoch of each under ``torch.profiler`` (device events per step, and
the operators by their own CPU time). A tool for finding overhead, not a benchmark figure.

    python benchmarks/profile_step.py             # CUDA when available, else the CPU
    python benchmarks/profile_step.py --device cpu --rows 25
"""

from __future__ import annotations

import argparse

import torch
from torch.profiler import ProfilerActivity, profile

import run as bench
from hakseup.training.trainer import Trainer


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--samples", type=int, default=20_000)
    ap.add_argument("--rows", type=int, default=20, help="operators listed per table")
    args = ap.parse_args()
    dev = torch.device(args.device)
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    bundle = bench._mnist_like(args.samples)
    bundle.train = bundle.train.to(dev)
    x, y = bundle.train.inputs[0], bundle.train.target
    init = bench._mlp().state_dict()
    steps = -(-args.samples // 64)

    def ours():
        m = bench._mlp()
        m.load_state_dict(init)
        Trainer(epochs=1, batch_size=64, device=args.device, progress=False).fit(m, bundle)
        sync()

    def hand():
        m = bench._mlp().to(dev)
        m.load_state_dict(init)
        bench._hand_loop(m, x, y, 1, 64, 0)
        sync()

    runs = {"ours": ours, "hand": hand}
    times = bench.interleaved(runs, 5)
    for name in runs:
        print(f"{name}: {times[name]:.3f} s per epoch, {1e3 * times[name] / steps:.3f} ms per "
              f"step (median of 5)")
    print(f"ours/hand per-round median ratio {times['ratio:ours/hand']:.3f}")
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if dev.type == "cuda" else [])
    for name, fn in runs.items():
        with profile(activities=activities) as prof:
            fn()
        print(f"\n== {name}")
        if dev.type == "cuda":   # kernels and copies launched per step: the launch-bound cost
            kernels = [e for e in prof.events() if e.device_type.name == "CUDA"]
            print(f"{len(kernels) / steps:.1f} device events per step")
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=args.rows))


if __name__ == "__main__":
    main()
