"""How should the default rule choose when its evidence is thin? Rules replayed offline on the
forecasts ``forecast_thin_evidence_data.py`` saved, chosen on the windows before the test
period only; the test figures are printed beside, never used to choose.

**Evidence.** The validation windows of an h-step forecast overlap: 7 monthly windows of 12
steps cover 18 values, 1.5 horizons; solar's one window of 48 steps covers one. What a rule
can learn grows with the number of *non-overlapping horizons* its windows cover (``evidence``:
distinct target values / h), not with windows × steps (solar's 48 steps are one day of one
weather). At the default horizon most of the suite has 1–3 horizons of validation evidence.

**Rules** (stage 1 picks the statistical forecast on the rolling windows, stage 2 the network,
that forecast or their mean on the validation windows; ``forecast_combine``):

- ``current``: stage 1 the best alone, stage 2 pools within 10 % of its best;
- ``min-evidence N``: stage 2 as ``current`` when its windows cover at least N horizons,
  else all three pooled (= half network, half statistics);
- ``tolerance c/sqrt(n)``: stage 2 pools within c / sqrt(evidence) of its best;
- ``confidence z``: stage 2 pools the candidates not significantly worse than its best (a
  model confidence set, Hansen, Lunde & Nason 2011, in its simplest form): the mean
  per-window loss excess over the best ≤ z standard errors, the standard error over
  ``evidence`` independent horizons; with less than two horizons nothing can be told apart
  and all three are pooled;
- ``... + stage 1 confidence z``: the same test in stage 1 too.

**Protocols** (nested on the validation windows; stage 1 reads only rolling windows whose
targets end before the first scored window):

- ``half``: choose on the first half of the validation windows, score on the second half
  (``forecast_default_rules.py``'s protocol; the halves' targets overlap at h > 1);
- ``half-gap``: the same, scored only on the windows whose targets do not overlap the
  chosen ones' (none left on airpassengers and ukgas at the default horizon);
- ``one``: choose on the first validation window alone (solar's situation), score on the
  windows whose targets do not overlap it (origin ≥ first + h): thin evidence everywhere.

    python benchmarks/forecast_thin_evidence.py /tmp/te0.pkl /tmp/te1.pkl --json out.json
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

STAT = ("AutoETS", "AutoTheta", "AutoARIMA")
ENSEMBLE = "statistical ensemble"
SNAIVE = "seasonal naive"


def evidence(starts: np.ndarray, h: int) -> float:
    """Non-overlapping horizons the windows from ``starts`` cover: distinct targets / h."""
    if len(starts) == 0:
        return 0.0
    return np.unique((np.asarray(starts)[:, None] + np.arange(h)).ravel()).size / h


def _window_loss(actual: np.ndarray, f: np.ndarray, scale: float) -> np.ndarray:
    return np.mean(np.abs(actual - f), axis=1) / scale


def _select(losses: dict[str, np.ndarray], n_eff: float, kind: str, param: float) -> list[str]:
    """The pooled candidates given their per-window losses (``kind``: tolerance, minevidence,
    sqrt, confidence)."""
    means = {k: float(np.mean(v)) for k, v in losses.items() if np.all(np.isfinite(v))}
    if not means:
        return [next(iter(losses))]
    best = min(means, key=means.get)
    if kind == "tolerance":
        return [k for k in means if means[k] <= (1 + param) * means[best] + 1e-12]
    if kind == "minevidence":
        if n_eff < param:
            return list(means)
        return [k for k in means if means[k] <= 1.1 * means[best] + 1e-12]
    if kind == "sqrt":
        tol = param / np.sqrt(max(n_eff, 1.0))
        return [k for k in means if means[k] <= (1 + tol) * means[best] + 1e-12]
    if kind == "confidence":
        if n_eff < 2 or len(losses[best]) < 2:
            return list(means)
        out = []
        for k in means:
            d = losses[k] - losses[best]
            se = float(np.std(d, ddof=1)) / np.sqrt(n_eff)
            if np.mean(d) <= param * se + 1e-12:
                out.append(k)
        return out
    raise ValueError(kind)


RULES = {  # name: (stage 1 (kind, param), stage 2 (kind, param))
    "current": (("tolerance", 0.0), ("tolerance", 0.1)),
    "min-evidence 2": (("tolerance", 0.0), ("minevidence", 2.0)),
    "min-evidence 3": (("tolerance", 0.0), ("minevidence", 3.0)),
    "min-evidence 4": (("tolerance", 0.0), ("minevidence", 4.0)),
    "tolerance 0.2/sqrt(n)": (("tolerance", 0.0), ("sqrt", 0.2)),
    "tolerance 0.3/sqrt(n)": (("tolerance", 0.0), ("sqrt", 0.3)),
    "tolerance 0.4/sqrt(n)": (("tolerance", 0.0), ("sqrt", 0.4)),
    "tolerance 0.5/sqrt(n)": (("tolerance", 0.0), ("sqrt", 0.5)),
    "tolerance 0.6/sqrt(n)": (("tolerance", 0.0), ("sqrt", 0.6)),
    "tolerance 0.8/sqrt(n)": (("tolerance", 0.0), ("sqrt", 0.8)),
    "tolerance 0.05": (("tolerance", 0.0), ("tolerance", 0.05)),
    "tolerance 0.2": (("tolerance", 0.0), ("tolerance", 0.2)),
    "tolerance 0.4": (("tolerance", 0.0), ("tolerance", 0.4)),
    "confidence 1.0": (("tolerance", 0.0), ("confidence", 1.0)),
    "confidence 1.645": (("tolerance", 0.0), ("confidence", 1.645)),
    "confidence 1.645 + stage 1 confidence 1.645": (("confidence", 1.645), ("confidence", 1.645)),
    "confidence 1.0 + stage 1 confidence 1.0": (("confidence", 1.0), ("confidence", 1.0)),
}


def _stats(d: dict) -> dict[str, np.ndarray]:
    """Stage 1's candidates of a split's saved forecasts."""
    return {k: d[k] for k in (*STAT, ENSEMBLE, SNAIVE) if k in d}


def choose(r: dict, rule: str, val_idx: np.ndarray, cutoff: int) -> tuple[list, list]:
    """(stage 1's members, stage 2's members) chosen on the validation windows ``val_idx`` and
    the rolling windows whose targets end at or before ``cutoff``."""
    (k1, p1), (k2, p2) = RULES[rule]
    y, h, pre = r["y"], r["h"], r["pre_starts"]
    scale = float(np.mean(np.abs(np.diff(y[: r["train_end"]]))))
    ok = pre + h <= cutoff
    ap = np.stack([y[t:t + h] for t in pre[ok]])
    cp = _stats(r["pre"])
    s1 = _select({k: _window_loss(ap, v[ok], scale) for k, v in cp.items()},
                 evidence(pre[ok], h), k1, p1)
    vs = r["val_starts"][val_idx]
    at = np.searchsorted(pre, vs)
    av = np.stack([y[t:t + h] for t in vs])
    stat_v = np.mean([cp[k][at] for k in s1], axis=0)
    net_v = r["net_val"][val_idx]
    c2 = {"network": net_v, "statistical": stat_v, "mean": (net_v + stat_v) / 2}
    s2 = _select({k: _window_loss(av, v, scale) for k, v in c2.items()}, evidence(vs, h), k2, p2)
    return s1, s2


def forecast(r: dict, s1: list, s2: list, split: str, idx: np.ndarray | None = None):
    """The rule's forecast of a split's windows (``val`` at ``idx``, or ``test``)."""
    if split == "test":
        stat = np.mean([_stats(r["test"])[k] for k in s1], axis=0)
        net = r["net_test"]
    else:
        at = np.searchsorted(r["pre_starts"], r["val_starts"][idx])
        stat = np.mean([_stats(r["pre"])[k][at] for k in s1], axis=0)
        net = r["net_val"][idx]
    parts = {"network": net, "statistical": stat, "mean": (net + stat) / 2}
    return np.mean([parts[k] for k in s2], axis=0)


def _mase(r: dict, starts: np.ndarray, f: np.ndarray) -> float:
    y, h = r["y"], r["h"]
    a = np.stack([y[t:t + h] for t in starts])
    return float(np.mean(np.abs(a - f)) / np.mean(np.abs(np.diff(y[: r["train_end"]]))))


def split_for(r: dict, protocol: str) -> tuple[np.ndarray, np.ndarray] | None:
    """(validation windows to choose on, validation windows to score) of a protocol."""
    vs, h, n = r["val_starts"], r["h"], len(r["val_starts"])
    if protocol == "half":
        half = n // 2
        return (np.arange(half), np.arange(half, n)) if half >= 1 else None
    if protocol == "half-gap":
        half = n // 2
        score = np.flatnonzero(vs >= vs[max(half - 1, 0)] + h)
        return (np.arange(half), score) if half >= 1 and len(score) else None
    if protocol == "one":
        score = np.flatnonzero(vs >= vs[0] + h)
        return (np.arange(1), score) if len(score) else None
    raise ValueError(protocol)


def nested(r: dict, rule: str, protocol: str) -> dict | None:
    """The rule's MASE on the scored validation windows, and the seasonal naive's there."""
    sp = split_for(r, protocol)
    if sp is None:
        return None
    choose_idx, score_idx = sp
    s1, s2 = choose(r, rule, choose_idx, int(r["val_starts"][score_idx[0]]))
    vs = r["val_starts"][score_idx]
    at = np.searchsorted(r["pre_starts"], vs)
    return {"mase": _mase(r, vs, forecast(r, s1, s2, "val", score_idx)),
            "naive": _mase(r, vs, r["pre"][SNAIVE][at]), "stage1": s1, "stage2": s2}


def test_score(r: dict, rule: str) -> dict:
    """The rule chosen on every window before the test period, scored on the test."""
    s1, s2 = choose(r, rule, np.arange(len(r["val_starts"])), int(r["test_starts"].min()))
    return {"mase": _mase(r, r["test_starts"], forecast(r, s1, s2, "test")),
            "naive": _mase(r, r["test_starts"], r["test"][SNAIVE]), "stage1": s1, "stage2": s2,
            "evidence_val": evidence(r["val_starts"], r["h"]),
            "evidence_pre": evidence(r["pre_starts"], r["h"])}


def production(r: dict) -> float:
    """Test MASE of the package's own rule (``forecast_combine.choose_default``) on a run's
    saved forecasts: the rule the code ships, to check a replayed rule against."""
    from hakseup.evaluation.forecast_combine import NETWORK, apply_weights, choose_default

    y, h, pre = r["y"], r["h"], r["pre_starts"]
    refs = {k: v for k, v in r["pre"].items() if k != SNAIVE}
    out = choose_default(r["net_val"], np.stack([y[t:t + h] for t in r["val_starts"]]), refs,
                         r["pre"][SNAIVE], np.stack([y[t:t + h] for t in pre]),
                         np.searchsorted(pre, r["val_starts"]), y[: r["train_end"]])
    base = {NETWORK: r["net_test"], **r["test"]}
    return _mase(r, r["test_starts"], apply_weights(out["weights"], base))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("data", nargs="+")
    p.add_argument("--json")
    p.add_argument("--shipped", default="tolerance 0.4/sqrt(n)",
                   help="the rule the package's code should reproduce (checked on the test)")
    args = p.parse_args()
    rows = [r for f in args.data for r in pickle.loads(Path(f).read_bytes())]
    out: dict = {"rules": {}, "runs": []}
    for r in rows:
        cur = test_score(r, "current")["mase"]
        out["runs"].append({"series": r["series"], "h": r["h"], "seed": r["seed"],
                            "run_default": r["run_default"], "replayed_current": cur,
                            "val_windows": len(r["val_starts"]),
                            "evidence_val": evidence(r["val_starts"], r["h"]),
                            "evidence_pre": evidence(r["pre_starts"], r["h"])})
        shipped = test_score(r, args.shipped)["mase"]
        if abs(shipped - production(r)) > 1e-9:
            print(f"! the package's rule is not {args.shipped!r}: {r['series']} h={r['h']}")
        if abs(cur - r["run_default"]) > 1e-6:
            print(f"! replay differs: {r['series']} h={r['h']} seed {r['seed']}: "
                  f"{cur:.4f} vs the run's {r['run_default']:.4f}")
    for rule in RULES:
        res: dict = {}
        for multi in (True, False):
            hz = "default horizon" if multi else "one step"
            part = [r for r in rows if (r["h"] > 1) == multi]
            for protocol in ("half", "half-gap", "one", "test"):
                cells = []
                for r in part:
                    c = test_score(r, rule) if protocol == "test" else nested(r, rule, protocol)
                    if c is not None:
                        cells.append({"series": r["series"], "seed": r["seed"], **c})
                seeds = sorted({c["seed"] for c in cells})
                means = [float(np.mean([c["mase"] for c in cells if c["seed"] == s]))
                         for s in seeds]
                worse = sum(c["mase"] > c["naive"] + 1e-12 for c in cells)
                res[f"{hz} / {protocol}"] = {"mean_per_seed": means, "worse_than_naive": worse,
                                             "n": len(cells), "cells": cells}
        out["rules"][rule] = res
        print(f"{rule:44s} " + "  ".join(
            f"{k}: {np.mean(v['mean_per_seed']):.3f} (w{v['worse_than_naive']}/{v['n']})"
            for k, v in res.items()), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1, default=float))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
