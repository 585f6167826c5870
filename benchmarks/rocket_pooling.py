"""Rocket's pooling: MiniRocket's PPV against MultiRocket's four operators (issue 27).

``model.rocket_pooling``: ``ppv`` (MiniRocket: one feature per bias, ~10,000) or ``multi``
(MultiRocket: PPV, MPV, MIPV and LSPV per bias, on the series and its first difference, the
same ~10,000 features). The choice reads only the training files:

1. inner cross-validation (``hakseup cv``, 5 folds, repeated with seeds 0-2) on each
   problem's ``*_train.csv`` for both options;
2. then, to confirm, the official test files over ``--seeds`` seeds for ``multi`` (whole-run
   CPU seconds per run), beside ``ppv`` over the same seeds — read from ``--ppv-rows``
   (``rocket_row_order.py``'s JSON: the same code path, file order) where given, re-run on the
   first ``--cpu-seeds`` seeds for its CPU seconds (and checked equal) — and MiniRocket (aeon)
   over the same seeds (accuracy and CPU seconds per fit). Run with one thread::

    HAKSEUP_AEON_PATH=/path/to/aeon OMP_NUM_THREADS=1 python benchmarks/rocket_pooling.py \\
        --seeds 30 --ppv-rows benchmarks/results/rocket_row_order.json \\
        --json benchmarks/results/rocket_pooling.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from quality_series import UCR, inner_cv, minirocket_aeon, ucr_default_run  # noqa: E402

OPTIONS = {"ppv": {"name": "rocket", "rocket_pooling": "ppv"},
           "multi": {"name": "rocket", "rocket_pooling": "multi"}}


def _summary(values: list[float]) -> dict:
    return {"mean": statistics.mean(values),
            "std": statistics.stdev(values) if len(values) > 1 else 0.0, "n": len(values)}


def _stored_ppv(path: Path | None, seeds: int) -> dict[tuple[str, int], dict]:
    """(problem, seed) → {ppv, minirocket_aeon} from ``rocket_row_order.py``'s rows."""
    if path is None:
        return {}
    rows = json.loads(path.read_text())["rows"]
    return {(r["problem"], r["seed"]): {"ppv": r["file_order"],
                                        "minirocket_aeon": r.get("minirocket_aeon")}
            for r in rows if r["seed"] < seeds}


def run(problems: list[str], seeds: int, folds: int, stored: dict, out: Path,
        cpu_seeds: int = 0, cv_seeds: int = 1) -> dict:
    """Inner CV of both options (``cv_seeds`` x ``folds`` folds: fold splits and models
    seeded 0, 1, ...), then the test rows (``ppv`` re-run for its CPU seconds on
    the first ``cpu_seeds`` seeds, or everywhere without stored rows), then MiniRocket."""
    result: dict = {"seeds": seeds, "folds": folds, "cv_seeds": cv_seeds, "inner_cv": {},
                    "rows": [],
                    "load_before": os.getloadavg()}

    def save() -> None:
        out.write_text(json.dumps(result, indent=1))

    for name in problems:
        for label, model in OPTIONS.items():
            accs = [a for seed in range(cv_seeds) for a in inner_cv(name, model, folds, seed)]
            result["inner_cv"].setdefault(name, {})[label] = accs
            print(f"inner cv {name:18s} {label:6s} {statistics.mean(accs):.4f}", flush=True)
            save()
    for name in problems:
        for seed in range(seeds):
            row: dict = {"problem": name, "seed": seed}
            rerun = (name, seed) not in stored or seed < cpu_seeds
            for label in ["multi", "ppv"] if rerun else ["multi"]:
                cpu: list[float] = []
                row[label] = ucr_default_run(name, seed, OPTIONS[label], cpu)[0]
                row[f"{label}_cpu_seconds"] = cpu[0]
            if (name, seed) in stored:
                if rerun:  # the stored rows are this code's ppv: checked where re-run
                    row["ppv_equals_stored"] = row["ppv"] == stored[(name, seed)]["ppv"]
                row.update({k: v for k, v in stored[(name, seed)].items() if v is not None})
            result["rows"].append(row)
            print(json.dumps(row), flush=True)
            save()
    aeon = minirocket_aeon(problems, seeds)  # the same seeds, for its CPU seconds per fit
    result["aeon"] = {k: v for k, v in (aeon or {}).items() if k != "rows"}
    for r in (aeon or {}).get("rows", []):
        for row in result["rows"]:
            if (row["problem"], row["seed"]) == (r["problem"], r["seed"]):
                row["minirocket_aeon"] = r["accuracy"]
                row["minirocket_aeon_cpu_seconds"] = r["cpu_seconds"]
    result["summary"] = summarise(result, problems)
    result["load_after"] = os.getloadavg()
    save()
    return result


def summarise(result: dict, problems: list[str]) -> dict:
    summary: dict = {}
    for name in problems:
        cell: dict = {"inner_cv": {k: _summary(v) for k, v in result["inner_cv"][name].items()}}
        mine = [r for r in result["rows"] if r["problem"] == name]
        for col in ("multi", "ppv", "minirocket_aeon", "multi_cpu_seconds", "ppv_cpu_seconds",
                    "minirocket_aeon_cpu_seconds"):
            vals = [r[col] for r in mine if col in r]
            if vals:
                cell[col] = _summary(vals)
        paired = [r["multi"] - r["ppv"] for r in mine if "ppv" in r]
        if paired:
            cell["multi_minus_ppv"] = _summary(paired)
        summary[name] = cell
    return summary


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--problems", default=",".join(UCR))
    ap.add_argument("--seeds", type=int, default=30)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--cv-seeds", type=int, default=3, help="inner CV repeated with seeds 0..N-1")
    ap.add_argument("--ppv-rows", type=Path, default=None)
    ap.add_argument("--cpu-seeds", type=int, default=5,
                    help="seeds on which ppv is re-run beside multi (its CPU seconds)")
    ap.add_argument("--json", type=Path, required=True)
    args = ap.parse_args()
    problems = args.problems.split(",")
    result = run(problems, args.seeds, args.folds, _stored_ppv(args.ppv_rows, args.seeds),
                 args.json, args.cpu_seeds, args.cv_seeds)
    for name, cell in result["summary"].items():
        print(name, {k: f"{v['mean']:.4f} ± {v['std']:.4f}" for k, v in cell.items()
                     if k != "inner_cv"},
              {k: f"{v['mean']:.4f}" for k, v in cell["inner_cv"].items()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
