"""Prediction intervals by split conformal prediction: the errors of the default forecast on
the validation windows (held out before the test period; the network never trained on their
targets) give each step of the horizon its width.

Why conformal and not quantile heads: it wraps whatever the default forecast is (the network,
the statistical ensemble or their mean), needs no retraining, and its coverage guarantee
holds for exchangeable errors whatever the model. A series has few validation windows (7 for
AirPassengers at a 12-month horizon), too few for a separate quantile per step; so the
absolute errors are divided by their step's mean absolute error (made non-decreasing over the
steps: a later step is not easier), pooled over every step, and the pooled quantile is
scaled back by each step's MAE — normalised conformal prediction (Papadopoulos et al. 2008).

Scored on the test period by the empirical coverage next to the nominal level, and the
interval score (Gneiting & Raftery 2007; Winkler) scaled like MASE: the M4 competition's MSIS.

Example:
    >>> import numpy as np
    >>> w = conformal_widths(np.tile(np.arange(1.0, 11.0), (3, 1)).T, [0.8])
    >>> w[0.8].round(2).tolist()
    [9.0, 9.0, 9.0]
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["conformal_widths", "interval_scores", "interval_columns"]


def conformal_widths(residuals: np.ndarray, levels: list[float]) -> dict[float, np.ndarray]:
    """{level: half-width per step (H,)} from validation residuals (N, H) (actual − forecast):
    the ceil((n + 1)·level)-th smallest pooled normalised absolute error (the largest when
    there are too few), times each step's MAE."""
    r = np.abs(np.asarray(residuals, dtype=np.float64))
    scale = np.maximum.accumulate(r.mean(0))  # (H,)
    scale = np.where(scale > 0, scale, max(float(scale.max()), 1e-12))
    pooled = np.sort((r / scale).ravel())
    n = len(pooled)
    out = {}
    for level in levels:
        k = min(n, math.ceil((n + 1) * level)) - 1
        out[float(level)] = pooled[k] * scale
    return out


def interval_scores(
    actual: np.ndarray, pred: np.ndarray, widths: dict[float, np.ndarray], mase_scale: float
) -> dict[str, dict]:
    """{level: {"coverage", "msis", "mean_width", "half_width"}} on the test windows: the
    share of actual values inside ``pred ± width``, the mean interval score over the scale of
    MASE, and the half-width of each step (what ``predict`` puts around a forecast)."""
    out = {}
    for level, w in widths.items():
        lo, hi = pred - w, pred + w
        alpha = 1 - level
        score = (hi - lo) + 2 / alpha * (
            (lo - actual) * (actual < lo) + (actual - hi) * (actual > hi)
        )
        entry: dict = {
            "coverage": float(np.mean((actual >= lo) & (actual <= hi))),
            "msis": float(np.mean(score) / mase_scale) if mase_scale > 0 else float("nan"),
            "mean_width": float(np.mean(2 * w)),
        }
        if np.ndim(w) <= 1:  # one width per step (a single series; a panel's are per series)
            entry["half_width"] = [float(v) for v in np.broadcast_to(w, pred.shape[1:])]
        out[f"{level:g}"] = entry
    return out


def interval_columns(
    pred: np.ndarray, half_widths: dict[str, list[float]]
) -> dict[str, np.ndarray]:
    """{column: values (H,)} for a forecast (H,) and the saved half-widths per level:
    ``lower_80``/``upper_80`` ... (the level in percent), the narrower level first.

    >>> cols = interval_columns(np.array([10.0, 11.0]), {"0.95": [2.0, 3.0], "0.8": [1.0, 1.5]})
    >>> list(cols), cols["upper_95"].tolist()
    (['lower_80', 'upper_80', 'lower_95', 'upper_95'], [12.0, 14.0])
    """
    out = {}
    for level in sorted(half_widths, key=float):
        w = np.asarray(half_widths[level], dtype=np.float64)
        pct = f"{float(level) * 100:g}"
        out[f"lower_{pct}"], out[f"upper_{pct}"] = pred - w, pred + w
    return out
