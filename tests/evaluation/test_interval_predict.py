"""``hakseup predict`` on a series run: the steps past the end, future covariates asked for in
one line, and the conformal interval columns."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import assert_user_error
from hakseup.evaluation.forecast_intervals import interval_columns, interval_scores


def promo_frames(n=120, ahead=3, seed=0):
    """(history with y and promo, the next ``ahead`` days with promo only)."""
    rng = np.random.default_rng(seed)
    promo = (rng.random(n + ahead) < 0.3).astype(float)
    times = pd.date_range("2021-01-01", periods=n + ahead, freq="D")
    history = pd.DataFrame({"date": times[:n], "y": 10 + 3 * promo[:n]
                            + rng.normal(0, 0.3, n), "promo": promo[:n]})
    return history, pd.DataFrame({"date": times[n:], "promo": promo[n:]})


@pytest.fixture(scope="module")
def promo_run(tmp_path_factory):
    """One short run shared by the tests (they only read it), trained in process; the
    statistical references are left out (the rule is then the network's, its validation
    residuals give the intervals): these tests are about predict, not the references."""
    from hakseup.config import RunConfig
    from hakseup.evaluation import forecast
    from hakseup.experiment.experiment import train

    folder = tmp_path_factory.mktemp("promo")
    history, _ = promo_frames()
    history.to_csv(folder / "s.csv", index=False)
    cfg = RunConfig.from_dict({
        "data": {"path": str(folder / "s.csv"), "time_col": "date", "target": "y",
                 "window": 6, "horizon": 3, "future_covariates": ["promo"],
                 "interval": [0.8, 0.95]},
        "train": {"epochs": 2, "progress": False, "tensorboard": False},
        "output": {"dir": str(folder / "r"), "plots": False},
        "evaluation": {"references": "none"}})
    with pytest.MonkeyPatch.context() as m:
        m.setattr(forecast, "_classical", lambda bundle, split: {})
        train(cfg, echo=lambda *a, **k: None)
    return folder / "r"


@pytest.fixture
def future_csv():
    promo_frames()[1].to_csv("future.csv", index=False)


def test_predict_writes_steps_past_the_end_with_ordered_intervals(cli, promo_run, future_csv):
    code, _, err = cli("predict", str(promo_run), "--data", "future.csv", "--output", "p.csv",
                       "--plot", "p.png")
    assert code == 0, err
    assert Path("p.png").stat().st_size > 10_000              # the forecast and its bands
    p = pd.read_csv("p.csv")
    assert list(p.columns) == ["date", "step", "predicted_y", "lower_80", "upper_80",
                               "lower_95", "upper_95"]
    assert p["date"].tolist() == ["2021-05-01", "2021-05-02", "2021-05-03"]
    assert p["step"].tolist() == [1, 2, 3]
    assert (p["lower_80"] <= p["predicted_y"]).all() and (p["predicted_y"] <= p["upper_80"]).all()
    assert (p["lower_95"] <= p["lower_80"]).all() and (p["upper_80"] <= p["upper_95"]).all()
    assert ((p["upper_95"] - p["lower_95"]) > (p["upper_80"] - p["lower_80"])).all()
    saved = json.loads((promo_run / "metrics.json").read_text())["metrics"]["intervals"]
    np.testing.assert_allclose(p["upper_95"] - p["predicted_y"], saved["0.95"]["half_width"])


def test_predict_from_the_series_itself_reads_its_newest_values(cli, promo_run):
    """--data holding the series (target values) and the future rows: the forecast starts
    after its last target value."""
    history, later = promo_frames()
    pd.concat([history, later]).to_csv("all.csv", index=False)
    code, _, err = cli("predict", str(promo_run), "--data", "all.csv", "--output", "p.csv")
    assert code == 0, err
    assert pd.read_csv("p.csv")["date"].iloc[0] == "2021-05-01"


def test_predict_says_in_one_line_which_future_values_are_missing(cli, promo_run):
    _, later = promo_frames()
    later.head(1).to_csv("short.csv", index=False)
    code, _, err = cli("predict", str(promo_run), "--data", "short.csv", "--output", "p.csv")
    assert_user_error(code, err, "promo", "2 of its 3 steps", "2021-05-02, 2021-05-03")
    assert not Path("p.csv").exists()


def test_interval_columns_and_scores():
    cols = interval_columns(np.array([1.0, 2.0]), {"0.8": [0.5, 1.0], "0.95": [1.0, 2.0]})
    assert cols["lower_80"].tolist() == [0.5, 1.0] and cols["upper_95"].tolist() == [2.0, 4.0]
    actual = np.array([[1.0, 2.0], [3.0, 2.0]])
    pred = np.array([[1.0, 2.0], [1.0, 2.0]])
    scores = interval_scores(actual, pred, {0.8: np.array([1.0, 1.0])}, 1.0)["0.8"]
    assert scores["coverage"] == 0.75 and scores["half_width"] == [1.0, 1.0]
    # the interval score: width 2, plus 2/alpha times the miss (1) for the one outside
    assert scores["msis"] == pytest.approx(2 + 2 / 0.2 * 1 / 4)


def test_plot_is_checked_like_an_output_before_any_work(cli, promo_run, future_csv, tmp_path):
    """``--plot`` is a second output: a run's own file, a suffix other than .png, the
    ``--output`` itself are refused in one line, and nothing is written."""
    run_json = promo_run / "run.json"
    before = run_json.read_bytes()
    for plot, needle in ((run_json, "--plot"), ("p.jpg", "--plot"), ("p.csv", "--plot")):
        code, _, err = cli("predict", str(promo_run), "--data", "future.csv", "--output",
                           "p.csv", "--plot", str(plot))
        assert_user_error(code, err, needle)
    assert run_json.read_bytes() == before and not Path("p.csv").exists()


def test_plot_on_a_run_that_is_not_a_series_is_refused(cli, tmp_path):
    table = tmp_path / "t.csv"
    rng = np.random.default_rng(0)
    pd.DataFrame({"a": rng.normal(size=40), "y": rng.normal(size=40)}).to_csv(table, index=False)
    code, _, err = cli("train", "--data", table, "--target", "y", "--epochs", "1", "--quiet",
                       "--references", "none", "--output", tmp_path / "run")
    assert code == 0, err
    code, _, err = cli("predict", tmp_path / "run", "--data", table, "--output", "p.csv",
                       "--plot", "p.png")
    assert_user_error(code, err, "--plot")
    assert not Path("p.csv").exists() and not Path("p.png").exists()
