"""Split-conformal prediction intervals of a forecast: widths from the validation windows'
errors, scored on the test period by coverage and the interval score (MSIS)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import FAST

from hakseup.evaluation.forecast_intervals import conformal_widths, interval_scores


def test_conformal_widths_cover_fresh_errors_at_the_nominal_rate():
    rng = np.random.default_rng(0)
    steps = np.sqrt(np.arange(1, 7))                      # errors grow with the step
    calib = rng.normal(size=(400, 6)) * steps
    fresh = rng.normal(size=(4000, 6)) * steps
    widths = conformal_widths(calib, [0.8, 0.95])
    assert (np.diff(widths[0.95]) >= 0).all() and (widths[0.95] > widths[0.8]).all()
    for level, w in widths.items():
        covered = float(np.mean(np.abs(fresh) <= w))
        assert covered == pytest.approx(level, abs=0.03), level


def test_few_windows_give_the_largest_error_not_an_infinite_width():
    w = conformal_widths(np.array([[1.0, 2.0], [-3.0, 1.0]]), [0.95])[0.95]
    assert np.isfinite(w).all() and w.max() > 0


def test_interval_scores_by_hand():
    actual = np.array([[0.0], [10.0]])
    pred = np.array([[0.0], [0.0]])
    s = interval_scores(actual, pred, {0.8: np.array([1.0])}, mase_scale=2.0)["0.8"]
    assert s["coverage"] == 0.5 and s["mean_width"] == 2.0
    # widths 2 each; the miss adds 2 / 0.2 * (10 - 1) = 90: mean (2 + 92) / 2 = 47, over 2
    assert s["msis"] == pytest.approx(23.5)


def _monthly(path, n=144):
    k = np.arange(n)
    rng = np.random.default_rng(1)
    pd.DataFrame({"date": pd.date_range("2000-01-01", periods=n, freq="MS").astype(str),
                  "value": 100 + k + 10 * np.sin(2 * np.pi * k / 12) + rng.normal(0, 2, n)}
                 ).to_csv(path, index=False)


def test_interval_flag_scores_coverage_in_metrics_and_report(cli, tmp_path):
    _monthly(tmp_path / "m.csv")
    code, _, err = cli("train", *FAST, "--data", tmp_path / "m.csv", "--time-col", "date",
                       "--target", "value", "--interval", "0.8,0.95", "--output", tmp_path / "r")
    assert code == 0, err
    m = json.loads((tmp_path / "r" / "metrics.json").read_text())["metrics"]
    assert set(m["intervals"]) == {"0.8", "0.95"}
    assert m["intervals"]["0.95"]["mean_width"] > m["intervals"]["0.8"]["mean_width"]
    assert all(0 <= v["coverage"] <= 1 and v["msis"] > 0 for v in m["intervals"].values())
    assert "prediction interval (split conformal" in (tmp_path / "r" / "report.md").read_text()


def test_an_interval_level_outside_0_5_to_0_999_is_a_one_line_error(cli, tmp_path):
    _monthly(tmp_path / "m.csv", 60)
    code, _, err = cli("train", *FAST, "--data", tmp_path / "m.csv", "--time-col", "date",
                       "--target", "value", "--interval", "1.5", "--output", tmp_path / "r")
    assert code == 2 and "Traceback" not in err and "interval" in err
