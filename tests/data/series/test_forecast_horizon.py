"""The default horizon from the frequency, and windows that never reach into a later split."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hakseup.config import DataConfig
from hakseup.data.series.prepare import series_bundle
from hakseup.data.series.horizon import default_horizon, split_rows, steps_per_day
from hakseup.data.series.stats import resolve_season


@pytest.mark.parametrize("freq,h", [("MS", 12), ("ME", 12), ("QS-OCT", 8), ("QE-DEC", 8),
                                    ("YS-JAN", 6), ("YE-DEC", 6), ("W-SUN", 13), ("D", 7),
                                    ("B", 5), ("h", 24), ("30min", 48), ("15min", 96),
                                    ("min", 60), ("2MS", 6), (None, 1)])
def test_default_horizon_from_the_frequency(freq, h):
    assert default_horizon(freq) == h


def test_a_half_hourly_series_has_a_season_of_one_day():
    assert steps_per_day("30min") == 48 and steps_per_day("D") is None
    assert resolve_season(None, "30min", np.random.default_rng(0).normal(size=300)) == 48


def test_the_test_period_is_widened_to_hold_one_horizon():
    assert split_rows(289, 0.15, 48) == 48 and split_rows(144, 0.15, 12) == 0.15
    assert split_rows(100, 0.0, 6) == 0.0                   # no validation stays none


def _monthly(n: int) -> pd.DataFrame:
    k = np.arange(n)
    return pd.DataFrame({"date": pd.date_range("2000-01-01", periods=n, freq="MS").astype(str),
                         "value": 100 + k + 10 * np.sin(2 * np.pi * k / 12)})


def test_a_monthly_series_without_horizon_forecasts_a_year_and_no_window_leaks():
    b = series_bundle(_monthly(144), DataConfig(dataset=None, time_col="date", target="value"),
                      0, {}, "m")
    h = b.schema.n_outputs
    assert h == 12 and any("12 steps ahead" in n for n in b.info["notices"])
    s = b.info["series"]
    train_end = s["train_end"]
    val, test = s["starts"]["val"], s["starts"]["test"]
    assert (s["starts"]["train"] + h <= train_end).all()          # targets inside training
    assert len(val) and (val >= train_end).all() and (val + h <= test.min()).all()
    assert (test + h <= 144).all() and len(test) >= 1


def test_a_given_horizon_is_kept_and_says_nothing():
    b = series_bundle(_monthly(144), DataConfig(dataset=None, time_col="date", target="value",
                                                horizon=3), 0, {}, "m")
    assert b.schema.n_outputs == 3
    assert not any("steps ahead" in n for n in b.info["notices"])


def test_a_short_series_keeps_most_rows_for_training():
    b = series_bundle(_monthly(48), DataConfig(dataset=None, time_col="date", target="value"),
                      0, {}, "m")
    assert b.schema.n_outputs == 8                                 # 48 // 6, not 12
