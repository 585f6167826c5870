"""benchmarks/quality.py's tables section, on made-up rows: the paired difference to the best
peer, the CPU seconds beside every reference, the suite means against each peer (issues 25, 27).
The measurement itself needs the shared data: ``python benchmarks/quality.py``."""

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "quality.py"


@pytest.fixture(scope="module")
def quality():
    spec = importlib.util.spec_from_file_location("bench_quality", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_quality"] = module      # its dataclass looks itself up there
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop("bench_quality", None)


def _row(q, name, task, ours, refs, fit_cpu=None):
    main = "r2" if task == "regression" else "accuracy"
    row = {"name": name, "task": task, "rows": 100, "main": main, "seconds_per_run": 2.0,
           "cpu_seconds_per_run": 3.0, "hakseup": {main: q._mean_std(ours)},
           "references": {n: {main: q._mean_std(v), "cpu_seconds": q._mean_std([c] * len(v))}
                          for n, (v, c) in refs.items()}}
    if fit_cpu is not None:
        row["fit_cpu_seconds_per_run"] = fit_cpu
    best = max((n for n in refs if n not in ("mean", "majority")),
               key=lambda n: row["references"][n][main]["mean"])
    row.update(best_reference=best, target_met=True,
               gap_to_best=row["hakseup"][main]["mean"] - row["references"][best][main]["mean"])
    return row


def test_paired_difference_is_fold_by_fold(quality):
    d = quality.paired_difference([0.5, 0.7, 0.9], [0.4, 0.7, 0.7])
    assert d["folds"] == pytest.approx([0.1, 0.0, 0.2])
    assert d["mean"] == pytest.approx(0.1) and d["std"] == pytest.approx(0.1)
    with pytest.raises(ValueError):
        quality.paired_difference([0.5], [0.4, 0.7])


def test_the_tables_markdown_has_paired_gaps_cpu_seconds_and_suite_means(quality):
    rows = [
        _row(quality, "t1", "binary", [0.90, 0.92, 0.94],
             {"majority": ([0.5] * 3, 0.01), "logistic": ([0.88, 0.90, 0.95], 0.02),
              "hgb": ([0.80] * 3, 0.1), "catboost": ([0.91, 0.90, 0.93], 1.5)}, fit_cpu=2.5),
        _row(quality, "t2", "regression", [0.60, 0.70, 0.80],
             {"mean": ([0.0] * 3, 0.01), "ridge": ([0.5] * 3, 0.02), "hgb": ([0.6] * 3, 0.1),
              "catboost": ([0.65, 0.72, 0.79], 0.9)}),        # an older row: no fit CPU
    ]
    md = quality.tables_markdown(rows)
    # t1's best reference is catboost (0.913): paired 0.92 - 0.913 per fold
    assert "+0.007 ± 0.015 (catboost)" in md
    assert "-0.020 ± 0.030 (catboost)" in md
    assert "| t1 | 2.5 | 3.0 | 0.02 | 0.10 | — | 1.50 |" in md
    assert "| t2 | — | 3.0 | 0.02 | 0.10 | — | 0.90 |" in md
    assert "classification (accuracy), 1 tables: hakseup 0.920; logistic 0.910, hgb 0.800, " \
           "catboost 0.913 (best single peer: catboost, hakseup +0.007)" in md
    assert "regression (R²), 1 tables: hakseup 0.700;" in md


def test_the_before_after_table_pairs_the_folds(quality):
    refs = {"mean": ([0.0] * 3, 0.01), "ridge": ([0.80, 0.85, 0.90], 0.02)}
    before = [_row(quality, "t", "regression", [0.78, 0.84, 0.86], refs)]
    after = [_row(quality, "t", "regression", [0.80, 0.85, 0.88], refs, fit_cpu=1.5)]
    md = quality.compare_markdown(before, after)
    assert "| t | r2 | 0.827 ± 0.042 | 0.843 ± 0.040 | +0.0167 ± 0.0058 | ridge 0.850 ± " \
           "0.050 | -0.007 ± 0.012 | 1.5 / 3.0 |" in md
