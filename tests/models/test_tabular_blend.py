"""The tabular regression network's ridge blend (``model.ridge_blend``): solved after training,
weighed on the validation rows, saved with the weights, off for classification."""

import json

import numpy as np
import pandas as pd
import pytest
import torch

from conftest import FAST
from hakseup.data.bundle import Split
from hakseup.models.tabular import TabularNet
from hakseup.models.tabular_blend import fit_ridge_blend


class _Bundle:
    def __init__(self, train, val):
        self.train, self.val = train, val


def _data(n=300, linear=True, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 3, generator=g)
    c = torch.randint(0, 4, (n, 1), generator=g)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5]]) + (c == 2).float()
    if not linear:                                 # what no linear model gets: x0²
        y = 2 * x[:, :1] ** 2 - 2
    return x, c, y


def _bundle(x, c, y, n_train=200):
    return _Bundle(Split((x[:n_train], c[:n_train]), y[:n_train]),
                   Split((x[n_train:], c[n_train:]), y[n_train:]))


def _net(**kw):
    torch.manual_seed(0)
    return TabularNet(3, [4], [16], 1, classification=False, ridge_blend=True, **kw).eval()


def test_a_linear_target_takes_the_ridge_and_predicts_it():
    x, c, y = _data()
    net = _net()
    info = fit_ridge_blend(net, _bundle(x, c, y))
    assert info["weight"] == 1.0 and info["alpha"] > 0
    with torch.no_grad():
        pred = net(x[200:], c[200:])
    assert float(((pred - y[200:]) ** 2).mean()) < 0.01


def test_a_target_the_ridge_misses_keeps_the_network():
    x, c, y = _data(linear=False)
    net = _net()
    # A network that predicts the truth (its forward replaced): the ridge gets no share.
    net._forward = lambda xn, xc: y[:200] if len(xn) == 200 else y[200:]
    info = fit_ridge_blend(net, _bundle(x, c, y))
    assert info["weight"] == 0.0
    assert info["val_mse"][0.0] < info["val_mse"][0.5] < info["val_mse"][1.0]


def test_nothing_to_blend_without_validation_rows_or_for_classification():
    x, c, y = _data()
    net = _net()
    assert fit_ridge_blend(net, _bundle(x, c, y, n_train=300)) is None
    assert float(net.ridge_weight) == 0.0
    clf = TabularNet(3, [4], [16], 2, classification=True, ridge_blend=True)
    assert not clf.ridge_blend and "ridge_weight" not in clf.state_dict()
    assert fit_ridge_blend(clf, _bundle(x, c, torch.zeros(300, dtype=torch.long))) is None
    plain = TabularNet(3, [4], [16], 1, classification=False)
    assert "ridge_coef" not in plain.state_dict()    # older runs' weights load unchanged


def test_the_blend_is_in_the_weights_and_training_mode_ignores_it():
    x, c, y = _data()
    net = _net(dropout=0.0, batch_norm=False)
    fit_ridge_blend(net, _bundle(x, c, y))
    copy = _net(dropout=0.0, batch_norm=False)
    copy.load_state_dict(net.state_dict())
    with torch.no_grad():
        blended = net(x, c)
        assert torch.equal(copy(x, c), blended)
        net.train()                      # training fits the network alone
        alone = net(x, c)
        net.eval().ridge_weight.zero_()
        assert torch.allclose(alone, net(x, c)) and not torch.allclose(alone, blended)


def _table(n=240, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=n), rng.normal(size=n)
    g = rng.choice(["p", "q", "r"], n)
    y = 3 * a - 2 * b + (g == "p") * 1.5 + 50 + rng.normal(scale=0.1, size=n)
    return pd.DataFrame({"a": a, "b": b, "g": g, "y": y})


@pytest.fixture
def _no_peers(monkeypatch):
    monkeypatch.setattr("hakseup.evaluation.references.peer_models",
                        lambda *args, **kwargs: ({}, []))


@pytest.mark.slow
def test_a_csv_regression_run_saves_the_blend_that_evaluate_reads(tmp_path, cli, _no_peers):
    from hakseup.predict import evaluate_run
    from hakseup.training.checkpoint import load_weights

    _table().to_csv(tmp_path / "t.csv", index=False)
    code, _, err = cli("train", "--data", tmp_path / "t.csv", "--target", "y", *FAST,
                       "--output", tmp_path / "r")
    assert code == 0, err
    weights = load_weights(tmp_path / "r" / "checkpoints" / "best")
    # Two epochs leave the network far from a linear target: the ridge takes (almost) all.
    assert float(weights["ridge_weight"]) >= 0.8
    saved = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert saved["metrics"]["r2"] > 0.99
    assert evaluate_run(tmp_path / "r").metrics["r2"] == pytest.approx(saved["metrics"]["r2"])
    for fmt in ("onnx", "torchscript"):          # the export checks its outputs against ours
        code, _, err = cli("export", tmp_path / "r", "--format", fmt)
        assert code == 0, err


@pytest.mark.slow
def test_cv_folds_blend_and_the_option_turns_it_off(tmp_path, cli, _no_peers):
    _table().to_csv(tmp_path / "t.csv", index=False)
    runs = {}
    for name, extra in (("on", []), ("off", ["--set", "model.ridge_blend=false"])):
        code, _, err = cli("cv", "--data", tmp_path / "t.csv", "--target", "y", "--folds", "2",
                           *FAST, *extra, "--output", tmp_path / name)
        assert code == 0, err
        runs[name] = json.loads((tmp_path / name / "cv.json").read_text())["mean"]["r2"]
    assert runs["on"] > 0.99 > runs["off"]
