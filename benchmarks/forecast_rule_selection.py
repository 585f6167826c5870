"""Which rule should pick the default forecast? Decided on validation windows only.

For each single series of the quality suite at the frequency's default horizon, the default
run (seed 0) gives the network's forecasts; the statistical references are fitted on the
training period for the validation windows (and on everything before the test period for the
test windows). Two rules are compared:

- ``small``: the lowest validation MASE among the network, the statistical ensemble and their
  mean (three candidates);
- ``wide``: the same among those and AutoETS, AutoTheta, AutoARIMA alone (six).

Nested on the validation period only: each rule chooses on the first half of the validation
windows and is scored on the second half (``val2``); the test figures are reported beside,
not used.

    python benchmarks/forecast_rule_selection.py --json /tmp/rules.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

from quality_series import SUITE, DATA, _quiet_train  # noqa: E402

SMALL = ("network", "statistical ensemble", "network + statistical ensemble")
WIDE = SMALL + ("AutoETS", "AutoTheta", "AutoARIMA")


def _cands(net, refs):
    # the candidates of the one-stage rule this script compared (superseded by the two
    # stages of ``evaluation/forecast_combine.py``; see ``forecast_default_rules.py``)
    ens = refs["statistical ensemble"]
    out = {"network": net, "statistical ensemble": ens,
           "network + statistical ensemble": (net + ens) / 2}
    out.update({k: refs[k] for k in ("AutoETS", "AutoTheta", "AutoARIMA") if k in refs})
    return out


def one(name: str) -> dict:
    from hakseup.evaluation.forecast import _classical, _network
    from hakseup.metrics import mase

    file, time_col, target = SUITE[name]
    result, _ = _quiet_train({"data": {"path": str(DATA / f"{file}.csv"), "time_col": time_col,
                                       "target": target}, "train": {"seed": 0}})
    b = result.bundle
    s = b.info["series"]
    y_train = s["y"][:s["train_end"]]
    _, nv, av = _network(result.model, b, "val")
    _, nt, at = _network(result.model, b, "test")
    cv, ct = _cands(nv, _classical(b, "val")), _cands(nt, _classical(b, "test"))
    half = max(1, len(av) // 2)
    row = {"series": name, "val_windows": len(av), "val1": {}, "val2": {}, "val": {}, "test": {}}
    for k in cv:
        row["val1"][k] = mase(av[:half], cv[k][:half], y_train, 1)
        row["val2"][k] = mase(av[half:], cv[k][half:], y_train, 1) if len(av) > half else np.nan
        row["val"][k] = mase(av, cv[k], y_train, 1)
        row["test"][k] = mase(at, ct[k], y_train, 1)
    print(name, json.dumps({k: round(v, 3) for k, v in row["test"].items()}), flush=True)
    return row


def summary(rows: list[dict]) -> str:
    lines = []
    for rule, names in (("small", SMALL), ("wide", WIDE)):
        nested = [r["val2"][min(names, key=lambda k: r["val1"][k])] for r in rows]
        test = [r["test"][min(names, key=lambda k: r["val"][k])] for r in rows]
        lines.append(f"rule {rule}: nested validation MASE {np.nanmean(nested):.3f}, "
                     f"test MASE {np.mean(test):.3f}")
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--json")
    p.add_argument("--series", default=",".join(SUITE))
    args = p.parse_args()
    import torch

    torch.set_num_threads(1)
    rows = [one(n) for n in args.series.split(",")]
    print(summary(rows))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1, default=float))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
