"""Rocket's test accuracy as a function of the order of the training rows (issue 27).

``ucr_rocket_results.md`` measured rocket on ArrowHead at 0.870 ± 0.007 (seeds 0-2, commit
6c8b589 on the rocket branch); main gives 0.855 ± 0.009 since the merge 27045b3. Nothing in
the model changed: on the branch the unread validation rows were appended to the training
rows (``torch.cat([train, val])``: the sorted 85 % split, then the sorted 15 %), on main the
data is split with ``val_size 0`` and trains in file order. MiniRocket draws the series its
biases come from by index (``torch.randint(len(x))`` with the model's seed), so the same seed
picks other series: another random feature set, as another seed would.

This script trains the current code both ways, seed by seed, on the official splits:

* ``file_order``: the training file as it is (what ``hakseup train`` does now);
* ``branch_order``: the same rows in the branch's order (the 85/15 stratified split of
  ``data.splits.holdout_indices`` with the run's seed, each part sorted, validation last);

and MiniRocket (aeon) over the same seeds where ``HAKSEUP_AEON_PATH`` reaches it. Run with one
thread::

    HAKSEUP_AEON_PATH=/path/to/aeon OMP_NUM_THREADS=1 python benchmarks/rocket_row_order.py \\
        --seeds 30 --json benchmarks/results/rocket_row_order.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import quality_series  # noqa: E402  (puts ../src first on sys.path)
from quality_series import UCR, minirocket_aeon, ucr_default_run  # noqa: E402

ROCKET = {"name": "rocket"}


def branch_order(labels: np.ndarray, seed: int) -> np.ndarray:
    """The training rows in the order the rocket branch trained on them."""
    from hakseup.data.splits import holdout_indices

    train, val, _ = holdout_indices(len(labels), 0.15, 0, seed, stratify=labels)
    return np.concatenate([np.sort(train), np.sort(val)])


def accuracy_in_order(name: str, seed: int, order: np.ndarray | None) -> float:
    """Rocket's test accuracy with the training file's rows in ``order`` (None: as they are)."""
    data = quality_series.DATA
    if order is None:
        return ucr_default_run(name, seed, ROCKET)[0]
    folder = Path(tempfile.mkdtemp(prefix="row-order-"))
    pd.read_csv(data / f"ucr_{name}_train.csv").iloc[order].to_csv(
        folder / f"ucr_{name}_train.csv", index=False
    )
    (folder / f"ucr_{name}_test.csv").symlink_to(data / f"ucr_{name}_test.csv")
    quality_series.DATA = folder
    try:
        return ucr_default_run(name, seed, ROCKET)[0]
    finally:
        quality_series.DATA = data


def _summary(values: list) -> dict:
    return {"mean": statistics.mean(values), "std": statistics.stdev(values)}


def run(problems: list[str], seeds: int) -> dict:
    """Rows per (problem, seed) and the paired summary per problem."""
    rows: list[dict] = []
    for name in problems:
        labels = pd.read_csv(quality_series.DATA / f"ucr_{name}_train.csv")["label"].to_numpy()
        for seed in range(seeds):
            rows.append(
                {
                    "problem": name,
                    "seed": seed,
                    "file_order": accuracy_in_order(name, seed, None),
                    "branch_order": accuracy_in_order(name, seed, branch_order(labels, seed)),
                }
            )
            print(json.dumps(rows[-1]), flush=True)
    aeon = minirocket_aeon(problems, seeds)
    for row in (aeon or {}).get("rows", []):
        match = [r for r in rows if (r["problem"], r["seed"]) == (row["problem"], row["seed"])]
        match[0]["minirocket_aeon"] = row["accuracy"]
    summary = {}
    for name in problems:
        mine = [r for r in rows if r["problem"] == name]
        cols = ["file_order", "branch_order"] + (["minirocket_aeon"] if aeon else [])
        summary[name] = {c: _summary([r[c] for r in mine]) for c in cols}
        summary[name]["file_minus_branch"] = _summary(
            [r["file_order"] - r["branch_order"] for r in mine]
        )
    return {
        "seeds": seeds,
        "rows": rows,
        "summary": summary,
        "aeon": {k: v for k, v in (aeon or {}).items() if k != "rows"},
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--problems", default=",".join(UCR))
    ap.add_argument("--seeds", type=int, default=30)
    ap.add_argument("--json", type=Path, required=True)
    args = ap.parse_args()
    result = run(args.problems.split(","), args.seeds)
    args.json.write_text(json.dumps(result, indent=1))
    for name, s in result["summary"].items():
        print(name, {k: f"{v['mean']:.4f} ± {v['std']:.4f}" for k, v in s.items()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
