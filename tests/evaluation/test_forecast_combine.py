"""The default forecast: the statistical models pooled on the rolling windows before the test
period, then the network, that statistical forecast and their mean pooled on the validation
windows — never the test; the statistical ensemble when there is no validation window."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import FAST
from hakseup.config import DataConfig
from hakseup.data.series.prepare import series_bundle
from hakseup.evaluation.forecast import default_rule, forecast_scores
from hakseup.evaluation.forecast_combine import (
    COMBINED,
    NETWORK,
    SEASONAL_NAIVE,
    STATISTICAL,
    apply_weights,
    choose_default,
    pool,
    pretest_origins,
    rule_name,
)
from hakseup.evaluation.forecast_references import ENSEMBLE
from hakseup.models.forecast import DLinear
from hakseup.run.report import _rule_line


def test_pool_takes_a_clear_winner_alone_and_averages_near_ties():
    actual = np.zeros((4, 2))
    cands = {"a": actual + 1.0, "b": actual + 1.05, "c": actual + 2.0}
    y_train = np.arange(10.0)                       # naive MAE 1: MASE = MAE
    assert pool(cands, actual, y_train, 0.1)[0] == ["a", "b"]
    assert pool(cands, actual, y_train, 0.0)[0] == ["a"]
    members, scores = pool(cands, actual, y_train, 0.1)
    assert scores == pytest.approx({"a": 1.0, "b": 1.05, "c": 2.0})


def test_the_weights_spread_the_ensemble_and_the_network_share():
    y_train = np.arange(10.0)
    pre = {"AutoETS": np.zeros((6, 1)), "AutoARIMA": np.ones((6, 1))}
    pre[ENSEMBLE] = (pre["AutoETS"] + pre["AutoARIMA"]) / 2
    actual_pre = np.full((6, 1), 0.5)               # the ensemble is exact on every window
    val_at = np.array([4, 5])
    net = np.full((2, 1), 0.5)                     # ... and the network on the validation
    out = choose_default(net, np.full((2, 1), 0.5), pre, np.full((6, 1), 9.0), actual_pre,
                         val_at, y_train)
    assert out["statistical"] == [ENSEMBLE]
    assert set(out["members"]) == {NETWORK, STATISTICAL, COMBINED}   # all three tie
    assert out["weights"] == pytest.approx({NETWORK: 0.5, "AutoETS": 0.25, "AutoARIMA": 0.25})
    assert SEASONAL_NAIVE not in out["weights"]
    base = {NETWORK: np.full((1, 1), 4.0), "AutoETS": np.zeros((1, 1)),
            "AutoARIMA": np.full((1, 1), 2.0)}
    assert apply_weights(out["weights"], base)[0, 0] == pytest.approx(2.5)
    del base["AutoARIMA"]                           # a model that failed: the rest reweighed
    assert apply_weights(out["weights"], base)[0, 0] == pytest.approx(4.0 * 0.5 / 0.75)
    assert rule_name({"AutoARIMA": 1.0}) == "AutoARIMA"


def test_the_rolling_windows_reach_back_before_the_validation_period():
    o = pretest_origins(193, 241, 48, 48)            # solar: one validation window of 48
    assert o[0] == 145 and o[-1] == 193 and len(o) == 49
    assert pretest_origins(20, 26, 6, 12)[0] == 20   # too short to reach back: none earlier


def _monthly(n: int = 72, tail: float | None = None) -> pd.DataFrame:
    k = np.arange(n)
    rng = np.random.default_rng(0)
    y = 100 + k + 10 * np.sin(2 * np.pi * k / 12) + rng.normal(0, 1, n)
    if tail is not None:                 # the test period replaced by a constant
        y[-int(tail):] = y[-int(tail) - 1]
    return pd.DataFrame({"date": pd.date_range("2000-01-01", periods=n, freq="MS").astype(str),
                         "value": y})


def _bundle(df: pd.DataFrame, val_size: float = 0.15):
    return series_bundle(df, DataConfig(dataset=None, time_col="date", target="value",
                                        horizon=3, val_size=val_size), 0, {}, "m")


def _model(bundle):
    window, channels = bundle.schema.input_shape
    return DLinear(window, channels, 3)     # untrained: repeats the last value


def test_the_choice_never_reads_the_test_period():
    plain = _bundle(_monthly())
    n_test = len(plain.info["series"]["y"]) - int(plain.info["series"]["starts"]["test"].min())
    # A flat test period: the untrained network (the last value) is exact there, so a rule
    # that read the test would pick it; the trending validation windows say otherwise.
    flat = _bundle(_monthly(tail=n_test))
    m_plain = forecast_scores(_model(plain), plain)[0]
    m_flat = forecast_scores(_model(flat), flat)[0]
    assert m_flat["network"]["mase"] == pytest.approx(0.0, abs=1e-4)
    assert m_flat["mase"] > 0.1                      # the test did not choose the network
    for key in ("weights", "validation_mase", "statistical_mase", "name"):
        assert m_flat["forecast_rule"][key] == m_plain["forecast_rule"][key]
    assert m_plain["forecast_rule"]["weights"].get(NETWORK, 0.0) < 1.0


def test_the_reported_forecast_is_the_weighted_one_with_per_step_scores():
    bundle = _bundle(_monthly())
    m = forecast_scores(_model(bundle), bundle)[0]
    rule = m["forecast_rule"]
    assert rule["reason"] == "validation" and rule["val_origins"] > 0
    assert rule["stat_origins"] > rule["val_origins"]          # several rolling windows
    assert sum(rule["weights"].values()) == pytest.approx(1.0)
    assert rule["members"][0] == min(rule["validation_mase"], key=rule["validation_mase"].get) \
        or min(rule["validation_mase"], key=rule["validation_mase"].get) in rule["members"]
    assert [r["step"] for r in m["per_step"]] == [1, 2, 3]
    assert {"mase", "naive mase", f"{ENSEMBLE} mase"} <= set(m["per_step"][0])
    assert "rolling windows" in _rule_line(rule)


def test_without_validation_windows_the_forecast_is_the_statistical_ensemble():
    bundle = _bundle(_monthly(), val_size=0.0)
    m = forecast_scores(_model(bundle), bundle)[0]
    assert m["forecast_rule"]["reason"] == "short" and m["forecast_rule"]["name"] == ENSEMBLE
    assert m["mase"] == pytest.approx(m["baselines"][ENSEMBLE]["mase"])
    assert "too little history" in _rule_line(m["forecast_rule"])
    assert default_rule(None, bundle) is bundle.info["series"]["rule"]     # cached


def test_the_report_says_which_forecast_it_gives(cli, tmp_path):
    csv = tmp_path / "m.csv"
    _monthly(144).to_csv(csv, index=False)
    code, _, err = cli("train", *FAST, "--data", csv, "--time-col", "date", "--target", "value",
                       "--output", tmp_path / "run")
    assert code == 0, err
    m = json.loads((tmp_path / "run" / "metrics.json").read_text())["metrics"]
    report = Path(tmp_path / "run" / "report.md").read_text()
    assert f"The forecast is {m['forecast_rule']['name']}:" in report
    assert "best statistical reference" in report and len(m["per_step"]) == 12
    assert {"network", "best_reference"} <= set(m)
