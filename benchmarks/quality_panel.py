"""Many series with one global model: M1 yearly (181 series, h = 6), the M-competition way.

    python benchmarks/quality_panel.py                 # the default, 3 seeds
    python benchmarks/quality_panel.py --seeds 1       # one seed
    python benchmarks/quality_panel.py --sweep         # the choices, on the validation block

The default is what a user gets from

    hakseup train --data m1_yearly.csv --id-col series --time-col year --target value

with no tuning flag: the last 6 points of every series are its test, the 6 before them its
validation block; mean MASE (each series' scale: its in-sample naive error before the test)
and mean sMAPE over the 181 series, of the default forecast, of the network alone and of
statsforecast's AutoETS, AutoTheta, AutoARIMA, their mean (the statistical ensemble) and the
naive forecast, fitted per series on the same history; seconds for the whole run (reading,
training, both reference fits, scoring and the report).

``--sweep`` measures the choices behind the default — window, model, width, per-series
scaling, id embedding, epochs — on the **validation block** (mean validation MASE of the
network, 3 seeds), with the references fitted once; the test figures are printed beside them
but never chose anything.

Data: ``../shared/data/quality/m1_yearly.csv`` (benchmarks only).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

DATA = HERE.parents[1] / "shared" / "data" / "quality"
if not DATA.is_dir():
    DATA = Path("/work/shared/data/quality")
M1 = {"path": str(DATA / "m1_yearly.csv"), "id_col": "series", "time_col": "year",
      "target": "value"}
REFS = ("AutoETS", "AutoTheta", "AutoARIMA", "statistical ensemble", "naive")

__all__ = ["m1_default_run", "run_m1", "m1_markdown", "sweep"]


def _cpu() -> float:
    import resource

    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def m1_default_run(seed: int = 0, extra: dict | None = None) -> dict:
    """One default run on M1 yearly: mean MASE and sMAPE of the default, the network and every
    reference; the rule; seconds (wall and CPU) of the whole ``train``."""
    from hakseup.config import RunConfig
    from hakseup.experiment.experiment import train

    extra = extra or {}
    cfg = RunConfig.from_dict({
        "data": {**M1, **extra.get("data", {})}, "model": extra.get("model", {}),
        "train": {"seed": seed, "progress": False, "tensorboard": False,
                  **extra.get("train", {})},
        "output": {"root": tempfile.mkdtemp(prefix="hq-panel-"), "plots": False}})
    t0, c0 = time.perf_counter(), _cpu()
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        result = train(cfg, echo=lambda *a, **k: None)
    m = result.metrics
    return {"seed": seed, "series": len(m["per_series"]), "default": m["mase"], "smape": m["smape"],
            "network": m["network"]["mase"], "network_smape": m["network"]["smape"],
            "rule": m["forecast_rule"]["name"],
            "validation": m["forecast_rule"]["validation_mase"],
            "references": {k: v["mase"] for k, v in m["baselines"].items()},
            "reference_smape": {k: v["smape"] for k, v in m["baselines"].items()},
            "worst": m["worst_series"], "epochs": len(result.logs),
            "seconds": time.perf_counter() - t0, "cpu_seconds": _cpu() - c0}


def run_m1(quick: bool = False, seeds: list[int] | None = None) -> dict:
    """The default on M1 yearly over ``seeds`` (one when ``quick``)."""
    seeds = seeds or ([0] if quick else [0, 1, 2])
    rows = []
    for seed in seeds:
        r = m1_default_run(seed)
        rows.append(r)
        print(f"  m1 seed {seed}: default {r['default']:.3f} ({r['rule']}), network "
              f"{r['network']:.3f} | " + ", ".join(f"{k} {v:.3f}" for k, v in
                                                   r["references"].items())
              + f" | {r['seconds']:.0f} s", flush=True)
    return {"rows": rows, "markdown": m1_markdown(rows)}


def _ms(values: list[float], digits: int = 3) -> str:
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{statistics.mean(values):.{digits}f} ± {statistics.stdev(values):.{digits}f}"


def m1_markdown(rows: list[dict]) -> str:
    """Mean MASE and sMAPE of the default, the network and each reference (mean ± std over
    seeds; the references are deterministic), the rule, seconds, and the targets' verdict."""
    out = ["| forecast | mean MASE | mean sMAPE (%) |", "|---|---|---|",
           f"| **default** ({', '.join(sorted({r['rule'] for r in rows}))}) | "
           f"{_ms([r['default'] for r in rows])} | {_ms([r['smape'] for r in rows], 2)} |",
           f"| network alone | {_ms([r['network'] for r in rows])} | "
           f"{_ms([r['network_smape'] for r in rows], 2)} |"]
    for name in REFS:
        if name in rows[0]["references"]:
            out.append(f"| {name} | {rows[0]['references'][name]:.3f} | "
                       f"{rows[0]['reference_smape'][name]:.2f} |")
    mean = statistics.mean(r["default"] for r in rows)
    refs = rows[0]["references"]
    secs = [r["seconds"] for r in rows]
    out += ["", f"{rows[0]['series']} series, h = 6, {len(rows)} seed(s); seconds per whole "
            f"run (read, train, both reference fits, score, report): {_ms(secs, 0)} "
            f"(CPU {_ms([r['cpu_seconds'] for r in rows], 0)}).",
            "", f"Target: mean MASE ≤ AutoETS ({refs.get('AutoETS', float('nan')):.3f}) — "
            f"{'met' if mean <= refs.get('AutoETS', -1) else 'missed'}; ≤ the statistical "
            f"ensemble ({refs.get('statistical ensemble', float('nan')):.3f}) — "
            f"{'met' if mean <= refs.get('statistical ensemble', -1) else 'missed'}; "
            f"under 5 minutes — {'met' if max(secs) < 300 else 'missed'} on the wall clock "
            f"(slowest {max(secs):.0f} s; the CPU seconds say what the run itself costs on a "
            f"shared machine). Worst series: " + ", ".join(
                f"{sid} (MASE {statistics.mean(r['worst']['mase'] for r in rows if r['worst']['id'] == sid):.1f})"  # noqa: E501
                for sid in sorted({r["worst"]["id"] for r in rows})) + "."]
    return "\n".join(out)


# --------------------------------------------------------------------------- the choices


CHOICES = {  # name: config overrides; every one against the default on the validation block
    "default (nbeats, window 24, mase scaling)": {},
    "window 12": {"data": {"window": 12}},
    "window 18": {"data": {"window": 18}},
    "window 30": {"data": {"window": 30}},
    "learning rate 3e-4": {"train": {"lr": 3e-4}},
    "dlinear": {"model": {"name": "dlinear"}},
    "nbeats width 64": {"model": {"name": "nbeats", "hidden": [64]}},
    "standard scaling": {"data": {"panel_scale": "standard"}},
    "id embedding 8": {"model": {"id_embedding": 8}},
    "60 epochs": {"train": {"epochs": 60}},
}


def _choice_run(overrides: dict, seed: int, refs: dict | None) -> tuple[dict, dict]:
    """(validation and test MASE of the network and the rule's pick, the references) of one
    choice, trained through ``Experiment`` with the run's own callbacks (best checkpoint)."""
    from hakseup.config import RunConfig
    from hakseup.evaluation.forecast_panel import panel_references, panel_scores
    from hakseup.experiment.experiment import Experiment, run_callbacks

    cfg = RunConfig.from_dict({
        "data": {**M1, **overrides.get("data", {})}, "model": overrides.get("model", {}),
        "train": {"seed": seed, "progress": False, "tensorboard": False,
                  **overrides.get("train", {})}})
    tmp = Path(tempfile.mkdtemp(prefix="hq-sweep-"))
    with Experiment(cfg).setup() as exp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if refs is not None:       # the references depend on the data only: fitted once
            exp.bundle_.info["panel"]["classical"] = dict(refs)
        exp.fit(callbacks=run_callbacks(exp.cfg, tmp))
        exp.restore_best(tmp / "checkpoints")
        val, _, _ = panel_scores(exp.model_, exp.bundle_, "val")
        test, _, _ = panel_scores(exp.model_, exp.bundle_, "test")
        for split in ("val", "test"):
            panel_references(exp.bundle_, split)
        return ({"val_network": val["mase"], "test_network": test["network"]["mase"],
                 "rule": test["forecast_rule"]["name"],
                 "val_rule": test["forecast_rule"]["validation_mase"][
                     test["forecast_rule"]["name"]], "test_default": test["mase"]},
                exp.bundle_.info["panel"]["classical"])


def sweep(seeds: list[int], names: list[str] | None = None) -> list[dict]:
    """Every choice in ``CHOICES`` over ``seeds``: validation and test MASE, seconds."""
    rows, refs = [], None
    for name in names or list(CHOICES):
        vals = []
        t0 = time.perf_counter()
        for seed in seeds:
            r, refs = _choice_run(CHOICES[name], seed, refs)
            vals.append(r)
        row = {"choice": name, **{k: [v[k] for v in vals] for k in vals[0]},
               "seconds": (time.perf_counter() - t0) / len(seeds)}
        rows.append(row)
        print(f"| {name} | {_ms(row['val_network'])} | {_ms(row['test_network'])} | "
              f"{_ms(row['val_rule'])} ({', '.join(sorted(set(row['rule'])))}) | "
              f"{_ms(row['test_default'])} | {row['seconds']:.0f} |", flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--sweep", action="store_true", help="the choices, on the validation block")
    p.add_argument("--only", help="sweep: these choices (names separated by ;)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    args = p.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    seeds = list(range(args.seeds))
    if args.sweep:
        print("| choice | val MASE (network) | test MASE (network) | val MASE (rule's pick) "
              "| test MASE (default) | s/run |\n|---|---|---|---|---|---|")
        rows = sweep(seeds, args.only.split(";") if args.only else None)
    else:
        out = run_m1(seeds=seeds)
        rows = out["rows"]
        print("\n## M1 yearly (181 series, h = 6)\n\n" + out["markdown"])
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
