"""MiniRocket (aeon) on the five UCR problems of the quality suite: the peer the default
sequence model is measured against. Run in an environment that has aeon (its numba needs
numpy < 2.4, so it may live apart from hakseup's: ``PYTHONPATH=/path/to/aeon-site``)::

    NUMBA_NUM_THREADS=1 OMP_NUM_THREADS=1 python benchmarks/minirocket_aeon.py --json out.json

One JSON row per (problem, seed): test accuracy and the CPU seconds of fit + predict in this
process (one thread; numba's compilation is done once before timing, on a tiny problem, and
reported apart). ``benchmarks/quality_series.py`` runs this as a subprocess.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(os.environ.get("HAKSEUP_QUALITY_DATA", "/work/shared/data/quality"))
SHAPES = {"basicmotions": (100, 6)}


def load(name: str, part: str) -> tuple[np.ndarray, np.ndarray]:
    """(X as (n, channels, length), labels as text) of one official split."""
    df = pd.read_csv(DATA / f"ucr_{name}_{part}.csv")
    y = df["label"].astype(str).to_numpy()
    x = df.drop(columns="label").to_numpy(np.float64)
    steps, channels = SHAPES.get(name, (x.shape[1], 1))
    return x.reshape(len(x), steps, channels).transpose(0, 2, 1).copy(), y


def main(argv: list[str] | None = None) -> int:
    from aeon.classification.convolution_based import MiniRocketClassifier

    ap = argparse.ArgumentParser()
    ap.add_argument("--problems", default="gunpoint,italypowerdemand,arrowhead,osuleaf,"
                                          "basicmotions")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--json", required=True)
    args = ap.parse_args(argv)
    c0 = time.process_time()
    warm_x = np.random.default_rng(0).normal(size=(8, 1, 30))
    MiniRocketClassifier(random_state=0).fit(warm_x, np.arange(8) % 2).predict(warm_x)
    warm_x6 = np.random.default_rng(0).normal(size=(8, 3, 30))
    MiniRocketClassifier(random_state=0).fit(warm_x6, np.arange(8) % 2).predict(warm_x6)
    compile_cpu = time.process_time() - c0
    rows = []
    for name in args.problems.split(","):
        xtr, ytr = load(name, "train")
        xte, yte = load(name, "test")
        for seed in range(args.seeds):
            c0 = time.process_time()
            pred = MiniRocketClassifier(random_state=seed).fit(xtr, ytr).predict(xte)
            cpu = time.process_time() - c0
            rows.append({"problem": name, "seed": seed, "accuracy": float((pred == yte).mean()),
                         "cpu_seconds": cpu})
            print(name, seed, rows[-1]["accuracy"], round(cpu, 2), file=sys.stderr, flush=True)
    import aeon

    Path(args.json).write_text(json.dumps({"aeon": aeon.__version__, "numpy": np.__version__,
                                           "compile_cpu_seconds": compile_cpu, "rows": rows},
                                          indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
