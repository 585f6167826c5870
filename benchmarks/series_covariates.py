"""Covariates on uschange (quarterly; forecast Consumption), as ``hakseup train`` runs them.

    python benchmarks/series_covariates.py --seeds 0 1 2 --json benchmarks/series_covariates.json

Variants, each at one step and at the frequency's default horizon (8), with the suite's
protocol (15 % validation, 15 % test; h-step forecasts from every test origin; MASE scaled by
the in-sample naive MAE of the training period):

- ``none``: Consumption alone (``--set data.covariates=none``);
- ``past`` (the default): Income, Production, Savings, Unemployment as past covariates;
- ``future``: the same four as future covariates (``--future-covariates``): the network reads
  their values at the forecast steps. NOT a legitimate forecast: next quarter's income is not
  known when its consumption is forecast (the README gives them as covariates, nothing says
  they are known ahead); it measures what the mechanism gains with an oracle (ex-post);
- ``calendar``: Consumption alone with ``--calendar`` (quarter of the year).

Beside them, statsforecast's AutoETS, AutoTheta, AutoARIMA and their mean, from the same
runs (the references do not read covariates).
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

DATA = Path("/work/shared/data/quality/uschange.csv")
COVS = ["Income", "Production", "Savings", "Unemployment"]
VARIANTS = {"none": {"covariates": "none"}, "past": {},
            "future": {"future_covariates": COVS}, "calendar": {"covariates": "none",
                                                                "calendar": True}}
REFS = ("AutoETS", "AutoTheta", "AutoARIMA", "statistical ensemble")


def one(variant: str, horizon: int | None, seed: int) -> dict:
    from hakseup.config import RunConfig
    from hakseup.experiment.experiment import train

    data = {"path": str(DATA), "time_col": "Quarter", "target": "Consumption",
            "interval": [0.8, 0.95], **VARIANTS[variant]}
    if horizon:
        data["horizon"] = horizon
    cfg = RunConfig.from_dict({"data": data, "train": {
        "seed": seed, "progress": False, "tensorboard": False, "threads": 1},
        "output": {"root": tempfile.mkdtemp(prefix="hcov-"), "plots": False}})
    t0 = time.perf_counter()
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        r = train(cfg, echo=lambda *a, **k: None)
    m = r.metrics
    return {"variant": variant, "horizon": r.bundle.schema.n_outputs, "seed": seed,
            "default": m["mase"], "network": m["network"]["mase"],
            "rule": m["forecast_rule"]["name"],
            "references": {k: m["baselines"][k]["mase"] for k in REFS if k in m["baselines"]},
            "coverage": {k: v["coverage"] for k, v in m.get("intervals", {}).items()},
            "seconds": time.perf_counter() - t0}


def _mean_std(rs: list[dict], key: str) -> str:
    vals = [r[key] for r in rs]
    return f"{statistics.mean(vals):.3f}" + (
        f" ± {statistics.stdev(vals):.3f}" if len(vals) > 1 else "")


def markdown(rows: list[dict]) -> str:
    out = []
    for h in sorted({r["horizon"] for r in rows}):
        part = [r for r in rows if r["horizon"] == h]
        out += [f"h = {h}", "", "| variant | default MASE | network MASE | rules |",
                "|---|---|---|---|"]
        for v in VARIANTS:
            rs = [r for r in part if r["variant"] == v]
            if not rs:
                continue
            out.append(f"| {v} | {_mean_std(rs, 'default')} | {_mean_std(rs, 'network')} | "
                       + ", ".join(r["rule"] for r in rs) + " |")
        refs = part[0]["references"]
        out.append("| references | " + ", ".join(f"{k} {v:.3f}" for k, v in refs.items())
                   + " | | |")
        out.append("")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--json", type=Path)
    ap.add_argument("--variants", nargs="+", default=list(VARIANTS))
    args = ap.parse_args()
    rows = []
    for horizon in (1, None):
        for v in args.variants:
            for seed in args.seeds:
                r = one(v, horizon, seed)
                rows.append(r)
                print(f"h={r['horizon']} {v:9s} seed {seed}: default {r['default']:.3f} "
                      f"network {r['network']:.3f} ({r['rule']}) {r['seconds']:.0f} s",
                      flush=True)
                if args.json:
                    args.json.write_text(json.dumps(rows, indent=1))
    print(markdown(rows))


if __name__ == "__main__":
    main()
