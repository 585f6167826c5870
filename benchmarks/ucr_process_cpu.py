"""CPU seconds of one fresh process per run, as a user meets them: ``hakseup train`` with the
default sequence model (reading the CSVs, the references, the report, TensorBoard) against a
process that imports aeon and fits and predicts its MiniRocket (issue 27's CPU target: at most
2x MiniRocket's). Children's CPU from ``getrusage``; one thread each.

    HAKSEUP_AEON_PATH=/path/to/aeon python benchmarks/ucr_process_cpu.py --seeds 3 \\
        --json benchmarks/results/ucr_process_cpu.json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "quality"
PROBLEMS = {"gunpoint": None, "italypowerdemand": None, "arrowhead": None,
            "basicmotions": "100x6", "osuleaf": None}
AEON = """
import sys, pandas as pd
from aeon.classification.convolution_based import MiniRocketClassifier
name, seed, shape = sys.argv[1], int(sys.argv[2]), sys.argv[3]
d = "{data}"
tr, te = (pd.read_csv(f"{{d}}/ucr_{{name}}_{{s}}.csv") for s in ("train", "test"))
def x(f):
    a = f.drop(columns="label").to_numpy(float)
    if shape != "-":
        steps, channels = map(int, shape.split("x"))
        return a.reshape(len(a), steps, channels).transpose(0, 2, 1)
    return a[:, None, :]
m = MiniRocketClassifier(random_state=seed, n_jobs=1).fit(x(tr), tr.label.astype(str))
print((m.predict(x(te)) == te.label.astype(str)).mean())
"""


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _timed(cmd: list[str], env: dict) -> float:
    before = _children_cpu()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return _children_cpu() - before


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--json", default="")
    args = ap.parse_args()
    aeon_path = os.environ.get("HAKSEUP_AEON_PATH")
    if not DATA.is_dir() or not aeon_path:
        print("needs ../shared/data/quality and HAKSEUP_AEON_PATH (aeon); nothing measured")
        return 0
    env = {**os.environ, "OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"}
    aeon_env = {**env, "PYTHONPATH": aeon_path}
    script = AEON.format(data=DATA.resolve())
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        _timed([sys.executable, "-c", script, "gunpoint", "0", "-"], aeon_env)  # numba's cache
        for name, shape in PROBLEMS.items():
            for seed in range(args.seeds):
                aeon = _timed([sys.executable, "-c", script, name, str(seed), shape or "-"],
                              aeon_env)
                cmd = [sys.executable, "-m", "hakseup", "train", "--data",
                       str(DATA / f"ucr_{name}_train.csv"), "--test-data",
                       str(DATA / f"ucr_{name}_test.csv"), "--target", "label", "--layout",
                       "sequence", "--seed", str(seed), "--output", f"{tmp}/{name}{seed}"]
                if shape:
                    cmd += ["--sequence-shape", shape]
                ours = _timed(cmd, env)
                rows.append({"problem": name, "seed": seed, "hakseup": ours, "aeon": aeon})
                print(f"{name:18s} seed {seed}: hakseup {ours:.2f} CPU s, aeon {aeon:.2f} "
                      f"({ours / aeon:.2f}x)", flush=True)
    total = {k: sum(r[k] for r in rows) for k in ("hakseup", "aeon")}
    worst = max(statistics.mean(r["hakseup"] / r["aeon"] for r in rows if r["problem"] == p)
                for p in PROBLEMS)
    print(f"all: hakseup {total['hakseup']:.1f} / aeon {total['aeon']:.1f} CPU s = "
          f"{total['hakseup'] / total['aeon']:.2f}x; worst problem {worst:.2f}x")
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "total": total,
                                               "worst_ratio": worst}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
