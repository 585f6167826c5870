"""Which quantile rule the conformal intervals use, chosen on the validation windows only.

The default forecast's intervals (``--interval 0.8,0.95``) take their widths from the errors of
the default forecast on the validation windows (``evaluation.forecast_intervals``). A series
has 1–405 validation origins (13–37 at one step on all but sunspot_month), so the finite-sample
rule of split conformal — the ceil((n + 1)·level)-th smallest error — leaves slack. Each rule
of ``RULES`` is scored here:

- validation (chooses): each run's validation residuals are split in time, the rule calibrates
  on the earlier half and its coverage is measured on the later half (no test value is read);
  the rule whose suite-mean coverage is closest to nominal over both levels, both horizons and
  both seeds is chosen;
- test (reports only): the rule calibrated on all the validation residuals, scored on the
  test period by coverage and MSIS (``interval_scores``), next to the current rule.

The runs are the suite's as ``benchmarks/quality_series.py`` makes them (``suite_run``'s
configuration: ``hakseup train`` with no tuning flags and ``--interval 0.8,0.95``, one step
and the frequency's default horizon, the nine single series). Point forecasts do not depend on
the rule: each run's test MASE is written beside the intervals to check it.

    python benchmarks/interval_rule_selection.py --seeds 0,1 --cache /tmp/fint \\
        --json benchmarks/interval_rule_selection.json
    python benchmarks/interval_rule_selection.py --seeds 0,1 --cache /tmp/fint --no-train

Data: ``../shared/data/quality`` (benchmarks only).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402

LEVELS = [0.8, 0.95]
RULES = ("conformal", "empirical", "weibull", "median_unbiased", "linear", "normal")
"""How the pooled normalised absolute errors (``n``, sorted) give a level's quantile:
``conformal`` the package's rule, the ceil((n + 1)·level)-th smallest (coverage ≥ level for
exchangeable errors; the largest when n is small); ``empirical`` the ceil(n·level)-th;
``weibull``, ``median_unbiased`` and ``linear`` NumPy's interpolated quantiles (Hyndman & Fan
types 6, 8 and 7; type 6 covers exactly ``level`` on average for exchangeable continuous
errors); ``normal`` the normal quantile z_(1+level)/2 times the errors' root mean square."""


def widths(residuals: np.ndarray, levels: list[float], rule: str) -> dict[float, np.ndarray]:
    """{level: half-width per step} of ``rule``: the package's ``conformal_widths`` for
    ``conformal``; the others swap only its quantile of the pooled normalised errors.

    >>> r = np.arange(1.0, 11.0)[:, None]
    >>> [round(float(widths(r, [0.8], k)[0.8][0]), 2) for k in RULES]
    [9.0, 8.0, 8.8, 8.6, 8.2, 7.95]
    """
    from hakseup.evaluation.forecast_intervals import conformal_widths

    if rule == "conformal":
        return conformal_widths(residuals, levels)
    r = np.abs(np.asarray(residuals, dtype=np.float64))  # as conformal_widths normalises
    scale = np.maximum.accumulate(r.mean(0))
    scale = np.where(scale > 0, scale, max(float(scale.max()), 1e-12))
    pooled = np.sort((r / scale).ravel())
    out = {}
    for level in levels:
        if rule == "empirical":
            q = pooled[max(1, math.ceil(len(pooled) * level)) - 1]
        elif rule == "normal":
            q = statistics.NormalDist().inv_cdf((1 + level) / 2) * np.sqrt(np.mean(pooled**2))
        else:
            q = np.quantile(pooled, level, method=rule)
        out[float(level)] = float(q) * scale
    return out


def collect(name: str, horizon: int | None, seed: int) -> dict:
    """One suite run: its validation residuals (N, H) in time order, the test period's actuals
    and default forecast (M, H), the MASE scale, the run's own MASE and intervals."""
    import torch

    from hakseup.evaluation.forecast import _mase_scale, forecast_predictions
    from quality_series import suite_default_run

    result, _, seconds = suite_default_run(name, horizon, seed, LEVELS)
    m, bundle = result.metrics, result.bundle
    s = bundle.info["series"]
    _, pred, actual, _ = forecast_predictions(result.model, bundle, "test")
    return {"series": name, "horizon": int(bundle.schema.n_outputs), "seed": seed,
            "mase": float(m["mase"]), "intervals": m.get("intervals", {}),
            "rule": m["forecast_rule"]["name"], "seconds": seconds,
            "load_1min": os.getloadavg()[0], "threads": torch.get_num_threads(),
            "scale": _mase_scale(s["y"][:s["train_end"]]),
            "val_residuals": np.asarray(s.get("val_residuals", np.empty((0, actual.shape[1])))),
            "test_actual": actual, "test_pred": pred}


def _save(run: dict, path: Path) -> None:
    arrays = {k: run[k] for k in ("val_residuals", "test_actual", "test_pred")}
    np.savez(path.with_suffix(".npz"), **arrays)
    path.with_suffix(".json").write_text(json.dumps({k: v for k, v in run.items()
                                                     if k not in arrays}))


def _load(path: Path) -> dict:
    run = json.loads(path.with_suffix(".json").read_text())
    with np.load(path.with_suffix(".npz")) as z:
        run.update({k: z[k] for k in z.files})
    return run


def validation_scores(residuals: np.ndarray, rule: str) -> dict[str, float] | None:
    """{level: coverage} on the later half of the validation residuals of widths calibrated on
    the earlier half (None with fewer than two validation windows)."""
    n = len(residuals)
    if n < 2:
        return None
    cut = n // 2
    calibrated = widths(residuals[:cut], LEVELS, rule)
    later = np.abs(residuals[cut:])
    return {f"{lv:g}": float(np.mean(later <= w)) for lv, w in calibrated.items()}


def test_scores(run: dict, rule: str) -> dict:
    """The run's test coverage and MSIS per level with widths from all its validation errors."""
    from hakseup.evaluation.forecast_intervals import interval_scores

    w = widths(run["val_residuals"], LEVELS, rule)
    scores = interval_scores(run["test_actual"], run["test_pred"], w, run["scale"])
    return {lv: {"coverage": v["coverage"], "msis": v["msis"]} for lv, v in scores.items()}


def _cells(runs: list[dict], rule: str) -> dict:
    """Suite means per (horizon kind, seed, level): validation coverage, test coverage, MSIS."""
    out: dict = {}
    for run in runs:
        kind = "one step" if run["horizon"] == 1 else "default horizon"
        val = validation_scores(run["val_residuals"], rule)
        test = test_scores(run, rule)
        for lv in ("0.8", "0.95"):
            cell = out.setdefault(f"{kind}|{run['seed']}|{lv}",
                                  {"val_coverage": [], "test_coverage": [], "test_msis": []})
            if val is not None:
                cell["val_coverage"].append(val[lv])
            cell["test_coverage"].append(test[lv]["coverage"])
            cell["test_msis"].append(test[lv]["msis"])
    return {k: {m: float(np.mean(v)) for m, v in c.items()} | {"runs": len(c["test_msis"]),
                                                             "val_runs": len(c["val_coverage"])}
            for k, c in out.items()}


def evaluate(runs: list[dict]) -> dict:
    """Every rule's cells and its validation score: the mean absolute gap between the suite-mean
    validation coverage and nominal over the cells (the choice), beside the test figures."""
    rules = {}
    for rule in RULES:
        cells = _cells(runs, rule)
        gap = [abs(c["val_coverage"] - float(k.split("|")[2])) for k, c in cells.items()]
        test_gap = [abs(c["test_coverage"] - float(k.split("|")[2])) for k, c in cells.items()]
        rules[rule] = {"cells": cells, "val_gap": float(np.mean(gap)),
                       "test_gap": float(np.mean(test_gap)),
                       "test_msis": float(np.mean([c["test_msis"] for c in cells.values()]))}
    chosen = min(rules, key=lambda r: rules[r]["val_gap"])
    return {"rules": rules, "chosen_on_validation": chosen}


def per_run(runs: list[dict], rules: list[str]) -> list[dict]:
    """Each run's MASE, validation and test coverage/MSIS under ``rules``."""
    rows = []
    for run in runs:
        row = {k: run[k] for k in ("series", "horizon", "seed", "mase", "rule", "seconds")}
        row["val_windows"] = len(run["val_residuals"])
        row["package_intervals"] = {lv: {"coverage": v["coverage"], "msis": v["msis"]}
                                    for lv, v in run["intervals"].items()}
        for rule in rules:
            row[rule] = {"validation": validation_scores(run["val_residuals"], rule),
                         "test": test_scores(run, rule)}
        rows.append(row)
    return rows


def one_step_slack(runs: list[dict]) -> list[dict]:
    """Why one step is wide, per run at h = 1: the validation errors n, the expected coverage
    of the conformal rule for exchangeable errors (k / (n + 1), k = min(n, ceil((n + 1)·level))),
    the test coverage, and the test MAE over the validation MAE (1 when exchangeable)."""
    rows = []
    for run in runs:
        if run["horizon"] != 1 or not len(run["val_residuals"]):
            continue
        n = len(run["val_residuals"])
        test_err = np.abs(run["test_actual"] - run["test_pred"])
        row = {"series": run["series"], "seed": run["seed"], "n": n,
               "test_over_val_mae": float(test_err.mean() / np.abs(run["val_residuals"]).mean())}
        for lv in LEVELS:
            row[f"expected_{lv:g}"] = min(n, math.ceil((n + 1) * lv)) / (n + 1)
            row[f"test_{lv:g}"] = run["intervals"][f"{lv:g}"]["coverage"]
        rows.append(row)
    return rows


def markdown(result: dict) -> str:
    """One table: per rule, validation gap and each cell's validation → test coverage, MSIS."""
    rules = result["rules"]
    keys = list(next(iter(rules.values()))["cells"])
    head = ["rule", "val gap", *[k.replace("|", " s") for k in keys], "test gap", "mean MSIS"]
    out = ["| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
    for name, r in rules.items():
        cells = [f"{r['cells'][k]['val_coverage']:.1%} → {r['cells'][k]['test_coverage']:.1%}"
                 f" ({r['cells'][k]['test_msis']:.2f})" for k in keys]
        out.append(f"| {name} | {r['val_gap']:.2%} | " + " | ".join(cells)
                   + f" | {r['test_gap']:.2%} | {r['test_msis']:.3f} |")
    out += ["", f"Chosen on validation: {result['chosen_on_validation']}.", "",
            "| series | seed | n | expected 80 % | test 80 % | expected 95 % | test 95 % "
            "| test MAE / val MAE |", "|---" * 8 + "|"]
    for r in result.get("one_step_slack", []):
        out.append(f"| {r['series']} | {r['seed']} | {r['n']} | {r['expected_0.8']:.1%} | "
                   f"{r['test_0.8']:.1%} | {r['expected_0.95']:.1%} | {r['test_0.95']:.1%} | "
                   f"{r['test_over_val_mae']:.2f} |")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    from quality_series import SUITE

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", default="0,1")
    p.add_argument("--names", help="only these series (comma-separated)")
    p.add_argument("--horizons", default="1,default")
    p.add_argument("--cache", required=True, help="folder of the runs (reused when present)")
    p.add_argument("--no-train", action="store_true", help="only the cached runs")
    p.add_argument("--json", metavar="FILE")
    args = p.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    names = args.names.split(",") if args.names else list(SUITE)
    runs = []
    for h in args.horizons.split(","):
        horizon = None if h == "default" else int(h)
        for name in names:
            for seed in (int(x) for x in args.seeds.split(",")):
                path = cache / f"{name}_{h}_{seed}"
                if not path.with_suffix(".json").exists():
                    if args.no_train:
                        continue
                    _save(collect(name, horizon, seed), path)
                run = _load(path)
                runs.append(run)
                print(f"  {name:17s} h={run['horizon']:<3d} seed {seed} MASE {run['mase']:.4f}"
                      f" val windows {len(run['val_residuals'])} {run['seconds']:.0f} s",
                      flush=True)
    result = evaluate(runs)
    result["per_run"] = per_run(runs, ["conformal", result["chosen_on_validation"]])
    result["one_step_slack"] = one_step_slack(runs)
    result["package_is_conformal"] = all(  # the runs' own intervals are the "conformal" rule's
        abs(r["package_intervals"][lv]["coverage"] - r["conformal"]["test"][lv]["coverage"])
        + abs(r["package_intervals"][lv]["msis"] - r["conformal"]["test"][lv]["msis"]) < 1e-9
        for r in result["per_run"] for lv in r["package_intervals"])
    load = [r["load_1min"] for r in runs if "load_1min" in r]  # after each run
    result["load_1min"] = {"min": min(load), "max": max(load)} if load else None
    print(markdown(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
