"""The default forecast: the network, the statistical ensemble or their mean, chosen on the
validation windows (never the test); the statistical ensemble when there are none."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import FAST

from hakseup.config import DataConfig
from hakseup.data.series.prepare import series_bundle
from hakseup.evaluation.forecast import forecast_scores
from hakseup.evaluation.forecast_combine import COMBINED, NETWORK, candidates, choose
from hakseup.evaluation.forecast_references import ENSEMBLE
from hakseup.models.forecast import DLinear


def test_choose_takes_the_lowest_validation_mase_and_ties_go_to_the_average():
    actual = np.array([[1.0, 2.0], [3.0, 4.0]])
    net, ens = actual + 1.0, actual - 1.0              # equal errors: their mean is exact
    cands = candidates(net, {ENSEMBLE: ens})
    name, scores = choose(cands, actual, np.arange(10.0))
    assert name == COMBINED and scores[COMBINED] == 0.0
    assert choose({NETWORK: actual, ENSEMBLE: actual}, actual, np.arange(10.0))[0] == ENSEMBLE
    assert list(candidates(net, {})) == [NETWORK]        # no ensemble: the network alone


def _monthly(n: int = 144) -> pd.DataFrame:
    k = np.arange(n)
    rng = np.random.default_rng(0)
    return pd.DataFrame({"date": pd.date_range("2000-01-01", periods=n, freq="MS").astype(str),
                         "value": 100 + k + 10 * np.sin(2 * np.pi * k / 12) + rng.normal(0, 1, n)})


def _scores(val_size: float):
    bundle = series_bundle(_monthly(), DataConfig(dataset=None, time_col="date", target="value",
                                                  horizon=3, val_size=val_size), 0, {}, "m")
    window, channels = bundle.schema.input_shape
    return forecast_scores(DLinear(window, channels, 3), bundle)[0]   # untrained: last value


def test_the_rule_is_chosen_on_validation_and_the_reported_forecast_is_the_chosen_one():
    m = _scores(0.15)
    rule = m["forecast_rule"]
    assert rule["reason"] == "validation" and rule["val_origins"] > 0
    assert rule["name"] == min(rule["validation_mase"], key=rule["validation_mase"].get)
    # an untrained DLinear repeats the last value: the references do far better here
    assert rule["name"] != NETWORK
    if rule["name"] == ENSEMBLE:
        assert m["mase"] == pytest.approx(m["baselines"][ENSEMBLE]["mase"])
    assert m["network"]["mase"] == pytest.approx(m["baselines"]["naive"]["mase"], rel=1e-4)


def test_without_validation_windows_the_forecast_is_the_statistical_ensemble():
    m = _scores(0.0)
    assert m["forecast_rule"]["reason"] == "short" and m["forecast_rule"]["name"] == ENSEMBLE
    assert m["mase"] == pytest.approx(m["baselines"][ENSEMBLE]["mase"])


def test_the_report_says_which_forecast_it_gives(cli, tmp_path):
    csv = tmp_path / "m.csv"
    _monthly().to_csv(csv, index=False)
    code, _, err = cli("train", *FAST, "--data", csv, "--time-col", "date", "--target", "value",
                       "--output", tmp_path / "run")
    assert code == 0, err
    m = json.loads((tmp_path / "run" / "metrics.json").read_text())["metrics"]
    report = Path(tmp_path / "run" / "report.md").read_text()
    assert f"The forecast is the {m['forecast_rule']['name']}, chosen on" in report
    assert "best statistical reference" in report and len(m["per_step"]) == 12
    assert {"network", "best_reference"} <= set(m)
