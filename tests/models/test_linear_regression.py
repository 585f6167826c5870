"""``--model linear`` on a clean linear CSV: the default run fits (closed-form start), prints
its equation in the data's units — the one ``predict`` applies — and no leak warning is
raised for the lone feature."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import hakseup
from hakseup.predict import predict_frame


@pytest.fixture
def line_csv(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.uniform(-5, 5, 400)
    path = tmp_path / "line.csv"
    pd.DataFrame({"x": x, "y": 3 * x - 2 + rng.normal(0, 0.5, 400)}).to_csv(path, index=False)
    return path


def test_default_linear_run_fits_and_prints_the_equation_predict_applies(line_csv, cli):
    result = hakseup.fit(str(line_csv), "y", model="linear", progress=False,
                         tensorboard=False, references="none")
    assert result.metrics["r2"] >= 0.99
    line = next(s for s in result.summary if s.startswith("Learned"))
    a, sign, b = re.search(r"y = ([-\d.]+)·x ([+-]) ([\d.]+)", line).groups()
    a, b = float(a), float(b) * (1 if sign == "+" else -1)
    assert a == pytest.approx(3, abs=0.05) and b == pytest.approx(-2, abs=0.15)
    new = pd.DataFrame({"x": [-4.0, 0.0, 2.5]})
    pred = predict_frame(result.run_dir, new)["predicted_y"].to_numpy()
    np.testing.assert_allclose(pred, a * new["x"].to_numpy() + b, rtol=2e-3, atol=2e-3)
    assert not any("leak" in n.lower() for n in result.notices)
    new.to_csv("x_only.csv", index=False)              # a lone feature, no target: predictable
    code, _, err = cli("predict", result.run_dir, "--data", "x_only.csv", "--output", "p.csv")
    assert code == 0, err
    np.testing.assert_allclose(pd.read_csv("p.csv")["predicted_y"], pred, rtol=1e-6)
    assert hakseup.load_config(result.run_dir / "config.yaml").data.scaling == "standard"


def test_linear_start_is_least_squares_and_a_scaling_given_is_kept():
    import torch

    from hakseup.config.resolve import with_linear_scaling
    from hakseup.data.bundle import Split
    from hakseup.models.linear import Linear

    x = torch.randn(50, 2)
    y = (x @ torch.tensor([[1.5], [-0.5]]) + 0.25)
    model = Linear(2, 1, regression=True)
    model.fit_features(Split((x,), y))
    assert torch.allclose(model(x), y, atol=1e-5)
    logistic = Linear(2, 2)                       # classes keep their random start
    before = logistic.linear.weight.clone()
    logistic.fit_features(Split((x,), (y[:, 0] > 0).long()))
    assert torch.equal(before, logistic.linear.weight)
    kept = with_linear_scaling({"model": {"name": "linear"}, "data": {"scaling": "robust"}})
    assert kept["data"]["scaling"] == "robust"
    assert "data" not in with_linear_scaling({"model": {"name": "mlp"}})


def test_no_equation_where_the_scaling_bends_the_inputs():
    from hakseup.evaluation.equation import original_units

    class Robust:
        scaling, normalize, log_target, spikes_ = "robust", True, False, {}
        numeric_ = ["x"]

    assert original_units(np.array([1.0]), 0.0, Robust()) is None
