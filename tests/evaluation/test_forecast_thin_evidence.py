"""Stage 2 of the default forecast on thin evidence: its pooling tolerance widens as the
validation windows cover fewer non-overlapping horizons (one window of 48 steps is one
horizon, not 48 observations), and narrows as they cover more."""

from __future__ import annotations

import numpy as np
import pytest

from hakseup.evaluation.forecast_combine import (
    COMBINED,
    NETWORK,
    POOL_MARGIN,
    STATISTICAL,
    choose_default,
    evidence,
    pool_tolerance,
)
from hakseup.evaluation.forecast_references import ENSEMBLE


def test_evidence_counts_non_overlapping_horizons_not_windows():
    assert evidence(np.arange(7), 12) == pytest.approx(1.5)      # airpassengers at h = 12
    assert evidence(np.array([0]), 48) == pytest.approx(1.0)     # solar: one day
    assert evidence(np.arange(20), 1) == pytest.approx(20.0)     # one step: every window
    assert evidence(np.array([0, 12, 24]), 12) == pytest.approx(3.0)
    assert evidence(np.array([], dtype=int), 6) == 0.0


def test_the_tolerance_shrinks_with_the_square_root_of_the_evidence():
    assert pool_tolerance(1.0) == pytest.approx(POOL_MARGIN)
    assert pool_tolerance(0.5) == pytest.approx(POOL_MARGIN)      # never wider than one horizon
    assert pool_tolerance(4.0) == pytest.approx(POOL_MARGIN / 2)
    assert pool_tolerance(400.0) == pytest.approx(POOL_MARGIN / 20)


def _stage2(n_val: int, horizon: int, net_error: float) -> dict:
    """choose_default where the statistical forecast errs by 1 on every validation value
    and the network by ``net_error`` (the same side, so their mean errs in between), on
    ``n_val`` consecutive windows."""
    n_pre = n_val + 10
    actual_pre = np.zeros((n_pre, horizon))
    pre = {"AutoETS": actual_pre + 1.0, "AutoARIMA": actual_pre + 1.0}
    pre[ENSEMBLE] = actual_pre + 1.0
    val_at = np.arange(n_pre - n_val, n_pre)
    net = np.full((n_val, horizon), net_error)
    y_train = np.arange(50.0)                                      # naive MAE 1: MASE = MAE
    return choose_default(net, np.zeros((n_val, horizon)), pre, actual_pre + 5.0, actual_pre,
                          val_at, y_train)


def test_one_window_of_many_steps_pools_a_candidate_that_wins_narrowly():
    # the network 25 % worse than the statistical forecast on ONE window of 48 steps: within
    # the one-horizon tolerance (40 %), so all three are pooled instead of the network dropped
    out = _stage2(1, 48, 1.25)
    assert out["val_horizons"] == pytest.approx(1.0)
    assert out["tolerance"] == pytest.approx(POOL_MARGIN)
    assert out["members"] == [NETWORK, STATISTICAL, COMBINED]
    assert out["weights"][NETWORK] == pytest.approx(0.5)


def test_the_same_gap_on_many_one_step_windows_is_taken_at_its_word():
    # the same 25 % gap on 100 one-step windows (100 horizons: tolerance 4 %): the
    # statistical forecast alone, the network gets no weight
    out = _stage2(100, 1, 1.25)
    assert out["val_horizons"] == pytest.approx(100.0)
    assert out["members"] == [STATISTICAL]
    assert NETWORK not in out["weights"]


def test_a_clear_loser_is_dropped_even_on_one_window():
    # twice as bad on one horizon: outside even the widest tolerance
    out = _stage2(1, 48, 2.0)
    assert NETWORK not in out["members"] and COMBINED not in out["members"]
    assert sum(out["weights"].values()) == pytest.approx(1.0)
