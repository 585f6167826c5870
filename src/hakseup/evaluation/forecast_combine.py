"""The default forecast: the network, the statistical ensemble, or their mean — whichever
forecast the validation windows (held out before the test period, never the test) score best.

Why: on series no one here wrote, a network trained on one short series lost to the best
automatic statistical model on every one; the M3/M4 evidence is that combinations of
statistical models are hard to beat, and that a network combined with them (M4's winner was
a hybrid) gains where the network alone does not. The choice is made per run, on the
validation period's forecasts: the references are fitted on the training period only there,
as the network is. A series too short for a validation window gets the statistical ensemble,
and the report says so.

Example:
    >>> import numpy as np
    >>> actual = np.array([[1.0], [2.0]])
    >>> stats = {"statistical ensemble": np.array([[0.0], [0.0]])}
    >>> cands = candidates(np.array([[1.0], [2.1]]), stats)
    >>> choose(cands, actual, np.arange(10.0))[0]
    'network'
"""

from __future__ import annotations

import numpy as np

from ..metrics import mase
from .forecast_references import ENSEMBLE

__all__ = ["COMBINED", "MIN_VAL_ORIGINS", "NETWORK", "candidates", "choose"]

NETWORK = "network"
COMBINED = "network + statistical ensemble"
MIN_VAL_ORIGINS = 1     # validation forecasts needed to choose at all


def candidates(net: np.ndarray, refs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The forecasts the default chooses from: the network, the statistical ensemble and
    their equal-weight mean (only the network where there is no ensemble)."""
    out = {NETWORK: net}
    if ENSEMBLE in refs:
        out[ENSEMBLE] = refs[ENSEMBLE]
        out[COMBINED] = (net + refs[ENSEMBLE]) / 2
    return out


def choose(cands: dict[str, np.ndarray], actual: np.ndarray, y_train: np.ndarray
           ) -> tuple[str, dict[str, float]]:
    """(the candidate with the lowest validation MASE, every candidate's validation MASE);
    ties go to the earlier candidate in ``COMBINED``'s favour order (combined, ensemble,
    network: the more averaged forecast, as the evidence prefers)."""
    scores = {name: mase(actual, f, y_train, 1) for name, f in cands.items()}
    order = [n for n in (COMBINED, ENSEMBLE, NETWORK) if n in scores]
    finite = [n for n in order if np.isfinite(scores[n])]
    if not finite:
        return order[0], scores
    return min(finite, key=lambda n: scores[n]), scores


def combine(rule: str, net: np.ndarray, refs: dict[str, np.ndarray]) -> np.ndarray:
    """The forecast ``rule`` names, from the network's forecasts and the references'."""
    return candidates(net, refs).get(rule, net)
