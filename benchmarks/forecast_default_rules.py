"""Which rule should choose the default forecast? Compared offline on the forecasts that
``forecast_default_data.py`` saved, nested on the windows before the test period only: each
rule chooses on the first half of the validation windows (stage 1: on the rolling windows
that end before the second half starts) and is scored on the second half. The test figures
are printed beside, never used to choose.

Rules: ``small`` (the network, the statistical ensemble, their mean: the old default),
``wide`` (those and each statistical model and the seasonal naive), ``twostage`` (the
statistical forecast on the rolling windows, then the network, it, their mean on the
validation windows: the new default); each pools the candidates within a tolerance of its
best (stage 1 with ``--stat-tolerance``).

    python benchmarks/forecast_default_data.py --out /tmp/fd.pkl
    python benchmarks/forecast_default_rules.py /tmp/fd.pkl --stat-tolerance 0
"""

from __future__ import annotations

import argparse
import pickle

import numpy as np

STAT = ("AutoETS", "AutoTheta", "AutoARIMA")


def _mase(a: np.ndarray, f: np.ndarray, y_train: np.ndarray) -> float:
    return float(np.mean(np.abs(a - f)) / np.mean(np.abs(np.diff(y_train))))


def _stats(d: dict) -> dict:
    """The statistical candidates of a split's saved forecasts."""
    out = {m: d[m] for m in STAT if m in d}
    seasonal = [k for k in d if k.startswith("seasonal naive")]
    out["seasonal naive"] = d[seasonal[0]] if seasonal else d["naive"]
    out["ensemble"] = np.mean([d[m] for m in STAT if m in d], 0)
    return out


def _cands(net: np.ndarray, d: dict) -> dict:
    out = {"network": net, **_stats(d)}
    out["network + ensemble"] = (net + out["ensemble"]) / 2
    return out


def _pool(scores: dict, tol: float) -> list[str]:
    best = min(scores.values())
    return [k for k, v in scores.items() if v <= (1 + tol) * best + 1e-12]


def _windows(r: dict) -> dict:
    y, h = r["y"], r["h"]
    at = {k: np.stack([y[t:t + h] for t in r[f"{k}_starts"]]) for k in ("pre", "val", "test")}
    idx = np.searchsorted(r["pre_starts"], r["val_starts"])
    return {"actual": at, "idx": idx, "y_train": y[:r["train_end"]],
            "val": _cands(r["net_val"], {k: v[idx] for k, v in r["pre"].items()}),
            "test": _cands(r["net_test"], r["test"])}


def one_stage(r: dict, names: list[str], tol: float, nested: bool) -> float:
    w = _windows(r)
    av, yt = w["actual"]["val"], w["y_train"]
    if nested:
        half = len(av) // 2
        if half < 1:
            return float("nan")
        members = _pool({n: _mase(av[:half], w["val"][n][:half], yt) for n in names}, tol)
        return _mase(av[half:], np.mean([w["val"][n][half:] for n in members], 0), yt)
    members = _pool({n: _mase(av, w["val"][n], yt) for n in names}, tol)
    return _mase(w["actual"]["test"], np.mean([w["test"][n] for n in members], 0), yt)


def two_stage(r: dict, tol: float, stat_tol: float, nested: bool) -> float:
    w = _windows(r)
    av, ap, yt = w["actual"]["val"], w["actual"]["pre"], w["y_train"]
    pre, h = r["pre_starts"], r["h"]
    half = len(av) // 2 if nested else 0
    if nested and half < 1:
        return float("nan")
    ok = pre + h <= r["val_starts"][half] if nested else np.ones(len(pre), bool)
    cp = _stats(r["pre"])
    stat = _pool({n: _mase(ap[ok], cp[n][ok], yt) for n in cp}, stat_tol)
    sv = np.mean([w["val"][n] for n in stat], 0)
    st = np.mean([w["test"][n] for n in stat], 0)
    c2v = {"stat": sv, "network": w["val"]["network"], "mean": (sv + w["val"]["network"]) / 2}
    c2t = {"stat": st, "network": w["test"]["network"], "mean": (st + w["test"]["network"]) / 2}
    if nested:
        members = _pool({n: _mase(av[:half], f[:half], yt) for n, f in c2v.items()}, tol)
        return _mase(av[half:], np.mean([c2v[n][half:] for n in members], 0), yt)
    members = _pool({n: _mase(av, f, yt) for n, f in c2v.items()}, tol)
    return _mase(w["actual"]["test"], np.mean([c2t[n] for n in members], 0), yt)


def stage_one(r: dict, stat_tol: float) -> float:
    """Stage 1 alone, nested on the rolling windows: chosen on the windows whose targets end
    before the second half of them starts, scored on the second half (NaN when none do)."""
    w = _windows(r)
    ap, yt, pre = w["actual"]["pre"], w["y_train"], r["pre_starts"]
    half = len(pre) // 2
    ok = pre + r["h"] <= pre[half]
    if not ok.any():
        return float("nan")
    cp = _stats(r["pre"])
    stat = _pool({n: _mase(ap[ok], cp[n][ok], yt) for n in cp}, stat_tol)
    return _mase(ap[half:], np.mean([cp[n][half:] for n in stat], 0), yt)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("data")
    p.add_argument("--stat-tolerance", type=float, default=0.0)
    args = p.parse_args()
    rows = pickle.loads(open(args.data, "rb").read())
    small = ["network", "ensemble", "network + ensemble"]
    for multi in (False, True):
        part = [r for r in rows if (r["h"] > 1) == multi]
        print("default horizon" if multi else "one step", [r["series"] for r in part])
        wide = list(_cands(part[0]["net_test"], part[0]["test"])) if part else []
        for stat_tol in (0.0, 0.05, 0.1, 0.2):
            one = [stage_one(r, stat_tol) for r in part]
            print(f"  stage 1 alone, tolerance {stat_tol:.2f}: nested {np.nanmean(one):.3f} ("
                  + " ".join(f"{x:.3f}" for x in one) + ")")
        for tol in (0.0, 0.05, 0.1, 0.2):
            for label in ("small", "wide", "twostage"):
                scores = {}
                for nested in (True, False):
                    scores[nested] = [
                        two_stage(r, tol, args.stat_tolerance, nested) if label == "twostage"
                        else one_stage(r, small if label == "small" else wide, tol, nested)
                        for r in part]
                test = scores[False]
                print(f"  {label:9s} tol {tol:.2f}: nested {np.nanmean(scores[True]):.3f}, "
                      f"test {np.mean(test):.3f} (" + " ".join(f"{x:.3f}" for x in test) + ")")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
