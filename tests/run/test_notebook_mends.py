"""What a notebook shows, mended: hakseup's own warnings as one line (no package path, no
source line), a forecast's ``plot()`` drawing the forecast, and ``val_mae`` in the target's
units (as the final MAE is)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import hakseup
from hakseup.errors import HakseupWarning


def test_hakseup_warnings_are_one_line_and_others_keep_pythons_format():
    text = warnings.formatwarning("2 rows had an unseen level", HakseupWarning,
                                  "/site-packages/hakseup/models/forward.py", 87)
    assert text == "hakseup: warning: 2 rows had an unseen level\n"
    other = warnings.formatwarning("x", UserWarning, "/a/b.py", 3)
    assert other.startswith("/a/b.py:3: UserWarning: x")


def test_unseen_categories_warn_with_the_librarys_warning(tmp_path):
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"c": rng.choice(["a", "b"], 200), "x": rng.normal(size=200)})
    df["y"] = np.where((df.c == "a") ^ (df.x > 0), "p", "n")
    result = hakseup.fit(df, "y", epochs=2, progress=False, tensorboard=False,
                         references="none")
    with pytest.warns(HakseupWarning, match="never seen in training"):
        result.predict(pd.DataFrame({"c": ["zzz", "a"], "x": [0.1, 0.2]}))


@pytest.fixture
def prices(tmp_path):
    rng = np.random.default_rng(0)
    n = 220
    df = pd.DataFrame({"Date": pd.bdate_range("2020-01-01", periods=n),
                       "Close": 100 + np.cumsum(rng.normal(0, 2, n))})
    path = tmp_path / "p.csv"
    df.to_csv(path, index=False)
    return str(path)


def test_forecast_plot_draws_the_forecast_and_val_mae_is_in_the_targets_units(prices):
    from hakseup.evaluation.forecast import forecast_predictions

    result = hakseup.fit(prices, "Close", time_col="Date", model="mlp", epochs=3, horizon=1,
                         progress=False, tensorboard=False, references="none")
    fig = result.plot()
    assert "forecast vs actual" in fig.axes[0].get_title()
    labels = [ln.get_label() for ln in fig.axes[0].lines]
    assert "actual" in labels and "forecast (test)" in labels
    history = result.history
    best = history.loc[history["val_loss"].idxmin()]
    _, pred, actual, _ = forecast_predictions(result.model, result.bundle, "val")
    assert best["val_mae"] == pytest.approx(np.abs(actual[:, 0] - pred[:, 0]).mean(), rel=1e-4)
