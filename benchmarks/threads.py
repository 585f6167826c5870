"""Threads under the conditions users have: the default ``hakseup train`` of each kind of data,
idle and beside two CPU-bound processes (issue 25).

Each kind (digits, a table, a series, a sequence problem, an image folder made here) is run
as a whole ``hakseup train`` process with:

* ``policy``  — the threads a user gets by default (``train.threads: auto``);
* ``one``     — ``OMP_NUM_THREADS=1`` forced;
* ``default`` — the old behaviour, PyTorch's default: ``--threads <CPUs>``;

first on the machine as it is ("idle"), then while two competing CPU-bound processes run
(started by the benchmark, each ending by itself after ``HOG_LIFE_S`` and always killed in a
``finally``). The figures are median wall seconds over ``--rounds`` rounds (the settings
alternate inside a round, so drift hits them alike), and the ratios busy/idle,
policy/one-thread and policy/best-of(default, one). ``os.getloadavg()`` is recorded with each
figure: on a shared machine "idle" is not idle.

``--kernels`` times only the training loop of each kind's model (in process, 1 vs 2 intra-op
threads, idle and busy) with the size of its largest operator: the measurements the thread
rule (``hakseup.training.threads``) was designed from.

    python benchmarks/threads.py              # 3 rounds; writes benchmarks/threads.json
    python benchmarks/threads.py --quick      # 1 round, fewer epochs
    python benchmarks/threads.py --kernels
    python benchmarks/threads.py --recipes --out recipes.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
CAR = Path("/work/shared/data/car_evaluation.csv")
HOG_LIFE_S = 900           # a competing process ends by itself after this, whatever happens
RUN_LIMIT_S = 240          # one training process (--limit): a longer run is recorded censored


# --------------------------------------------------------------------------- the data


def make_table(folder: Path) -> tuple[list[str], str]:
    """car_evaluation.csv (target ``output``) when it is there, else a generated table of the
    same shape: 1,728 rows, 6 categorical columns, 4 classes."""
    if CAR.exists() and CAR.read_text().split("\n", 1)[0].split(",")[-1].strip() == "output":
        return ["--data", str(CAR), "--target", "output"], "car_evaluation.csv"
    rng = np.random.default_rng(0)
    cols = {f"c{i}": rng.choice(["a", "b", "c", "d"], 1728) for i in range(6)}
    score = sum((v == "a").astype(int) for v in cols.values())
    lines = [",".join([*cols, "output"])]
    for i in range(1728):
        lines.append(",".join([*(c[i] for c in cols.values()), f"k{min(3, score[i])}"]))
    path = folder / "table.csv"
    path.write_text("\n".join(lines) + "\n")
    return ["--data", str(path), "--target", "output"], "generated 1,728x6 table"


def make_series(folder: Path) -> list[str]:
    """1,000 days of a trend, a weekly season and noise."""
    rng = np.random.default_rng(1)
    days = np.arange(1000)
    y = 50 + 0.02 * days + 5 * np.sin(2 * np.pi * days / 7) + rng.normal(0, 1, len(days))
    dates = np.datetime64("2020-01-01") + days
    path = folder / "series.csv"
    rows = "".join(f"{d},{v:.4f}\n" for d, v in zip(dates, y, strict=True))
    path.write_text("date,value\n" + rows)
    return ["--data", str(path), "--time-col", "date", "--target", "value"]


def make_sequences(folder: Path, steps: int = 40, n: int = 600) -> list[str]:
    """600 sequences of 40 steps, 3 classes (a sine, a square wave, noise)."""
    rng = np.random.default_rng(2)
    t = np.linspace(0, 4 * np.pi, steps)
    rows = []
    for i in range(n):
        k = i % 3
        phase = rng.uniform(0, 2 * np.pi)
        x = [np.sin(t + phase), np.sign(np.sin(t + phase)), np.zeros(steps)][k]
        x = x + rng.normal(0, 0.5, steps)
        rows.append(",".join(f"{v:.4f}" for v in x) + f",c{k}")
    path = folder / "sequences.csv"
    path.write_text(",".join([*(f"s{i}" for i in range(steps)), "label"]) + "\n"
                    + "\n".join(rows) + "\n")
    return ["--data", str(path), "--target", "label", "--layout", "sequence",
            "--sequence-shape", f"{steps}x1"]


def make_images(folder: Path, per_class: int = 80, size: int = 28) -> list[str] | None:
    """An image folder: 3 classes of grey 28x28 PNGs (a bar, a ring, a blob); None without
    Pillow."""
    try:
        from PIL import Image
    except ImportError:
        return None
    rng = np.random.default_rng(3)
    yy, xx = np.mgrid[:size, :size]
    root = folder / "images"
    for k, name in enumerate(["bar", "ring", "blob"]):
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            cy, cx = rng.uniform(8, size - 8, 2)
            r = np.hypot(yy - cy, xx - cx)
            shape = [np.abs(xx - cx) < 2, np.abs(r - 6) < 1.5, r < 5][k]
            img = 255 * shape + rng.normal(0, 40, (size, size))
            Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(
                root / name / f"{i}.png")
    return ["--data", str(root)]


def kinds(folder: Path) -> dict[str, list[str]]:
    """{kind: the ``hakseup train`` flags for its data}."""
    table, _ = make_table(folder)
    out = {"digits": [], "table": table, "series": make_series(folder),
           "sequence": make_sequences(folder)}
    images = make_images(folder)
    if images is not None:
        out["image"] = images
    return out


# --------------------------------------------------------------------------- the conditions


@contextmanager
def competing(n: int):
    """``n`` CPU-bound processes for the duration of the block (each ends by itself after
    ``HOG_LIFE_S``; killed on leaving the block, whatever happened)."""
    procs = []
    try:
        for _ in range(n):
            procs.append(subprocess.Popen(
                [sys.executable, "-c",
                 f"import time\nend = time.time() + {HOG_LIFE_S}\nwhile time.time() < end: pass"]))
        time.sleep(1.0)
        yield
    finally:
        for p in procs:
            p.kill()
        for p in procs:
            p.wait()


def cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def settings() -> dict[str, tuple[dict, list[str]]]:
    """{setting: (environment changes, extra flags)}."""
    return {"policy": ({}, []), "one": ({"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}, []),
            "default": ({}, ["--threads", str(cpus())])}


def run_train(flags: list[str], env_changes: dict, out: Path, epochs: int | None,
              limit: float = RUN_LIMIT_S) -> dict:
    """One whole ``hakseup train`` process: wall and CPU seconds, the threads it chose. A run
    still going after ``limit`` s is killed and recorded with ``censored`` (its wall time is a
    lower bound): PyTorch's default threads beside busy cores can take 10-60x longer."""
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS",
                                                           "MKL_NUM_THREADS")}
    env.update(env_changes, PYTHONPATH=os.pathsep.join(
        [str(SRC), *filter(None, [os.environ.get("PYTHONPATH")])]), MPLBACKEND="Agg")
    cmd = [sys.executable, "-m", "hakseup", "train", *flags, "--quiet", "--no-progress",
           "--output", str(out)]
    if epochs:
        cmd += ["--epochs", str(epochs)]
    load = os.getloadavg()[0]
    before = os.times()
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=limit,
                              check=False)
    except subprocess.TimeoutExpired:
        after = os.times()
        return {"wall_s": round(limit, 3), "censored": True, "load_before": round(load, 2),
                "cpu_s": None, "intra_op": None, "reason": None}
    wall = time.perf_counter() - t0
    after = os.times()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
    threads = json.loads((out / "environment.json").read_text()).get("threads", {})
    return {"wall_s": round(wall, 3),
            "cpu_s": round(after.children_user + after.children_system
                           - before.children_user - before.children_system, 3),
            "load_before": round(load, 2), "censored": False,
            "intra_op": threads.get("intra_op"),
            "reason": threads.get("reason")}


def measure(kind_flags: dict[str, list[str]], rounds: int, epochs: int | None,
            work: Path, limit: float = RUN_LIMIT_S, busy_settings: tuple[str, ...] = ()) -> dict:
    """{condition: {kind: {setting: [runs]}}} over ``rounds`` rounds; ``busy_settings``: the
    settings run beside the competing processes (empty: all)."""
    out: dict = {}
    n = 0
    for kind, flags in kind_flags.items():
        # Untimed: fills the references cache (a later run on the same data reads it back),
        # which the first timed setting would otherwise pay alone.
        run_train(flags, {}, work / f"warm-{kind}", 1, limit)
    for condition, hogs in (("idle", 0), ("busy", 2)):
        with competing(hogs):
            for r in range(rounds):
                for kind, flags in kind_flags.items():
                    for setting, (env, extra) in settings().items():
                        if hogs and busy_settings and setting not in busy_settings:
                            continue
                        n += 1
                        res = run_train(flags + extra, env, work / f"run{n}", epochs, limit)
                        out.setdefault(condition, {}).setdefault(kind, {}).setdefault(
                            setting, []).append(res)
                        print(f"{condition:5} r{r} {kind:9} {setting:8} "
                              f"{'>' if res['censored'] else ' '}{res['wall_s']:7.2f} s "
                              f"(cpu {res['cpu_s']}, load {res['load_before']:.2f}, "
                              f"{res['intra_op']} thr)", flush=True)
    return out


def summarise(raw: dict) -> dict:
    """Median wall seconds and the ratios per kind; ``censored`` lists the figures that are
    lower bounds (a run stopped at the limit), ``load`` the median load before the runs."""
    med = {c: {k: {s: statistics.median(r["wall_s"] for r in runs) for s, runs in ks.items()}
               for k, ks in kinds_.items()} for c, kinds_ in raw.items()}
    out = {}
    for kind in med["idle"]:
        idle, busy = med["idle"][kind], med.get("busy", {}).get(kind)
        row = {"idle_s": idle, "busy_s": busy,
               "idle_policy_vs_one": round(idle["policy"] / idle["one"], 3),
               "idle_policy_vs_best": round(idle["policy"] / min(idle["one"],
                                                                 idle["default"]), 3)}
        for setting in ("policy", "one", "default"):
            if busy and setting in busy and setting in idle:
                row[f"busy_over_idle_{setting}"] = round(busy[setting] / idle[setting], 3)
        if busy and "one" in busy:
            row["busy_policy_vs_one"] = round(busy["policy"] / busy["one"], 3)
        if busy and "default" in busy:
            row["busy_default_vs_policy"] = round(busy["default"] / busy["policy"], 3)
        row["cpu_s"] = {c: {s: statistics.median(r["cpu_s"] for r in runs)
                            for s, runs in raw[c][kind].items()
                            if all(r["cpu_s"] is not None for r in runs)} for c in raw}
        row["censored"] = sorted(f"{c}/{s}" for c in raw for s, runs in raw[c][kind].items()
                                 if any(r.get("censored") for r in runs))
        row["load"] = {c: statistics.median(r["load_before"] for runs in raw[c][kind].values()
                                            for r in runs) for c in raw}
        row["policy_threads"] = {c: [r["intra_op"] for r in raw[c][kind]["policy"]]
                                 for c in raw}
        out[kind] = row
    return out


# --------------------------------------------------------------------------- the kernels


def kernels(folder: Path, epochs: int, rounds: int) -> dict:
    """In process: each kind's training loop (``Experiment.fit``) with 1 and 2 intra-op
    threads, idle and busy, with the size of its largest operator (``measure_work``)."""
    import torch

    sys.path.insert(0, str(SRC))
    from hakseup.cli.common import FLAGS
    from hakseup.config.load import load_config
    from hakseup.data.bundle import first_samples
    from hakseup.experiment import Experiment
    from hakseup.training.threads import measure_work

    flag_keys = {f: k for f, k, *_ in FLAGS}
    cases = dict(kinds(folder))
    cases["lstm"] = cases["sequence"] + ["--model", "lstm"]
    cases["digits-cnn"] = ["--dataset", "mnist-t10k", "--model", "lenet"] \
        if (Path.home() / ".cache/hakseup").exists() else None
    cases = {k: v for k, v in cases.items() if v is not None}
    out: dict = {}
    for condition, hogs in (("idle", 0), ("busy", 2)):
        with competing(hogs):
            for kind, flags in cases.items():
                pairs = dict(zip(flags[::2], flags[1::2], strict=True))
                cli = {flag_keys[f]: v for f, v in pairs.items()}
                cfg = load_config(None, flags={**cli, "train.epochs": epochs,
                                               "train.progress": False,
                                               "evaluation.references": "none"})
                times: dict[int, list[float]] = {1: [], 2: []}
                work = None
                for _ in range(rounds):
                    for n in (1, 2):
                        exp = Experiment(cfg).setup()
                        torch.set_num_threads(n)      # after setup: it applies the policy
                        if work is None:
                            inputs, _ = first_samples(exp.bundle_.train)
                            work = measure_work(exp.model_, inputs, cfg.train.batch_size)
                        t0 = time.perf_counter()
                        exp.fit()
                        times[n].append(time.perf_counter() - t0)
                        exp.close()
                row = {"op_macs": work.op_macs, "params": work.params, "kind": work.kind,
                       "one_s": statistics.median(times[1]),
                       "two_s": statistics.median(times[2]), "load": os.getloadavg()[0]}
                row["two_vs_one"] = round(row["two_s"] / row["one_s"], 3)
                out.setdefault(condition, {})[kind] = row
                print(f"{condition:5} {kind:10} {work.kind:9} op {work.op_macs:9.2e} MACs  "
                      f"1 thr {row['one_s']:6.2f} s  2 thr {row['two_s']:6.2f} s  "
                      f"x{row['two_vs_one']:.2f}  load {row['load']:.2f}", flush=True)
    return out


# --------------------------------------------------------------------------- the recipes


def recipes(folder: Path, limit: float) -> dict:
    """README's car-evaluation and scratch-LSTM (``mnist-lstm`` on ``mnist-t10k``) recipes
    with the defaults a user gets, idle and busy; offline from a cache made of
    ``/work/shared/data`` (skipped when the files are not there)."""
    import shutil

    cache = folder / "cache"
    shared = CAR.parent
    wanted = {"car_evaluation/car_evaluation.csv": shared / "car_evaluation.csv",
              **{f"mnist/t10k-{p}": shared / "mnist-t10k" / f"t10k-{p}"
                 for p in ("images-idx3-ubyte.gz", "labels-idx1-ubyte.gz")}}
    for dest, src in wanted.items():
        if src.exists():
            (cache / dest).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(src, cache / dest)
    runs = {"car-evaluation": ["--recipe", "car-evaluation"],
            "mnist-lstm (mnist-t10k)": ["--recipe", "mnist-lstm", "--dataset", "mnist-t10k"]}
    out: dict = {}
    for condition, hogs in (("idle", 0), ("busy", 2)):
        with competing(hogs):
            for name, flags in runs.items():
                res = run_train(flags + ["--data-dir", str(cache)], {}, folder / f"{name}-"
                                f"{condition}".replace(" ", "_"), None, limit)
                out.setdefault(name, {})[condition] = res
                print(f"{condition:5} {name:24} {res['wall_s']:7.2f} s (cpu {res['cpu_s']}, "
                      f"load {res['load_before']:.2f}, {res['intra_op']} thr)", flush=True)
    return out


# --------------------------------------------------------------------------- main


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=1)
    p.add_argument("--limit", type=float, default=RUN_LIMIT_S,
                   help="seconds one training process may take (longer: censored)")
    p.add_argument("--quick", action="store_true",
                   help="1 round, 10 epochs per run, 120 s per run at most")
    p.add_argument("--epochs", type=int, default=None, help="override every kind's epochs")
    p.add_argument("--only", default="", help="kinds to run, e.g. table,series")
    p.add_argument("--busy-settings", default="",
                   help="settings run beside the competing processes, e.g. policy,one "
                        "(default: all three; the old default threads take 2-10x longer)")
    p.add_argument("--kernels", action="store_true", help="time the training loops only")
    p.add_argument("--recipes", action="store_true",
                   help="README's car-evaluation and mnist-lstm recipes, idle and busy")
    p.add_argument("--out", type=Path, default=HERE / "threads.json")
    p.add_argument("--summarise", type=Path, metavar="JSON",
                   help="recompute the summary of a results file's runs (into --out)")
    args = p.parse_args()
    if args.summarise:
        result = json.loads(args.summarise.read_text())
        result["summary"] = summarise(result["runs"])
        args.out.write_text(json.dumps(result, indent=1) + "\n")
        print(json.dumps(result["summary"], indent=1))
        return
    # SIGTERM ends the benchmark like Ctrl-C: the competing processes are killed on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.quick:
        args.rounds, args.epochs, args.limit = 1, args.epochs or 10, min(args.limit, 120)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        meta = {"machine": platform.platform(), "cpus": cpus(), "cpu_count": os.cpu_count(),
                "python": platform.python_version(), "load_start": os.getloadavg(),
                "note": "a shared machine: 'idle' means no competing processes started by "
                        "the benchmark; other jobs may run (see each run's load_before)"}
        if args.recipes:
            res = {"meta": meta, "recipes": recipes(folder, args.limit)}
            args.out.write_text(json.dumps(res, indent=1) + "\n")
            return
        if args.kernels:
            res = {"meta": meta, "kernels": kernels(folder, args.epochs or 5, args.rounds)}
            print(json.dumps(res["kernels"], indent=1))
            return
        kf = kinds(folder)
        if args.only:
            kf = {k: v for k, v in kf.items() if k in args.only.split(",")}
        busy_settings = tuple(filter(None, args.busy_settings.split(",")))
        unknown = set(busy_settings) - set(settings())
        if unknown or (busy_settings and "policy" not in busy_settings):
            p.error(f"--busy-settings: {', '.join(sorted(unknown)) or 'policy missing'}; "
                    f"choose among {', '.join(settings())}, policy included")
        raw = measure(kf, args.rounds, args.epochs, folder, args.limit, busy_settings)
        meta["load_end"] = os.getloadavg()
        result = {"meta": {**meta, "rounds": args.rounds, "epochs": args.epochs,
                           "limit_s": args.limit},
                  "summary": summarise(raw), "runs": raw}
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result["summary"], indent=1))


if __name__ == "__main__":
    main()
