"""Every base forecast the default rule weighs, saved per run so that rules can be replayed
offline (``forecast_thin_evidence.py``): for each single series of the quality suite, horizon
(1 and the frequency's default) and seed, one default run (``hakseup train`` with no tuning
flags, as ``quality_series.suite_run`` runs it) gives

- the network's forecasts on the validation and the test windows;
- the statistical references (AutoETS, AutoTheta, AutoARIMA, their mean) and the seasonal
  naive on stage 1's rolling windows (``forecast_combine.pretest_origins``) and on the test
  windows — the very arrays the run's rule read (the bundle's cache), nothing refitted;
- the run's own test MASE of the default forecast (the "before" figure, as the benchmark's
  ``default`` column), of the network and of every reference.

The test arrays are saved to score a rule after it has chosen, never to choose.

    OMP_NUM_THREADS=1 python benchmarks/forecast_thin_evidence_data.py --seeds 0 --out /tmp/te0.pkl
"""

from __future__ import annotations

import argparse
import pickle
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

from quality_series import SUITE, suite_default_run  # noqa: E402


def one(name: str, horizon: int | None, seed: int) -> dict:
    """One default run's arrays and scores (module docstring)."""
    from hakseup.evaluation.forecast import _classical, _network, seasonal_naive
    from hakseup.evaluation.forecast_combine import pretest_origins

    result, _, seconds = suite_default_run(name, horizon, seed)
    b, m = result.bundle, result.metrics
    s, h = b.info["series"], b.schema.n_outputs
    vs, nv, _ = _network(result.model, b, "val")
    ts, nt, _ = _network(result.model, b, "test")
    pre = pretest_origins(s["train_end"], int(ts.min()), h, s["season"])
    cache = s.get("classical", {})
    row = {"series": name, "h": h, "seed": seed, "season": s["season"], "y": s["y"],
           "train_end": s["train_end"], "val_starts": vs, "test_starts": ts, "pre_starts": pre,
           "net_val": nv, "net_test": nt,
           "pre": {**cache.get("pre", {}), "seasonal naive": seasonal_naive(s["y"], pre, h,
                                                                            s["season"])},
           "test": {**_classical(b, "test"), "seasonal naive": seasonal_naive(s["y"], ts, h,
                                                                              s["season"])},
           "run_default": m["mase"], "run_network": m["network"]["mase"],
           "run_references": {k: v["mase"] for k, v in m["baselines"].items()},
           "run_rule": m["forecast_rule"].get("weights", {}), "seconds": seconds}
    print(f"{name:17s} h={h:<3d} seed {seed}: default {m['mase']:.3f} "
          f"({m['forecast_rule'].get('name')}), network {m['network']['mase']:.3f}, "
          f"{seconds:.0f} s", flush=True)
    return row


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True)
    p.add_argument("--series", default=",".join(SUITE))
    p.add_argument("--horizons", default="default,1")
    p.add_argument("--seeds", default="0")
    args = p.parse_args()
    import torch

    torch.set_num_threads(1)
    rows = []
    for seed in (int(x) for x in args.seeds.split(",")):
        for hz in args.horizons.split(","):
            for n in args.series.split(","):
                rows.append(one(n, None if hz == "default" else int(hz), seed))
                Path(args.out).write_bytes(pickle.dumps(rows))   # partial results survive
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
