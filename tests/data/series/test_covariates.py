"""Covariates of a single series: past by default, future at the forecast steps, calendar."""

import numpy as np
import pandas as pd
import pytest

from conftest import FAST, assert_user_error
from hakseup.config import DataConfig
from hakseup.data.series.covariates import calendar_features, pack_future
from hakseup.data.series.prepare import series_bundle
from hakseup.errors import DataError


def promo_series(n=160, seed=0, effect=3.0):
    """y_t = 10 + effect·promo_t + noise, daily, with a text column beside it."""
    rng = np.random.default_rng(seed)
    promo = (rng.random(n) < 0.3).astype(float)
    return pd.DataFrame({
        "date": pd.date_range("2021-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
        "y": 10 + effect * promo + rng.normal(0, 0.3, n), "promo": promo,
        "price": rng.normal(5, 1, n), "note": rng.choice(["a", "b"], n)})


def cfg(**kw):
    return DataConfig(time_col="date", target="y", window=14, horizon=3, **kw)


def test_other_numeric_columns_are_past_covariates_by_default():
    b = series_bundle(promo_series(), cfg(), 0, {}, "t")
    assert b.preprocessor.features == ["promo", "price"]           # "note" is text
    assert b.schema.input_shape == (14, 3) and b.schema.future_channels == 0
    notices = " ".join(b.info["notices"])
    assert "Past covariates: promo, price" in notices and "Not numeric" in notices
    x = b.train.inputs[0].numpy()          # read over the last season (7 days) of the window
    assert b.preprocessor.covariate_rows == 7
    assert not x[:, :14 - 7, 1:3].any() and x[:, 14 - 7:, 1:3].all(axis=(0, 1)).any()
    alone = series_bundle(promo_series(), cfg(covariates="none"), 0, {}, "t")
    assert alone.preprocessor.features == [] and alone.schema.input_shape == (14, 1)
    named = series_bundle(promo_series(), cfg(features=["price"]), 0, {}, "t")
    assert named.preprocessor.features == ["price"]


def test_future_covariates_ride_on_the_windows_last_rows():
    df = promo_series()
    b = series_bundle(df, cfg(future_covariates=["promo"], covariates="none"), 0, {}, "t")
    assert b.schema.input_shape == (14, 2 + 1) and b.schema.future_channels == 1
    assert b.schema.future_features == ["promo"]
    x, starts = b.test.inputs[0].numpy(), b.info["series"]["starts"]["test"]
    pre = b.preprocessor
    scaled = (df["promo"].to_numpy() - pre.means_[1]) / pre.stds_[1]
    for k in range(3):                # row W - H + k holds promo at forecast step k
        np.testing.assert_allclose(x[:, 14 - 3 + k, 2], scaled[starts + k], rtol=1e-5)
    assert not x[:, :14 - 3, 2].any()
    np.testing.assert_allclose(x[:, -1, 1], scaled[starts - 1], rtol=1e-5)   # its past too


def test_pack_future_places_step_k_on_row_w_minus_h_plus_k():
    ahead = np.arange(10, dtype=np.float32)[:, None]
    out = pack_future(np.zeros((2, 5, 1), np.float32), ahead, np.array([3, 6]), 2)
    assert out.shape == (2, 5, 2)
    assert out[:, :, 1].tolist() == [[0, 0, 0, 3, 4], [0, 0, 0, 6, 7]]


@pytest.mark.parametrize("freq,n", [("MS", 6), ("QS", 3), ("D", 10), ("30min", 12),
                                    ("YS", 0)])
def test_calendar_features_by_frequency(freq, n):
    names, values = calendar_features(pd.date_range("2020-01-01", periods=40, freq=freq), freq)
    assert values.shape == (40, n) and len(names) == n
    assert np.abs(values).max(initial=0) <= 1 + 1e-12


def test_calendar_features_are_future_channels():
    b = series_bundle(promo_series(), cfg(calendar=True, covariates="none"), 0, {}, "t")
    assert b.schema.future_channels == 10          # day of week (6) and day of year (4)
    assert any("Calendar features" in n and "day of week" in n for n in b.info["notices"])


@pytest.mark.parametrize("kw,needle", [
    ({"future_covariates": ["promoo"]}, "Did you mean 'promo'"),
    ({"future_covariates": ["y"]}, "is the target"),
    ({"future_covariates": ["note"]}, "must be numeric"),
    ({"features": ["nope"]}, "'nope' is not in"),
])
def test_bad_covariates_give_one_line(cli, kw, needle):
    promo_series(n=60).to_csv("s.csv", index=False)
    args = []
    for key, value in kw.items():
        args += ["--set", f"data.{key}=[{','.join(value)}]"]
    code, _, err = cli("train", "--data", "s.csv", "--time-col", "date", "--target", "y",
                       "--window", "5", "--horizon", "2", *args, *FAST)
    assert_user_error(code, err, needle)


def test_a_window_shorter_than_the_horizon_stops_with_future_covariates():
    with pytest.raises(DataError, match="--window 2 is shorter than the horizon 3"):
        series_bundle(promo_series(), DataConfig(time_col="date", target="y", window=2,
                                                 horizon=3, future_covariates=["promo"]),
                      0, {}, "t")


def _network_mase(data_cfg: DataConfig) -> float:
    """The network's test MASE (no references: only the network is compared)."""
    from hakseup.config import RunConfig
    from hakseup.evaluation.forecast import _network
    from hakseup.experiment.experiment import Experiment
    from hakseup.metrics import mase

    run = RunConfig.from_dict({"data": {}, "train": {
        "epochs": 30, "progress": False, "tensorboard": False, "seed": 0, "threads": 1}})
    run = run.__class__(**{**run.__dict__, "data": data_cfg})
    with Experiment(run) as exp:
        exp.setup()
        exp.fit()
        s = exp.bundle_.info["series"]
        _, pred, actual = _network(exp.model_, exp.bundle_, "test")
        return mase(actual, pred, s["y"][:s["train_end"]], 1)


def test_a_future_covariate_the_target_depends_on_is_learned(tmp_path):
    promo_series(n=200).to_csv(tmp_path / "s.csv", index=False)
    base = {"path": str(tmp_path / "s.csv"), "time_col": "date", "target": "y", "horizon": 3,
            "covariates": "none"}
    without = _network_mase(DataConfig(**base))
    with_promo = _network_mase(DataConfig(**base, future_covariates=["promo"]))
    assert with_promo < 0.6 * without, (with_promo, without)
