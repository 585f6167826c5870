"""A run's notebook view in the language chosen: ``RunResult._repr_html_``'s labels and
``RunResult.plot()``'s titles, axis labels and legends come from the catalogs (Korean with
``set_language("ko")``), and the references the summary names are explained under it."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import hakseup
from hakseup.data.bundle import Schema
from hakseup.i18n import catalog, set_language, t
from hakseup.run.result import RunResult

HANGUL = re.compile("[\uac00-\ud7a3]")
LOGS = [{"epoch": e, "train_loss": 1 / e, "val_loss": 1.2 / e, "val_accuracy": 0.5 + e / 10}
        for e in (1, 2, 3)]


def _result() -> RunResult:
    return RunResult(
        Path("runs/x"), {"accuracy": 0.9}, "majority class", {"accuracy": 0.1}, logs=list(LOGS),
        schema=Schema("multiclass", "table", (4,), 3), model=torch.nn.Linear(4, 3),
        references={"metrics": {"majority": {"accuracy": 0.1}, "hgb": {"accuracy": 0.95}},
                    "verdict": "a verdict"},
        diagnosis=["a diagnosis"], notices=["a decision"])


def _labels(page: str) -> list[str]:
    """The table's row names, its caption and the folded sections' titles."""
    return re.findall(r"<(?:th|caption|summary)[^>]*>([^<]*)<", page)


def test_the_notebook_summary_is_korean():
    set_language("ko")
    page = _result()._repr_html_()
    labels = _labels(page)
    ko = catalog("ko")
    expected = [ko["result.title"], ko["result.task"], ko["result.model"],
                ko["result.metric"].format(key="accuracy"),
                ko["result.baseline"].format(name="majority class"), "hgb",
                ko["result.verdict"], ko["result.epochs"], ko["result.checkpoint"],
                ko["result.run_folder"], ko["result.says"].format(n=1),
                ko["result.decided"].format(n=1)]
    assert labels == expected
    assert ko["result.parameters"].format(n=15) in page          # "파라미터 15개"
    for label in labels:
        if label != "hgb":
            assert HANGUL.search(label), label
    for english in ("hakseup run<", "run folder", "What the run says", "weights", "parameters"):
        assert english not in page, english


def test_the_notebook_summary_in_english_and_its_legend():
    page = _result()._repr_html_()
    labels = _labels(page)
    assert labels[0] == "hakseup run" and "run folder" in labels and "weights" in labels
    assert "What the run says (1)" in labels and not any(HANGUL.search(x) for x in labels)
    assert "hgb: histogram gradient-boosted trees (scikit-learn&#x27;s HistGradientBoosting)" in page
    set_language("ko")
    assert "HistGradientBoosting" in _result()._repr_html_()


def _texts(ax) -> dict:
    legend = ax.get_legend()
    return {"title": ax.get_title(), "x": ax.get_xlabel(), "y": ax.get_ylabel(),
            "legend": [x.get_text() for x in legend.get_texts()] if legend else []}


def test_the_curves_plot_is_korean():
    set_language("ko")
    fig = _result().plot()
    loss, metric = (_texts(ax) for ax in fig.axes)
    assert loss == {"title": t("plot.loss_title"), "x": t("plot.epoch"), "y": t("plot.loss"),
                    "legend": [t("plot.train_loss"), t("plot.val_loss")]}
    assert metric["title"] == t("plot.metric_title", name="val_accuracy")
    assert metric["x"] == "에포크" and loss["title"] == "학습 곡선"


@pytest.fixture
def prices(tmp_path):
    rng = np.random.default_rng(0)
    n = 80
    df = pd.DataFrame({"Date": pd.date_range("2021-01-01", periods=n, freq="D"),
                       "Close": 100 + np.cumsum(rng.normal(0, 2, n))})
    path = tmp_path / "p.csv"
    df.to_csv(path, index=False)
    return str(path)


def test_a_forecasts_plot_is_korean(prices):
    result = hakseup.fit(prices, "Close", time_col="Date", model="mlp", epochs=2, horizon=1,
                         progress=False, tensorboard=False, references="none")
    set_language("ko")
    fig = result.plot()
    series, loss = (_texts(ax) for ax in fig.axes)
    assert series["title"] == "Close: 예측과 실제값" == t("plot.forecast_title", target="Close")
    assert series["legend"][:2] == [t("plot.actual"), t("plot.forecast_train")]
    assert t("plot.forecast_test") in series["legend"]
    assert loss["x"] == t("plot.epoch") and loss["y"] == t("plot.loss")
    set_language("en")
    fig = result.plot()
    assert fig.axes[0].get_title() == "Close: forecast vs actual"
