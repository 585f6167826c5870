"""Dates as spreadsheets write them, seasons, forecasters, classical references, rolling folds."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

from hakseup.data.series.dates import parse_dates, season_from_freq
from hakseup.data.series.prepare import resolve_season
from hakseup.data.series.cv import rolling_origin_folds
from hakseup.errors import DataError
from hakseup.models.forecast import DLinear, NBeats
from hakseup.models.forecast_classical import ets_forecasts, theta_forecasts

from conftest import FAST


def _ym(values, **kw) -> list[str]:
    return list(parse_dates(pd.Series(values), **kw).strftime("%Y-%m-%d"))


@pytest.mark.parametrize("values, expected", [
    (["1-01", "1-02", "1-12", "2-01"], ["2001-01-01", "2001-02-01", "2001-12-01", "2002-01-01"]),
    (["1821", "1822"], ["1821-01-01", "1822-01-01"]),
    ([1821, 1822], ["1821-01-01", "1822-01-01"]),
    (["2020Q1", "2020-Q2", "Q3 2020"], ["2020-01-01", "2020-04-01", "2020-07-01"]),
    (["Jan-49", "Feb-49"], ["1949-01-01", "1949-02-01"]),
    (["Nov", "Dec", "Jan"], ["2000-11-01", "2000-12-01", "2001-01-01"]),
    (["2020-01", "2020/02"], ["2020-01-01", "2020-02-01"]),
    (["\ufeff2020-01-01", "2020-01-02"], ["2020-01-01", "2020-01-02"]),
])
def test_dates_as_spreadsheets_write_them(values, expected):
    assert _ym(values) == expected


def test_dayfirst_reads_day_first_but_leaves_iso_dates_alone():
    assert _ym(["31/01/2020", "01/02/2020"], dayfirst=True) == ["2020-01-31", "2020-02-01"]
    assert _ym(["2020-01-02", "2020-01-03"], dayfirst=True) == ["2020-01-02", "2020-01-03"]


def test_an_unparseable_date_is_one_error_naming_examples():
    with pytest.raises(DataError, match=r"'garbage'.*'x'.*2020Q1"):
        parse_dates(pd.Series(["2020-01-01", "garbage", "x"]), name="when")


@pytest.mark.parametrize("freq, season", [("h", 24), ("D", 7), ("B", 5), ("W-SUN", 52),
                                          ("MS", 12), ("ME", 12), ("QS-OCT", 4), ("YS-JAN", 1),
                                          ("2D", None), (None, None)])
def test_season_from_the_frequency(freq, season):
    assert season_from_freq(freq) == season


def test_weekly_series_gets_season_52_not_the_autocorrelation_peak():
    t = np.arange(400)
    y = np.sin(2 * np.pi * t / 52) + 0.01 * t
    assert resolve_season(None, "W-SUN", y) == 52
    assert resolve_season(None, None, y) in (52, 104)     # irregular: from the ACF
    assert resolve_season(7, "W-SUN", y) == 7             # given wins
    assert resolve_season(None, "MS", y[:20]) == 1        # fewer than two seasons: none


def _windows(y: np.ndarray, window: int, horizon: int):
    starts = np.arange(window, len(y) - horizon + 1)
    X = np.stack([y[t - window:t] for t in starts])[:, :, None]
    Y = np.stack([y[t:t + horizon] for t in starts])
    return torch.tensor(X, dtype=torch.float32), torch.tensor(Y, dtype=torch.float32), starts


def test_dlinear_starts_from_the_seasonal_naive_or_the_naive_forecast():
    y = np.random.default_rng(0).normal(size=80).cumsum()
    X, _, starts = _windows(y, 20, 3)
    seasonal = DLinear(20, 1, 3, season=12)(X).detach().numpy()
    expected = np.stack([[y[t - 12 + h % 12] for h in range(3)] for t in starts])
    np.testing.assert_allclose(seasonal, expected, rtol=1e-5, atol=1e-5)
    naive = DLinear(20, 1, 3)(X).detach().numpy()
    np.testing.assert_allclose(naive, np.repeat(y[starts - 1][:, None], 3, 1), atol=1e-5)


@pytest.mark.parametrize("cls", [DLinear, NBeats])
def test_forecasters_learn_a_trend_with_a_season(cls):
    torch.manual_seed(0)
    t = np.arange(300)
    y = 0.05 * t + np.sin(2 * np.pi * t / 12)
    X, Y, _ = _windows(y, 24, 2)
    model = cls(24, 1, 2)
    opt = torch.optim.Adam(model.parameters(), 3e-3)
    first = torch.nn.functional.mse_loss(model(X), Y).item()
    for _ in range(300):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(X), Y)
        loss.backward()
        opt.step()
    assert float(loss) < 0.1 * first


def _seasonal_series(n=144):
    t = np.arange(n)
    return 100 + 0.5 * t + 10 * np.sin(2 * np.pi * t / 12) + \
        np.random.default_rng(1).normal(0, 1, n)


def test_ets_and_theta_beat_naive_on_a_seasonal_series_and_use_only_the_past():
    y = _seasonal_series()
    starts = np.arange(120, 144)
    scale = np.mean(np.abs(y[starts] - y[starts - 1]))
    for fc in (ets_forecasts(y, starts, 1, 12, 120),
               theta_forecasts(y, starts, 1, 12, 120, refit=False),
               theta_forecasts(y, starts, 1, 12, 120, refit=True)):
        assert np.mean(np.abs(y[starts] - fc[:, 0])) < 0.6 * scale
    changed = y.copy()
    changed[130:] += 1000                                   # the future of origins ≤ 130
    for a, b in ((ets_forecasts(y, starts, 2, 12, 120), ets_forecasts(changed, starts, 2, 12, 120)),
                 (theta_forecasts(y, starts, 2, 12, 120, refit=False),
                  theta_forecasts(changed, starts, 2, 12, 120, refit=False))):
        np.testing.assert_allclose(a[starts <= 130], b[starts <= 130])


def test_rolling_origin_folds_expand_and_never_train_on_the_future():
    folds = rolling_origin_folds(100, 4, 10)
    assert [(len(tr), len(te)) for tr, te in folds] == [(60, 10), (70, 10), (80, 10), (90, 10)]
    for tr, te in folds:
        assert tr.max() < te.min()
    with pytest.raises(DataError, match="fewer --folds"):
        rolling_origin_folds(20, 5, 10)


def test_series_fold_bundles_test_on_each_block(tmp_path):
    from hakseup.config import DataConfig
    from hakseup.data.series.cv import series_fold_bundles

    n = 120
    df = pd.DataFrame({"date": pd.date_range("2000-01-01", periods=n, freq="MS").astype(str),
                       "value": _seasonal_series(n)})
    cfg = DataConfig(dataset=None, time_col="date", target="value", window=12, horizon=1)
    bundles = list(series_fold_bundles(df, cfg, 0, 3))
    blocks = [b.info["series"]["starts"]["test"] for _, b in bundles]
    assert [len(b) for b in blocks] == [30, 30, 30]
    assert [int(b[0]) for b in blocks] == [30, 60, 90]
    assert all(b.info["series"]["train_end"] <= blk[0] for (_, b), blk in zip(bundles, blocks))


def test_forecast_run_with_year_month_dates_and_a_bom_reports_ets_and_theta(cli, tmp_path):
    n = 96
    years = [f"{1 + k // 12}-{k % 12 + 1:02d}" for k in range(n)]      # 1-01 … 8-12
    csv = tmp_path / "monthly.csv"
    csv.write_text("date,value\n" + "\n".join(f"{d},{v:.3f}" for d, v in
                                              zip(years, _seasonal_series(n))), encoding="utf-8-sig")
    code, out, err = cli("train", *FAST, "--data", csv, "--time-col", "date", "--target", "value",
                         "--window", "12", "--output", tmp_path / "run")
    assert code == 0, err
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())["metrics"]
    from hakseup.evaluation.forecast_references import statsforecast_available

    refs = {"AutoETS", "AutoTheta", "AutoARIMA"} if statsforecast_available() else {"ETS", "Theta"}
    assert refs | {"statistical ensemble"} <= set(metrics["baselines"])
    assert any(k.startswith("seasonal naive (season 12)") for k in metrics["baselines"])
    assert (tmp_path / "run" / "plots" / "forecast.png").stat().st_size > 0
    config = (tmp_path / "run" / "config.yaml").read_text()
    assert "name: dlinear" in config


def test_multi_step_forecasts_are_scored_per_step(cli, tmp_path):
    n = 120
    csv = tmp_path / "s.csv"
    pd.DataFrame({"date": pd.date_range("2000-01-01", periods=n, freq="MS"),
                  "value": _seasonal_series(n)}).to_csv(csv, index=False)
    code, _, err = cli("train", *FAST, "--data", csv, "--time-col", "date", "--target", "value",
                       "--window", "12", "--horizon", "3", "--output", tmp_path / "run")
    assert code == 0, err
    per_step = json.loads((tmp_path / "run" / "metrics.json").read_text())["metrics"]["per_step"]
    assert [r["step"] for r in per_step] == [1, 2, 3]
    assert all("naive mae" in r and "statistical ensemble mase" in r for r in per_step)


def test_bad_dates_end_as_one_clean_error(cli, tmp_path):
    csv = tmp_path / "bad.csv"
    csv.write_text("date,value\n2020-01-01,1\nsoon,2\nlater,3\n" +
                   "".join(f"2020-01-{d:02d},{d}\n" for d in range(4, 30)))
    code, out, err = cli("train", *FAST, "--data", csv, "--time-col", "date", "--target", "value")
    assert code == 2
    assert err.startswith("hakseup: error:") and "'soon'" in err and "Traceback" not in err


def test_a_series_continues_into_its_test_file(tmp_path):
    from hakseup.config import DataConfig
    from hakseup.data.datasets import load_data

    n = 100
    df = pd.DataFrame({"date": pd.date_range("2000-01-01", periods=n, freq="MS").astype(str),
                       "value": _seasonal_series(n)})
    df.iloc[:80].to_csv(tmp_path / "train.csv", index=False)
    df.iloc[80:].to_csv(tmp_path / "test.csv", index=False)
    bundle = load_data(DataConfig(dataset=None, path=str(tmp_path / "train.csv"),
                                  test_path=str(tmp_path / "test.csv"), time_col="date",
                                  target="value", window=12, horizon=1))
    assert list(bundle.info["series"]["starts"]["test"]) == list(range(80, 100))
    assert bundle.info["series"]["train_end"] <= 80


def _growing_season(n=120) -> np.ndarray:
    """A positive monthly series whose seasonal swing grows with its level (airline-like)."""
    t = np.arange(n)
    level = 100 * np.exp(0.02 * t)
    return level * (1 + 0.3 * np.sin(2 * np.pi * t / 12)) * np.exp(
        np.random.default_rng(0).normal(0, 0.02, n))


def test_log_transform_auto_takes_log_only_where_the_spread_grows_with_the_level():
    from hakseup.data.series.stats import log_transform

    assert log_transform("auto", _growing_season(), 12) is True
    assert log_transform("auto", _seasonal_series() + 50, 12) is False     # a steady swing
    assert log_transform("auto", _growing_season() - 500, 12) is False     # not positive
    assert log_transform("none", _growing_season(), 12) is False
    with pytest.raises(DataError, match="positive"):
        log_transform("log", _growing_season() - 500, 12)


def test_a_log_modelled_series_is_forecast_in_original_units(tmp_path):
    from hakseup.config import DataConfig
    from hakseup.data.datasets import load_data
    from hakseup.data.series.prepare import to_original

    n = 120
    y = _growing_season(n)
    pd.DataFrame({"date": pd.date_range("2000-01-01", periods=n, freq="MS").astype(str),
                  "value": y}).to_csv(tmp_path / "s.csv", index=False)
    for diff in ("none", "1"):
        bundle = load_data(DataConfig(dataset=None, path=str(tmp_path / "s.csv"), time_col="date",
                                      target="value", window=12, difference=diff))
        pre, starts = bundle.preprocessor, bundle.info["series"]["starts"]["test"]
        assert pre.log and bundle.info["summary"]["log transform"] is True
        assert any("log(value)" in n for n in bundle.info["notices"])
        # The targets the network is trained on, turned back, are the series itself.
        back = to_original(pre, bundle.test.target.numpy().astype(np.float64), y, starts)
        np.testing.assert_allclose(back[:, 0], y[starts], rtol=1e-5)
        assert pre.from_dict(json.loads(json.dumps(pre.to_dict()))).log is True
