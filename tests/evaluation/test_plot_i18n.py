"""The run folder's figures in the language chosen: every title, axis label and legend entry
of the forecast, residual, future, panel, confusion-matrix, misclassified-image, tuning and
LR-finder plots comes from the catalogs (``plot.*``), read from the figures themselves."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from hakseup.evaluation import plots
from hakseup.i18n import catalog, set_language, t


@pytest.fixture
def drawn(monkeypatch):
    """The figures saved while the test runs (each still open to read its texts)."""
    figures = []
    real = plots._draw

    def keep(fig, buf):
        figures.append(fig)
        real(fig, buf)

    monkeypatch.setattr(plots, "_draw", keep)
    return figures


def _texts(fig) -> list[str]:
    """Every title, axis label, legend entry and text of a figure."""
    out = [fig._suptitle.get_text()] if fig._suptitle else []
    for ax in fig.axes:
        out += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        out += [x.get_text() for x in ax.texts]
        if ax.get_legend():
            out += [x.get_text() for x in ax.get_legend().get_texts()]
    return [x for x in out if x]


def _draw_all(tmp_path) -> list:
    """Each figure a run can write, on small made-up data."""
    from hakseup.evaluation.forecast_plot import plot_future
    from hakseup.evaluation.image_report import plot_misclassified
    from hakseup.evaluation.panel_plots import plot_panel

    times = pd.date_range("2024-01-01", periods=40, freq="D")
    y = np.linspace(10, 20, 40)
    starts = {"train": np.arange(5, 25), "val": np.arange(25, 32), "test": np.arange(32, 40)}
    preds = {k: y[v, None] + 0.5 for k, v in starts.items()}
    plots.plot_forecast(times, y, starts, preds, 25, tmp_path / "f.png", "매출",
                        baselines={"naive": y[starts["test"], None]}, bands={0.8: 1.0})
    plots.plot_residuals(times[32:], np.ones(8), tmp_path / "r.png", "매출")
    future = pd.DataFrame({"date": pd.date_range("2024-02-10", periods=3, freq="D"),
                           "predicted_매출": [20.0, 21.0, 22.0], "lower_80": [19.0] * 3,
                           "upper_80": [23.0] * 3})
    plot_future(times, y, future, "매출", tmp_path / "u.png")
    series = [{"id": "a", "times": times, "y": y, "forecast": y[-5:], "reference": y[-5:],
               "mase": 1.0}]
    plot_panel(series, tmp_path / "p.png", "매출", "AutoETS")
    plots.plot_confusion_matrix([[3, 1], [0, 4]], ["n", "p"], tmp_path / "c.png")
    plots.plot_loss([{"epoch": 1, "train_loss": 1.0, "val_loss": 1.1}], tmp_path / "l.png")
    plot_misclassified(torch.rand(2, 1, 8, 8), ["1", "2"], ["7", "3"], [0.9, 0.8],
                       tmp_path / "m.png")


def test_every_run_figure_is_korean(tmp_path, drawn):
    set_language("ko")
    _draw_all(tmp_path)
    texts = [x for fig in drawn for x in _texts(fig)]
    english = {v.split("{")[0].strip() for k, v in catalog("en").items()
               if k.startswith("plot.") and len(v.split("{")[0].strip()) > 3}
    left = [x for x in texts if any(x.startswith(e) for e in english)]
    assert not left, left                              # no English plot text left
    forecast, residuals, future, panel, counts = (_texts(f) for f in drawn[:5])
    assert t("plot.forecast_title_units", target="매출") == forecast[0]
    assert {t("plot.actual"), t("plot.forecast_test"), t("plot.test_begins"),
            t("plot.val_begins"), t("plot.interval", level="80%")} <= set(forecast)
    assert residuals[:2] == [t("plot.residuals_title", target="매출"), t("plot.distribution")]
    assert t("plot.future_title", target="매출") in future and t("plot.series_end") in future
    assert panel[0] == t("plot.panel_title", target="매출")
    assert counts[:3] == [t("plot.cm_counts_title"), t("plot.predicted"), t("plot.true")]
    misclassified = _texts(drawn[-1])
    assert misclassified[0] == t("plot.misclassified_title")
    assert t("plot.misclassified_cell", true="1", pred="7", conf=0.9) in misclassified


def test_the_same_figures_in_english(tmp_path, drawn):
    _draw_all(tmp_path)
    forecast = _texts(drawn[0])
    assert forecast[0] == "매출: forecast vs actual (original units)"
    assert {"actual", "forecast (test)", "train/test boundary", "80% interval"} <= set(forecast)
    assert _texts(drawn[4])[0] == "Confusion matrix (test)"


def test_the_tuning_and_lr_finder_plots_are_korean(tmp_path, drawn):
    from types import SimpleNamespace

    from hakseup.cli.lr_find import _plot
    from hakseup.experiment.tuning import _plot_history

    set_language("ko")
    study = SimpleNamespace(trials=[SimpleNamespace(number=i, value=1.0 / (i + 1))
                                    for i in range(4)])
    _plot_history(tmp_path, study)
    lrs = list(np.logspace(-4, -1, 10))
    _plot([(lrs, list(np.linspace(2, 1, 10)), 1e-2)], 7, tmp_path / "lr.png")
    tuning, lr = (_texts(f) for f in drawn)
    assert tuning[:3] == [t("plot.tune_title"), t("plot.trial"), t("plot.val_loss")]
    assert {t("plot.trial_value"), t("plot.best_so_far")} <= set(tuning)
    assert lr[:3] == [t("plot.lr_title"), t("plot.lr"), t("plot.lr_loss")]
    assert t("plot.seed", seed=7) in lr and lr[0] == "학습률 범위 테스트 (점선: 제안값)"
