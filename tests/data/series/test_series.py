"""Time series: parsing, filling, stationarity, differencing, windows, baselines, bad input."""

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import FAST, assert_user_error
from hakseup.config import DataConfig
from hakseup.data.series.prepare import (SeriesPreprocessor, detect_season, naive_forecasts,
                                 prepare_series, series_bundle, stationarity, to_original)


def daily(n=200, seed=0, trend=0.5, season=7, gaps=()):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    y = 100 + trend * t + 5 * np.sin(2 * np.pi * t / season) + rng.normal(0, 0.5, n)
    df = pd.DataFrame({"date": pd.date_range("2021-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
                       "value": y, "other": rng.normal(size=n)})
    return df.drop(index=list(gaps)).reset_index(drop=True)


def test_gaps_and_missing_values_are_interpolated_in_time_and_counted():
    df = daily(gaps=[10, 11, 50])
    df.loc[30, "value"] = np.nan
    sf = prepare_series(df, DataConfig(time_col="date", target="value"), {}, "t")
    assert sf.freq == "D" and len(sf.df) == 200
    # "other" is a past covariate by default (data.covariates auto): its gaps are filled too
    assert sf.filled == {"timestamps": 3, "value": 4, "other": 3}
    truth = daily()["value"]
    assert abs(sf.df["value"].iloc[10] - (truth[9] + (truth[12] - truth[9]) / 3)) < 1e-9
    assert any("time-aware linear interpolation" in n for n in sf.notices)


def test_stationarity_verdicts():
    rng = np.random.default_rng(0)
    assert stationarity(rng.normal(size=300))["stationary"] is True
    walk = stationarity(np.cumsum(rng.normal(size=300)))
    assert walk["stationary"] is False and "differencing" in walk["verdict"]


def test_season_is_detected():
    assert detect_season(daily(n=300, trend=0.0)["value"].to_numpy()) == 7


def test_differencing_is_inverted_exactly():
    y = np.cumsum(np.arange(1, 50, dtype=float))[:, None]
    pre = SeriesPreprocessor("y", [], 5, 2, difference=1).fit(y[:30])
    scaled = pre.transform(y)                           # row t-1 holds y_t - y_{t-1}, scaled
    starts = np.array([10, 20, 40])
    out = np.stack([scaled[[t - 1, t]][:, 0] for t in starts])   # the true next two differences
    np.testing.assert_allclose(to_original(pre, out, y[:, 0], starts),
                               np.stack([y[t:t + 2, 0] for t in starts]), rtol=1e-12)


def test_chronological_windows_and_training_period_scaling():
    cfg = DataConfig(time_col="date", target="value", window=10, horizon=3, val_size=0.1,
                     test_size=0.2, features=["other"])
    b = series_bundle(daily(), cfg, 0, {}, "t")
    # target + feature, then the weekly season's 6 cos/sin channels
    assert b.train.inputs[0].shape[1:] == (10, 2 + 6) and b.train.target.shape[1] == 3
    st = b.info["series"]["starts"]
    assert st["train"].max() < st["val"].min() <= st["val"].max() < st["test"].min()
    train_end = b.info["series"]["train_end"]
    assert b.preprocessor.means_[0] == pytest.approx(daily()["value"][:train_end].mean())


def test_season_channels_sit_on_each_windows_last_row():
    from hakseup.data.series.stats import season_channels

    cfg = DataConfig(time_col="date", target="value", window=14, test_size=0.2,
                     covariates="none")          # the target alone ("other" left out)
    b = series_bundle(daily(), cfg, 0, {}, "t")
    assert b.schema.season == 7 and b.schema.input_shape == (14, 1 + 6)
    assert any("position in the season of 7" in n for n in b.info["notices"])
    x, starts = b.test.inputs[0].numpy(), b.info["series"]["starts"]["test"]
    assert not x[:, :-1, 1:].any()                      # zero before the last row
    np.testing.assert_allclose(x[:, -1, 1:], season_channels(200, 7)[starts - 1], atol=1e-6)
    # one week apart: the same position, the same channels
    np.testing.assert_allclose(x[7, -1, 1:], x[0, -1, 1:], atol=1e-6)
    plain = series_bundle(daily(), DataConfig(time_col="date", target="value", window=14,
                                              test_size=0.2, season_features="none",
                                              covariates="none"), 0, {}, "t")
    assert plain.schema.input_shape == (14, 1)
    np.testing.assert_array_equal(plain.test.inputs[0].numpy(), x[:, :, :1])
    # no season (white noise): no channels
    noise = daily(trend=0.0).assign(value=np.random.default_rng(1).normal(size=200))
    assert series_bundle(noise, cfg, 0, {}, "t").schema.input_shape == (14, 1)


def test_baselines_use_only_the_past():
    y = np.arange(20, dtype=float)
    fc = naive_forecasts(y, np.array([10]), 3, season=4)
    assert fc["naive"].tolist() == [[9, 9, 9]]
    assert fc["seasonal naive (season 4)"].tolist() == [[6, 7, 8]]
    assert fc["drift"][0].tolist() == pytest.approx([10, 11, 12])


def test_forecast_run_reports_baselines_and_plots(cli):
    daily(n=160).to_csv("s.csv", index=False)
    code, out, err = cli("train", "--data", "s.csv", "--time-col", "date", "--target", "value",
                         "--window", "14", "--horizon", "2", "--difference", "auto", *FAST,
                         "--output", "r")
    assert code == 0, err
    m = json.loads(Path("r/metrics.json").read_text())["metrics"]
    assert {"naive", "drift"} <= set(m["baselines"]) and m["mase"] > 0
    report = Path("r/report.md").read_text()
    for name, b in m["baselines"].items():              # the verdict follows the numbers
        assert m["beats"][name] == (m["mae"] < b["mae"])
        verdict = "BEATS" if m["beats"][name] else "does NOT beat"
        assert f"{verdict} the {name} forecast: MAE {m['mae']:.4f} vs {b['mae']:.4f}" in report
    assert Path("r/plots/forecast.png").is_file() and Path("r/plots/residuals.png").is_file()


@pytest.mark.parametrize("mutate,args,needle", [
    (lambda d: d.assign(date=d["date"].where(d.index != 5, "not a date")), [], "'not a date'"),
    (lambda d: d, ["--time-col", "datum"], "Did you mean 'date'"),
    (lambda d: d.head(12), ["--window", "20"], "fewer than window"),
    (lambda d: d.assign(value=3.0), [], "constant"),
    (lambda d: d.assign(value=np.nan), [], "no values"),
    (lambda d: pd.concat([d, d.head(3)]), [], "--set data.duplicates=mean"),
])
def test_bad_series_give_one_line(cli, mutate, args, needle):
    mutate(daily(n=60)).to_csv("s.csv", index=False)
    base = ["--time-col", "date", "--target", "value", "--window", "5"]
    code, _, err = cli("train", "--data", "s.csv", *base, *args, *FAST)
    assert_user_error(code, err, needle)
    assert not Path("runs").exists()


def test_duplicate_timestamps_can_be_aggregated(cli):
    pd.concat([daily(n=60), daily(n=60, seed=1).head(3)]).to_csv("s.csv", index=False)
    code, _, err = cli("train", "--data", "s.csv", "--time-col", "date", "--target", "value",
                       "--window", "5", "--set", "data.duplicates=mean", *FAST, "--output", "r")
    assert code == 0, err
    assert "Aggregated 3 repeated" in Path("r/report.md").read_text()


def test_linear_regression_recipe_recovers_2x_plus_1(cli):
    code, out, err = cli("train", "--recipe", "linear-regression", "--output", "r")
    assert code == 0, err
    line = next(ln for ln in out.splitlines() if ln.startswith("Learned"))
    w, b = [float(v) for v in line.replace("·x", "").split("=")[1].split("+")]
    assert abs(w - 2) < 0.01 and abs(b - 1) < 0.05


def test_sbux_recipe_shows_the_naive_forecast(shared_data, cli, http_dir, monkeypatch):
    root, base = http_dir
    shutil.copy(shared_data / "SBUX.csv", root)
    monkeypatch.setenv("HAKSEUP_MIRRORS", base)
    code, out, err = cli("train", "--recipe", "sbux-lstm", "--epochs", "3", "--no-progress",
                         "--output", "sb")
    assert code == 0, err
    m = json.loads(Path("sb/metrics.json").read_text())
    assert "naive" in m["metrics"]["baselines"]
    rows = Path("sb/report.md").read_text()
    assert "train / val / test rows | 200 / 0 / 53" in rows


def test_inspect_profiles_a_series_and_a_table(cli):
    df = daily(n=120)
    df.loc[4, "other"] = np.nan
    df.to_csv("s.csv", index=False)
    code, out, err = cli("inspect", "s.csv", "--time-col", "date", "--target", "value")
    assert code == 0, err
    assert "ADF p =" in out and "KPSS p =" in out and "season found: 7" in out
    code, out, _ = cli("inspect", "s.csv", "--time-col", "date", "--target", "value", "--json")
    r = json.loads(out)
    assert r["columns"]["other"]["missing"] == 1 and r["series"]["stationarity"]["verdict"]
    pd.DataFrame({"a": list("xyzx") * 10, "y": [0, 1, 1, 1] * 10}).to_csv("t.csv", index=False)
    code, out, _ = cli("inspect", "t.csv", "--target", "y")
    assert code == 0 and "class balance" in out and "3.00" in out
    assert_user_error(*cli("inspect", "nope.csv")[::2], "not found")


@pytest.mark.parametrize("freq,season", [("W-SUN", 52), ("W-WED", 52), ("MS", 12), ("ME", 12),
                                         ("QS-JAN", 4), ("QS-FEB", 4), ("YS-JUL", 1)])
def test_a_calendar_frequency_survives_missing_dates(freq, season):
    """pandas infers no frequency once a few dates are missing; a weekly series then got no
    season of 52 (seen: 7D, the seasonal naive and the season channels lost)."""
    from hakseup.data.series.dates import season_from_freq
    from hakseup.data.series.prepare import _infer_freq

    start = "2001-01-31" if freq == "ME" else "2001-01-01"
    times = pd.date_range(start, periods=150, freq=freq).delete([7, 8, 60])
    found = _infer_freq(times)
    assert season_from_freq(found) == season
    filled = pd.date_range(times[0], times[-1], freq=found)
    assert len(filled) == 150 and set(times) <= set(filled)
    # not calendar: ragged days of the month stay irregular
    ragged = times + pd.to_timedelta(np.arange(len(times)) % 5, unit="D")
    assert _infer_freq(ragged) is None or season_from_freq(_infer_freq(ragged)) is None


def test_a_grid_that_misses_the_dates_adds_no_rows():
    """Monthly dates on the 15th with two missing: no pandas frequency's grid holds them, so
    the series stays as it is (an MS grid once interleaved 140 invented rows)."""
    from hakseup.data.series.prepare import _infer_freq

    times = pd.date_range("2001-01-01", periods=60, freq="MS") + pd.Timedelta(days=14)
    times = times.delete([10, 30])
    assert _infer_freq(times) is None
    df = pd.DataFrame({"date": times.strftime("%Y-%m-%d"), "value": np.arange(58.0)})
    sf = prepare_series(df, DataConfig(time_col="date", target="value"), {}, "t")
    assert len(sf.df) == 58 and sf.filled["timestamps"] == 0
    # a Sunday series that starts on a Wednesday: anchored on its usual weekday
    sundays = pd.date_range("2020-01-05", periods=80, freq="W-SUN").delete([20, 21])
    assert _infer_freq(sundays.insert(0, pd.Timestamp("2020-01-01"))) == "W-SUN"


def test_a_run_saved_before_the_season_channels_is_rebuilt_as_it_trained(cli, tmp_path):
    """A run whose config.yaml lacks data.season_features (saved before the key existed)
    evaluates with the input shape it was trained on; a hand-edited config that changes the
    shape is one line, not a traceback from the model."""
    import yaml

    t = np.arange(120)
    pd.DataFrame({"date": pd.date_range("2000-01-01", periods=120, freq="MS").strftime("%Y-%m"),
                  "value": 10 + 3 * np.sin(2 * np.pi * t / 12) + 0.05 * t}).to_csv("m.csv",
                                                                                    index=False)
    code, out, err = cli("train", "--data", "m.csv", "--time-col", "date", "--target", "value",
                         "--set", "data.season_features=none", *FAST)
    assert code == 0, err
    run = sorted(Path("runs").iterdir())[-1]
    cfg = yaml.safe_load((run / "config.yaml").read_text())
    del cfg["data"]["season_features"]
    (run / "config.yaml").write_text(yaml.safe_dump(cfg))
    code, out, err = cli("evaluate", str(run))
    assert code == 0, err
    cfg["data"]["season_features"] = "auto"     # the shape the model does not read
    (run / "config.yaml").write_text(yaml.safe_dump(cfg))
    code, out, err = cli("evaluate", str(run))
    assert_user_error(code, err, "inputs of shape")
