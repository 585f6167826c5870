"""The finite-sample behaviour of the conformal intervals' quantile rule (the
ceil((n + 1)·level)-th smallest validation error, ``forecast_intervals.conformal_widths``) with
as few validation errors as a series gives at one step (13–37 on the quality suite): known
residuals, and the coverage of fresh errors from a series with known noise."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hakseup.evaluation.forecast_intervals import conformal_widths


@pytest.mark.parametrize(
    ("n", "level", "expected"),
    [
        (10, 0.8, 9.0),  # ceil(11 · 0.8) = 9: the 9th smallest of 1..10
        (20, 0.8, 17.0),  # ceil(21 · 0.8) = 17
        (20, 0.95, 20.0),  # ceil(21 · 0.95) = 20: the largest
        (10, 0.95, 10.0),  # ceil(11 · 0.95) = 11 > 10: the largest, not an infinite width
    ],
)
def test_the_rule_on_known_residuals(n, level, expected):
    errors = np.arange(1.0, n + 1.0)[::-1, None] * np.where(np.arange(n) % 2, -1.0, 1.0)[:, None]
    assert conformal_widths(errors, [level])[level].tolist() == [expected]


def _ar1_coverage(n_val: int, level: float, reps: int = 400, n_test: int = 200) -> float:
    """Mean coverage of the test errors of an AR(1) series (φ = 0.7, N(0, 1) noise) forecast one
    step ahead by its true conditional mean, the widths calibrated on the ``n_val`` validation
    errors just before the test period."""
    rng = np.random.default_rng(7)
    covered = []
    for _ in range(reps):
        noise = rng.normal(size=n_val + n_test + 1)
        y = np.zeros_like(noise)
        for t in range(1, len(y)):
            y[t] = 0.7 * y[t - 1] + noise[t]
        residuals = y[1:] - 0.7 * y[:-1]  # actual − forecast: exactly the noise
        w = conformal_widths(residuals[:n_val, None], [level])[level]
        covered.append(np.mean(np.abs(residuals[n_val:]) <= w[0]))
    return float(np.mean(covered))


@pytest.mark.parametrize(("n_val", "level"), [(13, 0.8), (37, 0.8), (37, 0.95), (13, 0.95)])
def test_coverage_of_a_series_with_known_noise_is_k_over_n_plus_one(n_val, level):
    """Exchangeable errors: the k-th smallest of n covers k / (n + 1) on average — above
    nominal by up to 1 / (n + 1) (13 errors at 80 %: 12 / 14 = 85.7 %), and below it when
    ceil((n + 1)·level) > n leaves only the largest error (13 errors at 95 %: 13 / 14)."""
    k = min(n_val, math.ceil((n_val + 1) * level))
    assert _ar1_coverage(n_val, level) == pytest.approx(k / (n_val + 1), abs=0.015)


def test_many_validation_errors_cover_the_nominal_rate():
    assert _ar1_coverage(400, 0.8, reps=40) == pytest.approx(0.8, abs=0.01)
