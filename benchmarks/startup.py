"""Start-up and end-to-end cost of the default ``hakseup train`` against the minimal
hand-written PyTorch script that trains the same MLP on the same data (``minimal_train.py``).

Paired runs, alternating (hakseup, script, hakseup, script, ...) so that the machine's drift
hits both alike, after one warm-up pair (file cache); the figure is the median of the per-pair
wall-time ratios. The script's settings are read from the resolved default config, so the two
train the same network for the same epochs with the same batch size and optimiser.

    python benchmarks/startup.py            # N=7 pairs; writes benchmarks/startup.json
    python benchmarks/startup.py --pairs 3 --target 1.2
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
SRC = HERE.parent / "src"


def script_args() -> list[str]:
    """The minimal script's flags from the default config (what `hakseup train` trains)."""
    sys.path.insert(0, str(SRC))
    from hakseup.config_load import load_config

    cfg = load_config(None)
    t, m = cfg.train, cfg.model
    return ["--epochs", str(t.epochs), "--batch-size", str(t.batch_size), "--lr", str(t.lr),
            "--weight-decay", str(t.weight_decay), "--optimizer", t.optimizer.lower(),
            "--hidden", ",".join(map(str, m.hidden)), "--dropout", str(m.dropout),
            "--seed", str(t.seed)]


def check_same_job() -> None:
    """Stop if the default run no longer trains what the script trains: digits, a plain MLP
    (no batch norm, no ensemble) of the config's widths, the same split sizes."""
    import math

    from hakseup.config_load import load_config
    from hakseup.experiment import Experiment

    cfg = load_config(None)
    exp = Experiment(cfg).setup()
    model, b = exp.model_, exp.bundle_
    widths = [math.prod(b.schema.input_shape), *cfg.model.hidden, b.schema.n_outputs]
    expected = sum(i * o + o for i, o in zip(widths, widths[1:]))
    kinds = {type(m).__name__ for m in model.modules()}
    n = len(b.train) + len(b.val) + len(b.test)
    n_test = round(cfg.data.test_size * n)
    problems = [msg for bad, msg in [
        (cfg.data.dataset != "digits" or cfg.data.path, "the default data is not digits"),
        (type(model).__name__ != "MLP", f"the default model is {type(model).__name__}"),
        (sum(p.numel() for p in model.parameters()) != expected, "the MLP's size differs"),
        (bool(kinds & {"BatchNorm1d", "ModuleList"}), f"the MLP has {sorted(kinds)}"),
        ((len(b.test), len(b.val)) != (n_test, round(cfg.data.val_size * (n - n_test))),
         "the split sizes differ from the script's")] if bad]
    if problems:
        sys.exit("benchmarks/minimal_train.py no longer trains what `hakseup train` trains: "
                 + "; ".join(problems))


def timed(cmd: list[str], cwd: str, env: dict) -> tuple[float, float]:
    """(wall seconds, CPU seconds: user + system of the child) of one run."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pairs", type=int, default=7)
    p.add_argument("--target", type=float, default=1.2)
    p.add_argument("--output", default=str(HERE / "startup.json"))
    p.add_argument("--extra", action="append", default=[], metavar="FLAG",
                   help="a flag added to `hakseup train` (e.g. --extra=--references=none: "
                        "what the rest of the run costs); repeatable")
    a = p.parse_args()
    env = dict(os.environ, PYTHONPATH=str(SRC) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    ours = [sys.executable, "-m", "hakseup.cli.main", "train", *a.extra]
    theirs = [sys.executable, str(HERE / "minimal_train.py"), *script_args()]
    check_same_job()
    rows = []
    with tempfile.TemporaryDirectory(prefix="hakseup-startup-") as cwd:
        timed(ours, cwd, env), timed(theirs, cwd, env)       # warm-up pair, not counted
        for i in range(a.pairs):
            (h, hc), (s, sc) = timed(ours, cwd, env), timed(theirs, cwd, env)
            rows.append({"hakseup_s": round(h, 3), "script_s": round(s, 3),
                         "ratio": round(h / s, 4), "hakseup_cpu_s": round(hc, 3),
                         "script_cpu_s": round(sc, 3), "cpu_ratio": round(hc / sc, 4)})
            print(f"pair {i + 1}/{a.pairs}: hakseup train {h:.2f} s, script {s:.2f} s, "
                  f"ratio {h / s:.3f} (CPU {hc:.2f} s vs {sc:.2f} s, {hc / sc:.3f})", flush=True)
    ratio = statistics.median(r["ratio"] for r in rows)
    result = {"what": "default `hakseup train` vs benchmarks/minimal_train.py, wall seconds "
                      "(and CPU seconds, less sensitive to other jobs on the machine)",
              "pairs": rows, "median_ratio": ratio,
              "median_cpu_ratio": statistics.median(r["cpu_ratio"] for r in rows),
              "median_hakseup_s": statistics.median(r["hakseup_s"] for r in rows),
              "median_script_s": statistics.median(r["script_s"] for r in rows),
              "target": a.target, "ok": ratio <= a.target, "script_args": theirs[2:],
              "hakseup_args": ours[3:],
              "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                          "load_average": list(os.getloadavg()),
                          "omp_num_threads": os.environ.get("OMP_NUM_THREADS")}}
    Path(a.output).write_text(json.dumps(result, indent=2) + "\n")
    print(f"median ratio {ratio:.3f} (target ≤ {a.target}): {'OK' if result['ok'] else 'MISSED'}"
          f"; hakseup {result['median_hakseup_s']:.2f} s, script "
          f"{result['median_script_s']:.2f} s; CPU ratio {result['median_cpu_ratio']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
