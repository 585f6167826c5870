"""The recurrent models' training budget: our LSTM against the default sequence model.

Two problems:

(a) the five UCR problems of ``../shared/data/quality`` (official train/test files), and
(b) a longer, generated one (``order_problem``): 3,400 training and 1,000 test series of 200
    steps, 10 classes, each series two events of five shapes at random places in its first
    and second half, the class the ordered pair of shapes: the order matters, so a model must
    carry what it saw across a hundred steps or more.

For each, ``hakseup train`` with the defaults a user gets (``--model lstm``, and the default
model for reference), seeds 0..S-1: test accuracy, the epochs the run trained, its CPU
seconds. Run with ``OMP_NUM_THREADS=1`` (what the thread policy gives these models anyway)::

    python benchmarks/recurrent_budget.py --seeds 3 --json benchmarks/results/recurrent_budget.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

from quality_series import DATA, UCR, _quiet_train  # noqa: E402

SHAPES = 5
PAIRS = [(a, b) for a in range(SHAPES) for b in range(SHAPES) if a != b][:10]


def _event(kind: int, n: int = 12) -> np.ndarray:
    x = np.linspace(0, 1, n)
    return [np.sin(2 * np.pi * 2 * x), np.where(x < 0.5, 1.0, -1.0), 2 * x - 1,
            -np.exp(-((x - 0.5) ** 2) / 0.01) * 2, np.exp(-((x - 0.5) ** 2) / 0.01) * 2][kind]


def order_problem(n: int, length: int = 200, seed: int = 0) -> pd.DataFrame:
    """``n`` series of ``length`` steps (columns ``t0``..) and their ``label`` (see the module)."""
    rng = np.random.default_rng(seed)
    rows = rng.normal(0, 0.4, size=(n, length))
    labels = rng.integers(0, len(PAIRS), size=n)
    half = length // 2
    for i, c in enumerate(labels):
        first, second = PAIRS[c]
        for kind, lo in ((first, 0), (second, half)):
            at = rng.integers(lo, lo + half - 12)
            rows[i, at:at + 12] += _event(kind)
    frame = pd.DataFrame(rows, columns=[f"t{k}" for k in range(length)])
    frame["label"] = [f"c{c}" for c in labels]
    return frame


def _run(train_csv: Path, test_csv: Path, model: dict, seed: int,
         shape: str | None = None) -> dict:
    data = {"path": str(train_csv), "test_path": str(test_csv), "target": "label",
            "layout": "sequence"}
    if shape:
        data["sequence_shape"] = shape
    t0 = time.process_time()
    result, _ = _quiet_train({"data": data, "model": dict(model), "train": {"seed": seed}})
    saved = json.loads((Path(result.run_dir) / "run.json").read_text())
    return {"accuracy": float(result.metrics["accuracy"]), "cpu_s": time.process_time() - t0,
            "epochs": saved.get("epochs")}


MODELS = {"default": {}, "lstm (ours)": {"name": "lstm", "lstm_impl": "scratch"}}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--only", default="", help="comma-separated problems (ucr names, order)")
    ap.add_argument("--json", metavar="FILE")
    args = ap.parse_args(argv)
    problems = [p for p in [*UCR, "order"] if not args.only or p in args.only.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in problems:
            if name == "order":
                train_csv, test_csv = Path(tmp) / "order_train.csv", Path(tmp) / "order_test.csv"
                order_problem(3400, seed=1).to_csv(train_csv, index=False)
                order_problem(1000, seed=2).to_csv(test_csv, index=False)
                shape = None
            else:
                train_csv = DATA / f"ucr_{name}_train.csv"
                test_csv = DATA / f"ucr_{name}_test.csv"
                shape = UCR[name]
            for label, model in MODELS.items():
                runs = [_run(train_csv, test_csv, model, s, shape) for s in range(args.seeds)]
                accs = [r["accuracy"] for r in runs]
                row = {"problem": name, "model": label, "accuracy": accs,
                       "cpu_s": [round(r["cpu_s"], 1) for r in runs],
                       "epochs": [r["epochs"] for r in runs]}
                rows.append(row)
                sd = statistics.stdev(accs) if len(accs) > 1 else 0.0
                print(f"{name:18s} {label:12s} {statistics.mean(accs):.3f} ± {sd:.3f}  "
                      f"CPU {statistics.mean(row['cpu_s']):.1f} s  epochs {row['epochs']}",
                      flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
