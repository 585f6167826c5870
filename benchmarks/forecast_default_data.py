"""Forecasts of every candidate on the windows before the test period and on the test period,
saved once per series so that choice rules can be compared offline (validation decides; the
test figures are saved beside, never read by a rule).

For each single series of the quality suite and horizon (1 and the frequency's default): the
default run (seed 0) gives the network's forecasts on the validation and test windows; the
statistical models (AutoETS, AutoTheta, AutoARIMA; naive, seasonal naive) are fitted once on
the values before an earlier origin (``EXTRA`` validation-sized blocks back) and run forward
over every origin up to the last validation window ("pre-test windows"), and fitted on
everything before the test period for the test windows.

    python benchmarks/forecast_default_data.py --out /tmp/fd.npz
"""

from __future__ import annotations

import argparse
import pickle
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

from quality_series import DATA, SUITE, _quiet_train  # noqa: E402

STAT = ("AutoETS", "AutoTheta", "AutoARIMA")


def one(name: str, horizon: int | None) -> dict:
    from hakseup.data.series.prepare import naive_forecasts
    from hakseup.evaluation.forecast import _network
    from hakseup.evaluation.forecast_references import statsforecast_forecasts

    file, time_col, target = SUITE[name]
    data = {"path": str(DATA / f"{file}.csv"), "time_col": time_col, "target": target}
    if horizon:
        data["horizon"] = horizon
    t0 = time.perf_counter()
    result, _ = _quiet_train({"data": data, "train": {"seed": 0}})
    b = result.bundle
    s = b.info["series"]
    h = b.schema.n_outputs
    vs, nv, av = _network(result.model, b, "val")
    ts, nt, at = _network(result.model, b, "test")
    train_end, test_start = s["train_end"], int(ts.min())
    val_rows = test_start - train_end
    first = max(train_end - max(val_rows, h), min(train_end, 2 * s["season"] + 2, 30))
    pre = np.arange(first, test_start - h + 1)
    row = {"series": name, "h": h, "season": s["season"], "train_end": train_end,
           "test_start": test_start, "y": s["y"], "val_starts": vs, "test_starts": ts,
           "pre_starts": pre, "net_val": nv, "net_test": nt,
           "seconds_run": time.perf_counter() - t0,
           "pre": {}, "test": {}, "seconds": {}}
    for split, starts in (("pre", pre), ("test", ts)):
        row[split].update(naive_forecasts(s["y"], starts, h, s["season"]))
        for m in STAT:
            t1 = time.perf_counter()
            f, _ = statsforecast_forecasts(s["y"], starts, h, s["season"], (m,))
            row["seconds"][f"{split} {m}"] = time.perf_counter() - t1
            if m in f:
                row[split][m] = f[m]
    print(name, h, {k: round(v, 1) for k, v in row["seconds"].items()}, flush=True)
    return row


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    p.add_argument("--series", default=",".join(SUITE))
    p.add_argument("--horizons", default="default,1")
    args = p.parse_args()
    import torch

    torch.set_num_threads(1)
    rows = []
    for hz in args.horizons.split(","):
        for n in args.series.split(","):
            rows.append(one(n, None if hz == "default" else int(hz)))
            Path(args.out).write_bytes(pickle.dumps(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
