"""A linear regression's fitted equation in the data's own units.

The network sees scaled inputs ``z = (x - mean) / std`` and predicts a scaled target
``(y - target_mean) / target_std``; its weights are in those units. Undoing both maps gives
the equation ``hakseup predict`` applies to raw rows:

    y = target_mean + target_std * (b + sum_i w_i * (x_i - mean_i) / std_i)

so each coefficient is ``target_std * w_i / std_i`` and the intercept collects the rest. The
map is exact only when every input is scaled linearly (``data.scaling: standard``, which
``--model linear`` gets by default) and the target is not logged; otherwise there is no
equation in the data's units and none is printed.

Example:
    >>> equation_terms([2.0], 1.0, ["x"])
    '2·x + 1'
"""

from __future__ import annotations

import numpy as np

__all__ = ["original_units", "equation_terms"]


def original_units(weight: np.ndarray, bias: float, pre) -> tuple[np.ndarray, float] | None:
    """(coefficients, intercept) in the data's units for one output of a linear model on
    inputs ``pre`` (a fitted ``TablePreprocessor``) scaled; None where the scaling is not
    an affine map (robust clipping, quantiles, a logged target, spike flags)."""
    names = list(getattr(pre, "numeric_", []))
    affine = getattr(pre, "scaling", "") == "standard" or not getattr(pre, "normalize", True)
    if (
        pre is None
        or not affine
        or getattr(pre, "log_target", False)
        or getattr(pre, "spikes_", None)
        or len(names) != len(weight)
    ):
        return None
    mean = np.array([pre.means_[c] for c in names], dtype=np.float64)
    std = np.array([pre.stds_[c] for c in names], dtype=np.float64)
    scale = float(pre.target_std_)
    coef = scale * np.asarray(weight, dtype=np.float64) / std
    intercept = float(pre.target_mean_) + scale * float(bias) - float((coef * mean).sum())
    return coef, intercept


def equation_terms(coef, intercept: float, names: list[str]) -> str:
    """``a·x + b·z + c`` with four significant digits (signs folded: ``3·x - 2``)."""
    out = ""
    for k, (c, name) in enumerate(zip(coef, names)):
        term = f"{abs(c):.4g}·{name}"
        out += (
            (term if c >= 0 else f"-{term}")
            if k == 0
            else (f" + {term}" if c >= 0 else f" - {term}")
        )
    return out + (f" + {abs(intercept):.4g}" if intercept >= 0 else f" - {abs(intercept):.4g}")
