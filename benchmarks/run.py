"""hakseup's performance suite: every figure is a ratio against a reference measured in the
same process run, on the same machine. Prints one line per figure; writes results.json.

    python benchmarks/run.py            # the full suite (a few minutes on 2 CPU cores)
    python benchmarks/run.py --quick    # smaller sizes, fewer repeats
    python benchmarks/run.py --only B1,B4

Speed is measured here, never in the unit tests.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

torch.set_num_threads(2)
RESULTS: list[dict] = []


def report(id_: str, what: str, value: float, reference: float, unit: str, target: str,
           ok: bool | None, note: str = "") -> None:
    ratio = value / reference if reference else float("nan")
    row = {"id": id_, "what": what, "value": value, "reference": reference, "unit": unit,
           "ratio": ratio, "target": target, "ok": ok, "note": note}
    RESULTS.append(row)
    verdict = {True: "OK", False: "MISSED", None: "--"}[ok]
    print(f"{id_}  {what}: {value:.4g} {unit} vs {reference:.4g} {unit} → ratio {ratio:.3f} "
          f"(target {target}) {verdict}{'  ' + note if note else ''}", flush=True)


def interleaved(fns: dict, repeats: int) -> dict[str, float]:
    """Median seconds of each function, alternating them so drift affects all alike.
    ``ratio:<a>/<b>`` entries hold the median of the per-round ratios (robust to drift)."""
    times = {k: [] for k in fns}
    for fn in fns.values():  # warm-up: first-call costs (lazy imports, allocator) excluded
        fn()
    for _ in range(repeats):
        for k, fn in fns.items():
            t = time.perf_counter()
            fn()
            times[k].append(time.perf_counter() - t)
    out = {k: statistics.median(v) for k, v in times.items()}
    keys = list(fns)
    for a in keys:
        for b in keys:
            if a != b:
                out[f"ratio:{a}/{b}"] = statistics.median(x / y for x, y in zip(times[a],
                                                                              times[b]))
    return out


# --------------------------------------------------------------------------- B1 / B2


def _mnist_like(n: int, seed: int = 0):
    from hakseup.data.bundle import DataBundle, Schema, Split

    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 1, 28, 28, generator=g)
    y = torch.randint(0, 10, (n,), generator=g)
    empty = Split((x[:0],), y[:0])
    schema = Schema("multiclass", "image", (1, 28, 28), 10, class_names=[str(i) for i in range(10)])
    return DataBundle(Split((x,), y), empty, empty, schema, None)


def _mlp():
    from hakseup.models.mlp import MLP

    torch.manual_seed(0)
    return MLP(784, [196, 49], 10)


def _hand_loop(model, x, y, epochs: int, batch: int, seed: int):
    """What a person writes by hand: pre-shuffled in-memory tensors, the usual five lines, and
    the optimizer the Trainer builds (fused Adam: one kernel per step)."""
    from hakseup.data.batches import epoch_permutation

    opt = torch.optim.Adam(model.parameters(), lr=1e-3, fused=True)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(epochs):
        perm = epoch_permutation(len(x), seed, epoch, x.device)
        running = 0.0
        for i in range(0, len(x), batch):
            idx = perm[i:i + batch]
            xb, yb = x.index_select(0, idx), y.index_select(0, idx)
            loss = loss_fn(model(xb), yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            running += loss.item() * len(yb)
    return model


def bench_b1_b2(quick: bool) -> None:
    from hakseup.training.trainer import Trainer

    n, epochs = 8000, 3           # several epochs per call: fit's one-off setup is amortised
    bundle = _mnist_like(n)
    x, y = bundle.train.inputs[0], bundle.train.target
    init = _mlp().state_dict()

    def ours():
        m = _mlp()
        m.load_state_dict(init)
        Trainer(epochs=epochs, batch_size=64, lr=1e-3, optimizer="adam", progress=False,
                seed=0).fit(m, bundle)
        return m

    def hand():
        m = _mlp()
        m.load_state_dict(init)
        return _hand_loop(m, x, y, epochs, 64, 0)

    a, b = ours(), hand()
    identical = all(torch.equal(p, q) for p, q in zip(a.state_dict().values(),
                                                      b.state_dict().values()))
    t = interleaved({"ours": ours, "hand": hand}, 5 if quick else 41)
    ratio = t["ratio:ours/hand"]
    report("B1", "Trainer.fit epoch, MLP 784-196-49-10, 8,000 samples, batch 64, Adam",
           t["ours"] / epochs, t["hand"] / epochs, "s", "<= 1.03x, identical weights",
           ratio <= 1.03 and identical,
           f"median per-round ratio {ratio:.3f}; final weights bit-identical to the hand "
           f"loop: {identical}")
    lightning = _lightning_runner(x, y, epochs, "cpu")
    if lightning is None:
        report("B2", "Lightning Trainer epoch (same model and data)", float("nan"), t["ours"], "s",
               ">= 2.5x ours", None, "skipped: pip install lightning")
        return
    t2 = interleaved({"lightning": lightning, "ours": ours, "hand": hand}, 3 if quick else 7)
    t2 = {k: v / epochs for k, v in t2.items()}
    report("B2", "Lightning Trainer epoch (same model, DataLoader) vs ours", t2["lightning"],
           t2["ours"], "s", ">= 2.5x ours", t2["lightning"] / t2["ours"] >= 2.5,
           f"Lightning is {t2['lightning'] / t2['hand']:.2f}x the hand loop")


def _lightning_runner(x, y, epochs: int, accelerator: str):
    """A function that trains the same MLP with Lightning's Trainer over a
    ``DataLoader(TensorDataset(x, y))`` (x and y on the CPU or already on the GPU), or None
    when Lightning is not installed."""
    try:
        import lightning.pytorch as pl
    except ImportError:
        return None
    import logging
    import warnings

    logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
    logging.getLogger("lightning.fabric").setLevel(logging.ERROR)

    class Lit(pl.LightningModule):
        def __init__(self):
            super().__init__()
            self.model = _mlp()

        def training_step(self, batch, _):
            xb, yb = batch
            return nn.functional.cross_entropy(self.model(xb), yb)

        def configure_optimizers(self):                 # the same optimizer as ours
            return torch.optim.Adam(self.parameters(), lr=1e-3, fused=True)

    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=64,
                                         shuffle=True)

    def lightning():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            trainer = pl.Trainer(max_epochs=epochs, accelerator=accelerator, devices=1,
                                 logger=False, enable_checkpointing=False,
                                 enable_progress_bar=False, enable_model_summary=False)
            trainer.fit(Lit(), loader)
        if accelerator == "gpu":
            torch.cuda.synchronize()

    lightning()   # first call: Lightning's own imports and checks
    return lightning


# --------------------------------------------------------------------------- B3


def bench_b3(quick: bool) -> None:
    from hakseup.data.bundle import DataBundle, Schema, Split
    from hakseup.models.mlp import MLP
    from hakseup.training.trainer import Trainer

    n = 50_000 if quick else 200_000
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 20, generator=g)
    y = torch.randint(0, 2, (n,), generator=g)
    empty = Split((x[:0],), y[:0])
    bundle = DataBundle(Split((x,), y), empty, empty, Schema("binary", "table", (20,), 2), None)

    def ours():
        torch.manual_seed(0)
        Trainer(epochs=1, batch_size=256, progress=False).fit(MLP(20, [16], 2), bundle)

    def dataloader():
        torch.manual_seed(0)
        model = MLP(20, [16], 2)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3, fused=True)   # the same as ours
        loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y),
                                             batch_size=256, shuffle=True)
        for xb, yb in loader:
            loss = nn.functional.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()

    def hand():   # the floor: B1's hand-written loop over the same in-memory tensors
        torch.manual_seed(0)
        _hand_loop(MLP(20, [16], 2), x, y, 1, 256, 0)

    from hakseup.data.batches import InMemoryBatcher

    def batches_ours():
        for _ in InMemoryBatcher((x, y), 256, shuffle=True).batches(0):
            pass

    def batches_dl():
        for _ in torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y),
                                             batch_size=256, shuffle=True):
            pass

    from hakseup.data.bundle import Split as _Split
    from hakseup.data.loader import LoaderBatcher

    def batches_loader():   # our DataLoader path (--loader dataloader) over the same tensors
        for _ in LoaderBatcher(_Split((x,), y), 256, workers=0).batches(0):
            pass

    t = interleaved({"ours": ours, "dl": dataloader, "hand": hand, "b_ours": batches_ours,
                     "b_dl": batches_dl, "b_loader": batches_loader}, 2 if quick else 3)
    speedup, steps = t["dl"] / t["ours"], -(-n // 256)
    data_speedup = t["b_dl"] / t["b_ours"]
    report("B3", f"epoch over {n:,} x 20 table, batch 256, tiny MLP: DataLoader(TensorDataset) "
           f"vs our in-memory batcher", t["dl"], t["ours"], "s", ">= 20x", speedup >= 20,
           f"whole epoch {speedup:.1f}x faster; batching alone {data_speedup:.0f}x faster "
           f"({t['b_dl']:.3f} s vs {t['b_ours']:.4f} s); the rest is the model's step "
           f"({1e3 * (t['ours'] - t['b_ours']) / steps:.2f} ms of forward, backward and Adam "
           f"per batch): B1's hand-written loop over the same in-memory tensors is "
           f"{t['dl'] / t['hand']:.1f}x faster than the DataLoader loop; our DataLoader path "
           f"(whole-batch __getitems__) {t['b_dl'] / t['b_loader']:.0f}x")


# --------------------------------------------------------------------------- B4


def _lstm_steps(device: str) -> tuple[dict, float]:
    """One training step each of nn.LSTM, our scratch LSTM, and ours with compiled loops
    (batch 100, 28 x 28, hidden 128), warmed up; and the one-off compile time."""
    from hakseup.models.recurrent import RecurrentNet

    x = torch.randn(100, 28, 28, device=device)
    y = torch.randint(0, 10, (100,), device=device)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    steps, compile_s = {}, float("nan")
    for impl in ("native", "scratch", "scratch+compile"):
        torch.manual_seed(0)
        m = RecurrentNet(28, 128, 10, impl=impl.split("+")[0]).to(device)
        if impl.endswith("compile"):                 # what --compile does for our LSTM
            m.rnn.compile_recurrence = True
        opt = torch.optim.SGD(m.parameters(), lr=0.01)

        def step(m=m, opt=opt):
            opt.zero_grad()
            nn.functional.cross_entropy(m(x), y).backward()
            opt.step()
            sync()

        t0 = time.perf_counter()
        step()
        if impl.endswith("compile"):
            compile_s = time.perf_counter() - t0
        for _ in range(5):
            step()
        steps[impl] = step
    return steps, compile_s


def bench_b4(quick: bool) -> None:
    steps, compile_s = _lstm_steps("cpu")
    t = interleaved(steps, 20 if quick else 60)
    # Verdicts on the median of the per-round ratios (as B1): steps of both kinds alternate,
    # so a slow stretch of this shared machine affects both sides of a round alike.
    eager, compiled = t["ratio:scratch/native"], t["ratio:scratch+compile/native"]
    report("B4", "LSTM training step (batch 100, 28x28, hidden 128): scratch vs nn.LSTM",
           t["scratch"], t["native"], "s", "<= 1.10x", eager <= 1.10,
           f"median per-round ratio {eager:.3f}; eager; nn.LSTM on CPU is oneDNN's fused RNN "
           f"kernel")
    report("B4c", "the same with --compile (our time loops through torch.compile) vs nn.LSTM",
           t["scratch+compile"], t["native"], "s", "<= 1.10x", compiled <= 1.10,
           f"median per-round ratio {compiled:.3f}; one-off compile of the two loops: "
           f"{compile_s:.0f} s (Inductor caches it on disk)")


# --------------------------------------------------------------------------- B5 / B6


def _wall(cmd: list[str], env=None, repeats: int = 3, cwd=None) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                       env=env, cwd=cwd)
        times.append(time.perf_counter() - t)
    return min(times)


def bench_b5_b6(quick: bool) -> None:
    py = sys.executable
    env = {**os.environ, "PYTHONPATH": str(HERE.parent / "src")}
    base = _wall([py, "-c", "pass"], env)
    helps = _wall([py, "-m", "hakseup", "--help"], env) + _wall([py, "-m", "hakseup", "train",
                                                               "--help"], env)
    report("B5", "`hakseup --help` + `hakseup train --help` wall time vs `python -c pass`",
           helps, base, "s", "under 0.5 s total", helps < 0.5)
    torch_import = _wall([py, "-c", "import torch"], env) - base
    with tempfile.TemporaryDirectory() as d:
        t = _wall([py, "-m", "hakseup", "train", "--no-progress", "--output", "run"], env,
                  repeats=1, cwd=d)
        ok = (Path(d) / "run" / "report.html").is_file()
    report("B6", "`hakseup train` (digits default), process start to report written", t,
           torch_import, "s", "under 15 s", t < 15 and ok,
           f"(reference column: `import torch` alone takes {torch_import:.2f} s)")


# --------------------------------------------------------------------------- B7


def bench_b7(quick: bool) -> None:
    rows = 200_000 if quick else 1_000_000
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "big.csv"
        rng = np.random.default_rng(0)
        import pyarrow as pa
        import pyarrow.csv as pacsv

        cols = {f"x{i}": rng.normal(size=rows).round(6) for i in range(19)}
        cols["y"] = rng.normal(size=rows).round(6)
        pacsv.write_csv(pa.table(cols), path)
        size = path.stat().st_size
        # Peak RSS from /proc's VmHWM, not getrusage: Linux carries ru_maxrss across exec, so a
        # child started from this (by now large) process would report the parent's size.
        # (Elsewhere, getrusage: bytes on macOS.)
        peak = ("(int(open('/proc/self/status').read().split('VmHWM:')[1].split()[0]) * 1024 "
                "if sys.platform == 'linux' else "
                "__import__('resource').getrusage(__import__('resource').RUSAGE_SELF).ru_maxrss)")
        code = ("import time, sys; t = time.perf_counter();"
                "from hakseup.config import DataConfig; from hakseup.data.datasets import load_data;"
                f"b = load_data(DataConfig(path={str(path)!r}, target='y'));"
                f"print(time.perf_counter() - t, len(b.train) + len(b.val) + len(b.test), {peak})")
        base = f"import sys, torch, pandas, sklearn, pyarrow; print({peak})"
        env = {**os.environ, "PYTHONPATH": str(HERE.parent / "src")}
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env=env, check=True).stdout.split()
        seconds, n, rss = float(out[0]), int(out[1]), int(out[2])
        libs = int(subprocess.run([sys.executable, "-c", base], capture_output=True, text=True,
                                  env=env, check=True).stdout)
    assert n == rows
    report("B7", f"{rows:,} x 20 CSV ({size / 1e6:.0f} MB) read, typed, split, scaled", seconds,
           15.0, "s", "under 15 s, peak RSS under 4x file size",
           seconds < 15 and rss < 4 * size,
           f"peak RSS {rss / 1e6:.0f} MB = {rss / size:.2f}x the file "
           f"(of which {libs / 1e6:.0f} MB is Python + torch + pandas before reading)")


def bench_gpu(quick: bool) -> None:
    """B1/B2 on CUDA with the dataset resident on the device, and B4's step on the GPU
    (skipped without a GPU)."""
    if not torch.cuda.is_available():
        report("G1", "GPU: Trainer.fit epoch vs hand loop (dataset on the device)", float("nan"),
               float("nan"), "s", "<= 1.03x", None, "skipped: no CUDA device")
        return
    from hakseup.training.trainer import Trainer

    dev = torch.device("cuda")
    name = torch.cuda.get_device_name()
    n, epochs = 60_000, 3
    bundle = _mnist_like(n)
    bundle.train = bundle.train.to(dev)
    x, y = bundle.train.inputs[0], bundle.train.target
    init = _mlp().state_dict()

    def ours():
        m = _mlp()
        m.load_state_dict(init)
        Trainer(epochs=epochs, batch_size=64, device="cuda", progress=False).fit(m, bundle)
        torch.cuda.synchronize()
        return m

    def hand():
        m = _mlp().to(dev)
        m.load_state_dict(init)
        _hand_loop(m, x, y, epochs, 64, 0)
        torch.cuda.synchronize()
        return m

    a, b = ours(), hand()
    identical = all(torch.equal(p, q) for p, q in zip(a.state_dict().values(),
                                                      b.state_dict().values()))
    fns = {"ours": ours, "hand": hand}
    lightning = _lightning_runner(x, y, epochs, "gpu")
    if lightning is not None:
        fns["lightning"] = lightning
    t = interleaved(fns, 3 if quick else 7)
    ratio = t["ratio:ours/hand"]
    report("G1", f"GPU ({name}): Trainer.fit epoch vs hand loop, {n:,} samples on the device, "
           f"batch 64", t["ours"] / epochs, t["hand"] / epochs, "s", "<= 1.03x, identical weights",
           ratio <= 1.03 and identical,
           f"median per-round ratio {ratio:.3f}; final weights bit-identical: {identical}")
    if lightning is None:
        report("G2", "GPU: Lightning Trainer epoch vs ours", float("nan"), t["ours"] / epochs,
               "s", ">= 2.5x ours", None, "skipped: pip install lightning")
    else:
        report("G2", f"GPU ({name}): Lightning Trainer epoch (DataLoader over the device "
               f"tensors) vs ours", t["lightning"] / epochs, t["ours"] / epochs, "s",
               ">= 2.5x ours", t["ratio:lightning/ours"] >= 2.5,
               f"Lightning is {t['ratio:lightning/hand']:.2f}x the hand loop")
    steps, compile_s = _lstm_steps("cuda")
    t = interleaved(steps, 20 if quick else 60)
    report("G4", f"GPU ({name}): scratch LSTM training step vs nn.LSTM (cuDNN)", t["scratch"],
           t["native"], "s", "-- (B4's target is for the CPU)", None,
           f"with --compile: {t['ratio:scratch+compile/native']:.2f}x "
           f"(compile {compile_s:.0f} s); cuDNN runs the whole sequence in fused kernels")


BENCHES = {"B1": bench_b1_b2, "B3": bench_b3, "B4": bench_b4, "B5": bench_b5_b6,
           "B7": bench_b7, "G1": bench_gpu}


def _run_isolated(ids: list[str], quick: bool) -> None:
    """Each group in a fresh interpreter: one group's imports (Lightning's alone are hundreds
    of modules for the garbage collector to walk) and heap must not weigh on the next."""
    for id_ in ids:
        with tempfile.TemporaryDirectory() as d:
            part = Path(d) / "part.json"
            subprocess.run([sys.executable, __file__, "--child", "--only", id_, "--out", str(part)]
                           + (["--quick"] if quick else []), check=True)
            RESULTS.extend(json.loads(part.read_text())["results"])


def _merge(out: Path, machine: dict, partial: bool) -> dict:
    """The file to write: this run's rows replace those with the same id; a partial run keeps
    the other rows; a GPU section skipped here (no CUDA) keeps the rows an earlier run
    measured on a GPU, with that run's machine."""
    old = json.loads(out.read_text()) if out.exists() else {"results": []}
    gpu = lambda r: r["id"].startswith("G")                      # noqa: E731
    skipped = lambda r: r["note"].startswith("skipped")          # noqa: E731
    earlier_gpu = [r for r in old["results"] if gpu(r) and not skipped(r)]
    keep_gpu = bool(earlier_gpu) and any(gpu(r) and skipped(r) for r in RESULTS)
    new = [r for r in RESULTS if not (keep_gpu and gpu(r))]
    carried = old["results"] if partial else earlier_gpu if keep_gpu else []
    ids = {r["id"] for r in new}
    rows = sorted(new + [r for r in carried if r["id"] not in ids], key=lambda r: r["id"])
    meta = {k: v for k, v in old.items() if k != "results" and (partial or keep_gpu)}
    if any(gpu(r) and not skipped(r) for r in RESULTS):
        meta["gpu_run"] = machine
    if any(not gpu(r) for r in RESULTS):
        meta.update(machine)
    return {**meta, "results": rows}


# What --only accepts: each group's first id, and the ids a group reports besides it.
ALIASES = {"B2": "B1", "B4C": "B4", "B6": "B5", "G2": "G1", "G4": "G1"}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default="", help="comma-separated ids (B1 runs B2 too, B5 runs B6, "
                                               "G1 the whole GPU section); their rows replace "
                                               "those in --out, the others are kept")
    ap.add_argument("--out", default=str(HERE / "results.json"), help="the JSON file written")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    only = {ALIASES.get(i, i) for i in (s.strip().upper() for s in args.only.split(",")) if i}
    if only - set(BENCHES):
        ap.error(f"unknown benchmark id(s) {', '.join(sorted(only - set(BENCHES)))}; choose "
                 f"from {', '.join(list(BENCHES) + [a for a in ALIASES])} (B1 runs B2 too, B4 "
                 f"B4c, B5 B6, G1 the whole GPU section)")
    if not args.child:
        print(f"hakseup benchmarks on {platform.processor() or platform.machine()}, "
              f"{os.cpu_count()} CPUs, torch {torch.__version__}, {torch.get_num_threads()} "
              f"threads{' (quick)' if args.quick else ''}", flush=True)
    ids = [i for i in BENCHES if not only or i in only]
    if args.child or len(ids) == 1:
        for id_ in ids:
            BENCHES[id_](args.quick)
    else:
        _run_isolated(ids, args.quick)
    out = Path(args.out)
    machine = {"quick": args.quick, "torch": torch.__version__, "cpus": os.cpu_count()}
    if args.child:
        out.write_text(json.dumps({**machine, "results": RESULTS}) + "\n")
        return 0
    out.write_text(json.dumps(_merge(out, machine, partial=bool(only)), indent=2) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
