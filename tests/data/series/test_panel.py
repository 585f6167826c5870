"""Many series in one long table (--id-col): per-series splits, scaling and windows, the
errors, and one global forecaster trained, scored per series and predicted past each end."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from conftest import assert_user_error
from hakseup.config import DataConfig
from hakseup.data.series.panel import PanelPreprocessor, panel_bundle
from hakseup.errors import DataError

LENGTHS = {"a": 20, "b": 26, "c": 31, "d": 24, "e": 40}
SCALES = {"a": 1.0, "b": 50.0, "c": 0.01, "d": 1000.0, "e": 7.0}


def _panel(times=1, shuffle=True, factor: dict | None = None) -> pd.DataFrame:
    """Five yearly series of different lengths, levels and scales, in a long table."""
    rng = np.random.default_rng(0)
    rows = []
    for k, (sid, n) in enumerate(LENGTHS.items()):
        trend = np.cumsum(rng.normal(0.5 + 0.2 * k, 1.0, n)) + 20
        y = trend * SCALES[sid] * (factor or {}).get(sid, 1.0)
        rows += [{"series": sid, "year": 2030 - n + i, "value": v, "other": i}
                 for i, v in enumerate(y)]
    df = pd.DataFrame(rows)
    return df.sample(frac=1, random_state=0) if shuffle else df


def _cfg(**kw) -> DataConfig:
    base = dict(dataset=None, path="p.csv", id_col="series", time_col="year", target="value")
    return DataConfig(**{**base, **kw})


def test_every_series_gives_its_last_horizons_to_validation_and_test():
    b = panel_bundle(_panel(), _cfg(), 0, {}, "p.csv")
    h = b.schema.n_outputs
    assert h == 6 and b.schema.n_series == 5 and b.schema.input_shape == (24, 2)
    assert len(b.val) == len(b.test) == 5
    assert any("not used" in n and "other" in n for n in b.info["notices"])
    p = b.info["panel"]
    assert [len(y) for y in p["y"]] == [LENGTHS[s] for s in p["ids"]]
    pre = b.preprocessor
    for k, y in enumerate(p["y"]):               # the test target is each series' last h
        test = b.test.target[b.test.inputs[1] == k].numpy()[0]
        np.testing.assert_allclose(pre.inverse(k, test), y[-h:], rtol=1e-5)
        val = b.val.target[b.val.inputs[1] == k].numpy()[0]
        np.testing.assert_allclose(pre.inverse(k, val), y[-2 * h:-h], rtol=1e-5)


def test_training_windows_stay_inside_their_own_series_training_part():
    b = panel_bundle(_panel(), _cfg(window=8), 0, {}, "p.csv")
    p, pre, h = b.info["panel"], b.preprocessor, 6
    X, ids = b.train.inputs
    Y = b.train.target.numpy()
    for j in range(len(Y)):
        k = int(ids[j])
        y = p["y"][k]
        train = y[:len(y) - 2 * h]
        target = pre.inverse(k, Y[j])
        # the target is a run of h consecutive values of the series' own training part
        starts = [s for s in range(len(train) - h + 1) if np.allclose(train[s:s + h], target)]
        assert starts, (k, target)
        real = X[j, :, 1].numpy() == 1
        inputs = pre.inverse(k, X[j, real, 0].numpy())
        np.testing.assert_allclose(inputs, train[max(0, starts[0] - 8):starts[0]], rtol=1e-5)


def test_each_series_is_scaled_by_its_own_training_part():
    big = panel_bundle(_panel(factor={"d": 1000.0}), _cfg(), 0, {}, "p.csv")
    base = panel_bundle(_panel(), _cfg(), 0, {}, "p.csv")
    k = base.info["panel"]["ids"].index("d")
    assert big.preprocessor.scales[k] == pytest.approx(1000 * base.preprocessor.scales[k])
    assert big.preprocessor.centers[k] == pytest.approx(1000 * base.preprocessor.centers[k])
    # ... so the windows the network reads are the same
    np.testing.assert_allclose(big.train.inputs[0].numpy(), base.train.inputs[0].numpy(),
                               atol=1e-4)
    y = base.info["panel"]["y"][k]
    centre, scale = PanelPreprocessor.statistics(y[:len(y) - 12], "mase")
    assert scale == pytest.approx(np.mean(np.abs(np.diff(y[:len(y) - 12]))))


def test_a_missing_id_column_is_one_line_naming_the_columns():
    with pytest.raises(DataError, match=r"id column 'serie' .*Did you mean 'series'.*year"):
        panel_bundle(_panel(), _cfg(id_col="serie"), 0, {}, "p.csv")


def test_a_repeated_series_and_time_is_an_error_naming_it():
    df = _panel(shuffle=False)
    df = pd.concat([df, df.iloc[[3]]])
    with pytest.raises(DataError, match=r"1 \(id, time\) pair.*series a at 2013"):
        panel_bundle(df, _cfg(), 0, {}, "p.csv")


def test_short_series_are_left_out_by_name_and_all_short_is_an_error():
    df = pd.concat([_panel(), pd.DataFrame({"series": "tiny", "year": range(2000, 2007),
                                            "value": np.arange(7.0), "other": 0})])
    b = panel_bundle(df, _cfg(), 0, {}, "p.csv")
    assert b.schema.n_series == 5 and b.info["panel"]["left_out"] == ["tiny"]
    assert any("tiny (7)" in n and "fewer than 15 points" in n for n in b.info["notices"])
    with pytest.raises(DataError, match=r"shortest tiny has 7"):
        panel_bundle(df[df.series == "tiny"], _cfg(), 0, {}, "p.csv")


def _write(tmp_path, df=None):
    path = tmp_path / "panel.csv"
    (df if df is not None else _panel()).to_csv(path, index=False)
    return path


PANEL_FLAGS = ["--id-col", "series", "--time-col", "year", "--target", "value",
               "--epochs", "3", "--no-progress", "--no-tensorboard", "--threads", "1",
               "--set", "output.plots=false"]


@pytest.mark.slow
def test_a_panel_trains_scores_each_series_and_predicts_past_every_end(cli, tmp_path):
    code, out, err = cli("train", "--data", _write(tmp_path), *PANEL_FLAGS, "--interval", "0.8",
                         "--output", "run")
    assert code == 0, err
    m = json.loads((tmp_path / "run" / "metrics.json").read_text())["metrics"]
    assert [r["id"] for r in m["per_series"]] == ["a", "b", "c", "d", "e"]
    assert m["mase"] == pytest.approx(np.mean([r["mase"] for r in m["per_series"]]))
    assert m["worst_series"]["id"] == max(m["per_series"], key=lambda r: r["mase"])["id"]
    assert {"AutoETS", "AutoTheta", "AutoARIMA", "naive", "statistical ensemble"} <= set(
        m["baselines"])
    assert m["forecast_rule"]["reason"] == "validation" and "0.8" in m["intervals"]
    report = (tmp_path / "run" / "report.md").read_text()
    assert "The worst series is" in report and "| e | 40 |" in report
    code, out, err = cli("predict", "run", "--output", "all.csv")
    assert code == 0, err
    fc = pd.read_csv(tmp_path / "all.csv")
    assert list(fc.columns) == ["series", "year", "forecast", "lower_80", "upper_80"]
    assert len(fc) == 5 * 6 and fc.groupby("series").year.min().to_dict() == {
        s: 2030 for s in LENGTHS}
    assert (fc.lower_80 <= fc.forecast).all() and (fc.forecast <= fc.upper_80).all()
    code, out, err = cli("predict", "run", "--series", "d", "--output", "d.csv")
    assert code == 0, err
    one = pd.read_csv(tmp_path / "d.csv")
    np.testing.assert_allclose(one.forecast, fc[fc.series == "d"].forecast, rtol=1e-6)
    code, out, err = cli("predict", "run", "--series", "x", "--output", "x.csv")
    assert_user_error(code, err, "series 'x' is not in the data", "a, b, c, d, e")
    # a series the run never saw is forecast from its own history (scaled by itself)
    new = pd.concat([_panel(), pd.DataFrame({"series": "new", "year": range(2010, 2020),
                                             "value": np.linspace(5e6, 6e6, 10), "other": 0})])
    new.to_csv(tmp_path / "more.csv", index=False)
    code, out, err = cli("predict", "run", "--data", "more.csv", "--series", "new",
                         "--output", "new.csv")
    assert code == 0, err
    fresh = pd.read_csv(tmp_path / "new.csv")
    assert fresh.year.tolist() == list(range(2020, 2026))
    assert fresh.forecast.between(4e6, 8e6).all()


def test_cli_errors_of_a_panel_are_one_line(cli, tmp_path):
    code, out, err = cli("train", "--data", _write(tmp_path), *PANEL_FLAGS[2:],
                         "--id-col", "nope")
    assert_user_error(code, err, "id column 'nope'", "series, year, value")
    df = _panel(shuffle=False)
    code, out, err = cli("train", "--data", _write(tmp_path, pd.concat([df, df.iloc[:2]])),
                         *PANEL_FLAGS)
    assert_user_error(code, err, "(id, time) pair", "series a at 2010")
    code, out, err = cli("cv", "--data", _write(tmp_path), *PANEL_FLAGS)
    assert_user_error(code, err, "cross-validation of a panel")


def test_a_series_times_1000_gets_the_same_network_forecasts_times_1000():
    from hakseup.config import RunConfig
    from hakseup.evaluation.forecast_panel import panel_network
    from hakseup.experiment.experiment import Experiment

    outs = []
    for factor in (1.0, 1000.0):
        _panel(factor={"d": factor}).to_csv("p.csv", index=False)
        cfg = RunConfig.from_dict({"data": {"path": "p.csv", "id_col": "series",
                                            "time_col": "year", "target": "value"},
                                   "train": {"epochs": 3, "progress": False, "threads": 1,
                                             "seed": 3}})
        with Experiment(cfg).setup() as exp:
            exp.fit()
            outs.append((panel_network(exp.model_, exp.bundle_, "test"),
                         exp.bundle_.info["panel"]["ids"].index("d")))
    (base, k), (big, _) = outs
    np.testing.assert_allclose(big[k], 1000 * base[k], rtol=1e-3)
    others = [i for i in range(5) if i != k]
    np.testing.assert_allclose(big[others], base[others], rtol=1e-3)


def test_the_id_embedding_adds_an_offset_only_to_series_the_model_knows():
    import torch

    from hakseup.models.forecast import NBeats
    from hakseup.models.forecast_panel import PanelForecaster

    m = PanelForecaster(NBeats(8, 2, 3), n_series=4, embedding=2, horizon=3)
    x = torch.randn(3, 8, 2)
    base = m.base(x)
    torch.testing.assert_close(m(x, torch.tensor([0, 1, -1])), base)   # starts at zero
    with torch.no_grad():
        m.head.bias.fill_(1.0)
    out = m(x, torch.tensor([0, 3, -1]))
    torch.testing.assert_close(out[:2], base[:2] + 1)
    torch.testing.assert_close(out[2], base[2])           # an unknown series: no offset


def test_the_panel_figure_draws_the_worst_series_first(tmp_path):
    from types import SimpleNamespace

    from hakseup.evaluation.panel_plots import panel_figure_series, plot_panel

    b = panel_bundle(_panel(), _cfg(), 0, {}, "p.csv")
    ids = b.info["panel"]["ids"]
    metrics = {"per_series": [{"id": s, "mase": m} for s, m in zip(ids, [1, 5, 2, 0.5, 3])]}
    fc = np.stack([y[-6:] for y in b.info["panel"]["y"]])
    series = panel_figure_series(metrics, SimpleNamespace(info=b.info), fc, fc)
    assert [s["id"] for s in series] == [ids[1], ids[4], ids[2], ids[0], ids[3]]
    out = plot_panel(series, tmp_path / "forecast.png", "value", "AutoARIMA")
    assert out.stat().st_size > 1000
