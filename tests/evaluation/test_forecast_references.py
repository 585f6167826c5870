"""The statistical references of a forecast: statsforecast's AutoETS, AutoTheta, AutoARIMA and
their mean, fitted only on the past; statsmodels' ETS and Theta when statsforecast is missing."""

from __future__ import annotations

import numpy as np
import pytest

from hakseup.evaluation import forecast_references as fr


def _seasonal(n: int = 120, season: int = 12, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    k = np.arange(n)
    return 50 + 0.2 * k + 8 * np.sin(2 * np.pi * k / season) + rng.normal(0, 0.5, n)


needs_sf = pytest.mark.skipif(not fr.statsforecast_available(), reason="statsforecast missing")


@needs_sf
def test_statsforecast_references_and_their_mean():
    y = _seasonal()
    starts = np.arange(100, 115)
    refs, notices = fr.reference_forecasts(y, starts, 3, 12)
    assert set(refs) == set(fr.STAT_MODELS) | {fr.ENSEMBLE} and notices == []
    assert all(r.shape == (15, 3) for r in refs.values())
    members = np.stack([refs[n] for n in fr.STAT_MODELS])
    np.testing.assert_allclose(refs[fr.ENSEMBLE], members.mean(0))
    # a seasonal series with a trend: the references are far better than the last value
    actual = np.stack([y[s:s + 3] for s in starts])
    naive = np.stack([np.repeat(y[s - 1], 3) for s in starts])
    for name in fr.STAT_MODELS:
        assert np.abs(refs[name] - actual).mean() < 0.5 * np.abs(naive - actual).mean(), name


@needs_sf
def test_references_use_only_values_before_each_origin():
    y = _seasonal()
    starts = np.arange(100, 110)
    before, _ = fr.reference_forecasts(y, starts, 2, 12)
    changed = y.copy()
    changed[105:] += 100.0                      # the future of origins 100..105
    after, _ = fr.reference_forecasts(changed, starts, 2, 12)
    for name in fr.STAT_MODELS:
        np.testing.assert_allclose(after[name][:6], before[name][:6], rtol=1e-9, atol=1e-9)
        assert not np.allclose(after[name][6:], before[name][6:])


def test_without_statsforecast_statsmodels_stands_in_and_the_notice_says_how(monkeypatch):
    monkeypatch.setattr(fr, "statsforecast_available", lambda: False)
    refs, notices = fr.reference_forecasts(_seasonal(), np.arange(100, 104), 2, 12, 90)
    assert set(refs) == {"ETS", "Theta", fr.ENSEMBLE}
    assert len(notices) == 1 and fr.INSTALL_HINT in notices[0]
    assert all(n in notices[0] for n in fr.STAT_MODELS)


@needs_sf
def test_a_short_series_without_two_seasons_still_gets_references():
    y = _seasonal(n=30)
    refs, _ = fr.reference_forecasts(y, np.arange(20, 28), 3, 12)
    assert fr.ENSEMBLE in refs and all(np.isfinite(r).all() for r in refs.values())


def test_the_verdict_names_the_best_reference_and_follows_the_numbers():
    table = {"naive": {"mase": 1.2}, "drift": {"mase": 0.1}, "AutoETS": {"mase": 0.8},
             "AutoTheta": {"mase": 0.7}}
    assert fr.best_reference(table) == "AutoTheta"          # drift is not a reference
    beats = fr.reference_verdict({"mase": 0.65}, table)
    loses = fr.reference_verdict({"mase": 0.75}, table)
    assert "BEATS" in beats and "AutoTheta" in beats and "0.6500 vs 0.7000" in beats
    assert "does NOT beat" in loses
    assert fr.reference_verdict({"mase": float("nan")}, table) == ""
