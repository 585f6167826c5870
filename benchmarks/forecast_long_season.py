"""Statistical candidates for long seasons (issue 26): on a season longer than 24, statsforecast's
AutoETS fits no season and AutoARIMA approximates its search. Which standard model would a
practitioner add — MSTL (STL decomposition, a non-seasonal model on the adjusted part; FPP3
ch. 3 and 12), with which trend model, or AutoARIMA's exact search — and what does stage 1 of
the default rule (``forecast_combine``: the best alone on the rolling windows before the test
period) pick among them?

For each series asked (solar_halfhourly, season 48, the suite's only season above 24; the
other seasonal series to see what "MSTL whenever there is a season" would do) and horizon:
the windows of one run's bundle (a one-epoch run: the windows do not depend on the network),
each candidate fitted on the values before the first rolling origin and run forward, as
``forecast_references`` does; the MASE is scaled by the training period's one-step naive, as
the suite scores. Printed: the MASE on stage 1's rolling windows
(what chooses), on the validation windows, and on the test windows (printed beside, never
used to choose), and the seconds of the fit and all forwards.

    OMP_NUM_THREADS=1 python benchmarks/forecast_long_season.py --json out.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

from quality_series import DATA, SUITE, _quiet_train  # noqa: E402

CURRENT = ("AutoETS", "AutoTheta", "AutoARIMA", "statistical ensemble", "seasonal naive")


def _candidates(m: int, n: int, exact: bool) -> dict:
    """The current stage-1 models (as ``forecast_references._model`` builds them), MSTL with
    four trend models, and (``exact``) AutoARIMA's exact search."""
    from hakseup.evaluation.forecast_references import _model, _models

    mods = _models()
    out = {
        **{k: (lambda k=k: _model(k, m, n)) for k in ("AutoETS", "AutoTheta", "AutoARIMA")},
        "MSTL + AutoETS (statsforecast default)": lambda: mods.MSTL(season_length=m),
        "MSTL + AutoARIMA": lambda: mods.MSTL(
            season_length=m, trend_forecaster=mods.AutoARIMA(season_length=1)
        ),
        "MSTL + AutoTheta": lambda: mods.MSTL(
            season_length=m, trend_forecaster=mods.AutoTheta(season_length=1)
        ),
        "MSTL + naive": lambda: mods.MSTL(season_length=m, trend_forecaster=mods.Naive()),
    }
    if exact:
        out["AutoARIMA (exact)"] = lambda: mods.AutoARIMA(season_length=m)
    return out


def _forecasts(make, y, starts, h):
    from hakseup.evaluation.forecast_references import MAX_FIT

    fit_end = int(starts.min())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = make().fit(y[max(0, fit_end - MAX_FIT) : fit_end])
        return np.stack(
            [np.asarray(model.forward(y[max(0, s - MAX_FIT) : s], h)["mean"]) for s in starts]
        )


def study(name: str, horizon: int | None, exact: bool) -> dict:
    from hakseup.evaluation.forecast import seasonal_naive
    from hakseup.evaluation.forecast_combine import pretest_origins
    from hakseup.evaluation.forecast_references import _fit_season
    from hakseup.metrics import mase

    file, time_col, target = SUITE[name]
    data = {"path": str(DATA / f"{file}.csv"), "time_col": time_col, "target": target}
    if horizon:
        data["horizon"] = horizon
    result, _ = _quiet_train({"data": data, "train": {"seed": 0, "epochs": 1}})
    b = result.bundle
    s, h = b.info["series"], b.schema.n_outputs
    y, te = s["y"], s["train_end"]
    test, val = s["starts"]["test"], s["starts"]["val"]
    pre = pretest_origins(te, int(test.min()), h, s["season"])
    m = _fit_season(min(int(pre.min()), 1000), s["season"])
    rows, fc = {}, {}
    n = min(int(pre.min()), 1000)
    for label, make in _candidates(m, n, exact and m > 24).items():
        t0 = time.perf_counter()
        f_pre = _forecasts(make, y, pre, h)
        f_test = _forecasts(make, y, test, h)
        sec = time.perf_counter() - t0
        fc[label] = (f_pre, f_test)
        rows[label] = _scores(f_pre, f_test, y, pre, val, test, h, te, mase, sec)
    three = [fc[k] for k in ("AutoETS", "AutoTheta", "AutoARIMA")]
    ens = (np.mean([f[0] for f in three], 0), np.mean([f[1] for f in three], 0))
    rows["statistical ensemble"] = _scores(*ens, y, pre, val, test, h, te, mase, 0.0)
    naive = (seasonal_naive(y, pre, h, s["season"]), seasonal_naive(y, test, h, s["season"]))
    rows["seasonal naive"] = _scores(*naive, y, pre, val, test, h, te, mase, 0.0)
    now = min(CURRENT, key=lambda k: rows[k]["stage1"])
    with_mstl = min((*CURRENT, "MSTL + AutoETS (statsforecast default)"),
                    key=lambda k: rows[k]["stage1"])
    return {"series": name, "horizon": h, "season": s["season"], "fit_season": m,
            "stage1_pick": now, "stage1_pick_with_mstl": with_mstl,
            "pre_origins": len(pre), "val_origins": len(val), "test_origins": len(test),
            "candidates": rows}


def _scores(f_pre, f_test, y, pre, val, test, h, te, mase, sec) -> dict:
    a_pre = np.stack([y[t : t + h] for t in pre])
    a_test = np.stack([y[t : t + h] for t in test])
    at = np.searchsorted(pre, val)
    return {"stage1": mase(a_pre, f_pre, y[:te], 1),
            "validation": mase(a_pre[at], f_pre[at], y[:te], 1),
            "test": mase(a_test, f_test, y[:te], 1), "seconds": sec}


def main() -> int:
    LONG_SEASON = 24  # statsforecast's AutoETS fits no season above 24

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--names", default="solar_halfhourly")
    p.add_argument("--horizons", default="default,1")
    p.add_argument("--exact", action="store_true")
    p.add_argument("--json", required=True)
    args = p.parse_args()
    out = []
    for name in args.names.split(","):
        for hz in args.horizons.split(","):
            r = study(name, None if hz == "default" else int(hz), args.exact)
            out.append(r)
            print(f"\n{name} h={r['horizon']} season {r['season']} (stage-1 origins "
                  f"{r['pre_origins']}, validation {r['val_origins']}, test {r['test_origins']})")
            print(f"stage 1 picks {r['stage1_pick']}; with MSTL (any season): "
                  f"{r['stage1_pick_with_mstl']}; season > {LONG_SEASON}: "
                  f"{r['fit_season'] > LONG_SEASON}")
            print("| candidate | stage 1 (rolling) | validation | *test* | seconds |")
            print("|---|---|---|---|---|")
            for k, v in sorted(r["candidates"].items(), key=lambda kv: kv[1]["stage1"]):
                print(f"| {k} | {v['stage1']:.3f} | {v['validation']:.3f} | *{v['test']:.3f}* "
                      f"| {v['seconds']:.2f} |", flush=True)
            Path(args.json).write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
