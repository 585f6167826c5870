"""Start-up and end-to-end cost of the default ``hakseup train`` against the minimal
hand-written PyTorch script that trains the same MLP on the same data (``minimal_train.py``).

Paired runs, alternating (hakseup, script, hakseup, script, ...) so that the machine's drift
hits both alike, after one warm-up pair (file cache, and the references cache, which a run on
the same data reads back instead of refitting); the figure is the median of the per-pair
wall-time ratios. Each round also times a *cold* `hakseup train` (an empty references cache:
the references are fitted, as on a first run on new data) against the same script run. The script's settings are read from the resolved default config, so the two
train the same network for the same epochs with the same batch size and optimiser.

    python benchmarks/startup.py            # 7 rounds; writes benchmarks/startup.json
    python benchmarks/startup.py --pairs 3 --no-cold
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
    """The minimal script's flags from the default config as a run resolves it (what `hakseup
    train` trains: epochs, batch size and lr are ``auto`` until the data is known)."""
    sys.path.insert(0, str(SRC))
    from hakseup.config.load import load_config
    from hakseup.experiment import Experiment

    with Experiment(load_config(None)).setup() as exp:
        cfg = exp.cfg
    t, m = cfg.train, cfg.model
    return ["--epochs", str(t.epochs), "--batch-size", str(t.batch_size), "--lr", str(t.lr),
            "--weight-decay", str(t.weight_decay), "--optimizer", t.optimizer.lower(),
            "--hidden", ",".join(map(str, m.hidden)), "--dropout", str(m.dropout),
            "--seed", str(t.seed)]


def check_same_job() -> None:
    """Stop if the default run no longer trains what the script trains: digits, a plain MLP
    (no batch norm, no ensemble) of the config's widths, the same split sizes."""
    import math

    from hakseup.config.load import load_config
    from hakseup.experiment.experiment import Experiment

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


def spread(rows: list[dict], key: str) -> dict:
    """Median, min and max of one figure over the rounds."""
    values = [r[key] for r in rows]
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def measure(ours: list[str], theirs: list[str], rounds: int, cold: bool, cwd: str,
            env: dict) -> list[dict]:
    """Rounds of `hakseup train` (warm: the references cache filled by the warm-up), the
    script, and with ``cold`` `hakseup train` again with an empty cache (the references
    fitted, as on a first run); ratios per round."""
    warm_env = dict(env, HAKSEUP_CACHE=os.path.join(cwd, "cache"))
    timed(ours, cwd, warm_env), timed(theirs, cwd, env)      # warm-up, not counted
    rows = []
    for i in range(rounds):
        (h, hc), (s, sc) = timed(ours, cwd, warm_env), timed(theirs, cwd, env)
        row = {"hakseup_s": round(h, 3), "script_s": round(s, 3), "ratio": round(h / s, 4),
               "hakseup_cpu_s": round(hc, 3), "script_cpu_s": round(sc, 3),
               "cpu_ratio": round(hc / sc, 4)}
        line = f"round {i + 1}/{rounds}: hakseup {h:.2f} s, script {s:.2f} s, ratio {h / s:.3f}"
        if cold:
            c, cc = timed(ours, cwd, dict(env, HAKSEUP_CACHE=tempfile.mkdtemp(dir=cwd)))
            row.update(cold_hakseup_s=round(c, 3), cold_ratio=round(c / s, 4),
                       cold_hakseup_cpu_s=round(cc, 3), cold_cpu_ratio=round(cc / sc, 4))
            line += f"; cold {c:.2f} s, ratio {c / s:.3f}"
        rows.append(row)
        print(line + f" (load {os.getloadavg()[0]:.1f})", flush=True)
    return rows


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pairs", type=int, default=7, help="rounds counted (after a warm-up)")
    p.add_argument("--target", type=float, default=1.2)
    p.add_argument("--output", default=str(HERE / "startup.json"))
    p.add_argument("--no-cold", dest="cold", action="store_false",
                   help="skip the run with an empty references cache in each round")
    p.add_argument("--extra", action="append", default=[], metavar="FLAG",
                   help="a flag added to `hakseup train` (e.g. --extra=--references=none: "
                        "what the rest of the run costs); repeatable")
    a = p.parse_args()
    env = dict(os.environ, PYTHONPATH=str(SRC) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    ours = [sys.executable, "-m", "hakseup.cli.main", "train", *a.extra]
    theirs = [sys.executable, str(HERE / "minimal_train.py"), *script_args()]
    check_same_job()
    load_before = list(os.getloadavg())
    with tempfile.TemporaryDirectory(prefix="hakseup-startup-") as cwd:
        rows = measure(ours, theirs, a.pairs, a.cold, cwd, env)
    keys = ["ratio", "cpu_ratio", "hakseup_s", "script_s"] + (
        ["cold_ratio", "cold_cpu_ratio", "cold_hakseup_s"] if a.cold else [])
    result = {"what": "default `hakseup train` vs benchmarks/minimal_train.py, wall seconds "
                      "(and CPU seconds, less sensitive to other jobs on the machine); "
                      "'cold': the same run with an empty references cache",
              "pairs": rows, **{k: spread(rows, k) for k in keys},
              "target": a.target, "ok": spread(rows, "ratio")["median"] <= a.target,
              "script_args": theirs[2:], "hakseup_args": ours[3:],
              "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                          "load_average_before": load_before,
                          "load_average_after": list(os.getloadavg()),
                          "omp_num_threads": os.environ.get("OMP_NUM_THREADS")}}
    Path(a.output).write_text(json.dumps(result, indent=2) + "\n")
    for k in keys:
        print(f"{k}: median {result[k]['median']:.3f}, min {result[k]['min']:.3f}, "
              f"max {result[k]['max']:.3f}")
    print(f"target ≤ {a.target}: {'OK' if result['ok'] else 'MISSED'} ({a.pairs} rounds, "
          f"load {load_before[0]:.1f} → {os.getloadavg()[0]:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
