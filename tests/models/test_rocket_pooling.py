"""``model.rocket_pooling``: MultiRocket's four operators (PPV, MPV, MIPV, LSPV) on the series
and its first difference, against a plain-Python reference; its feature count, determinism,
export (TorchScript and ONNX), the default, and old run folders (no key) keeping PPV."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from hakseup.config import ModelConfig, RunConfig
from hakseup.data.bundle import Schema
from hakseup.errors import ConfigError
from hakseup.models.registry import build_model
from hakseup.models.rocket import (
    MiniRocketFeatures,
    MultiRocketFeatures,
    RocketNet,
    _multi,
    _running_max,
)


def reference_operators(conv: list[float], bias: float) -> tuple[float, float, float, float]:
    """PPV, MPV, MIPV, LSPV of one output series over one bias, with a Python loop."""
    T = len(conv)
    values = [v - bias for v in conv]
    positive = [j for j, v in enumerate(values) if v > 0]
    longest = run = 0
    for v in values:
        run = run + 1 if v > 0 else 0
        longest = max(longest, run)
    if not positive:
        return 0.0, 0.0, -1.0, 0.0
    mpv = sum(values[j] for j in positive) / len(positive)
    mipv = sum(positive) / len(positive) / T
    return len(positive) / T, mpv, mipv, longest / T


def reference_features(m: MiniRocketFeatures, x: torch.Tensor) -> np.ndarray:
    """``m``'s multi features of ``x`` (B, T, C): its convolution (checked against a NumPy loop
    in test_rocket.py), then the four operators per series, kernel and bias in Python, in the
    transform's order (dilation, padded/unpadded half, operator, kernel, bias)."""
    xs = m._prepare(x)
    out = []
    for i, d in enumerate(m.dilations):
        conv = m._conv(xs, i)
        bias = getattr(m, f"bias_{i}")
        for parity in (0, 1):
            part = conv if parity == 0 else conv[:, :, 4 * d : conv.shape[2] - 4 * d]
            rows = [k for k in range(84) if (i % 2 + k) % 2 == parity]
            block = np.zeros((len(x), 4, len(rows), bias.shape[1]))
            for b in range(len(x)):
                for r, k in enumerate(rows):
                    for f in range(bias.shape[1]):
                        series = part[b, k].tolist()
                        block[b, :, r, f] = reference_operators(series, float(bias[k, f]))
            out.append(block.reshape(len(x), -1))
    return np.concatenate(out, axis=1)


def test_the_operators_on_a_hand_worked_series():
    c = torch.tensor([[[1.0, 2.0, -1.0, 3.0, 4.0, 5.0, 0.0]]])
    got = _multi(c, torch.tensor([[0.5, 10.0]]), exporting=False).reshape(4, 2)
    # bias 0.5: positive at 0, 1, 3, 4, 5 (values 0.5, 1.5, 2.5, 3.5, 4.5); longest run 3.
    want = [[5 / 7, 0.0], [2.5, 0.0], [13 / 5 / 7, -1.0], [3 / 7, 0.0]]
    torch.testing.assert_close(got, torch.tensor(want))


@pytest.mark.parametrize("channels", [1, 3])
def test_the_multi_transform_equals_the_python_reference(channels):
    g = torch.Generator().manual_seed(channels)
    x = torch.randn(3, 30, channels, generator=g).cumsum(1)
    m = MiniRocketFeatures(channels, 30, n_features=4 * 168, seed=5, pooling="multi")
    m.fit(x)
    got = m(x).numpy()
    want = reference_features(m, x)
    assert got.shape == want.shape == (3, m.n_features)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    assert (got != 0).any(axis=0).mean() > 0.5  # the biases make features that vary


def test_the_exported_path_gives_the_same_operators():
    g = torch.Generator().manual_seed(0)
    c, bias = torch.randn(5, 6, 40, generator=g), torch.randn(6, 3, generator=g) * 0.5
    torch.testing.assert_close(_multi(c, bias, True), _multi(c, bias, False))
    w = torch.randint(0, 50, (4, 7, 37), generator=g).float()
    assert torch.equal(_running_max(w), w.cummax(-1).values)


def test_feature_count_shapes_and_the_difference_half():
    m = MultiRocketFeatures(2, 150)
    assert m.n_features == m.raw.n_features + m.diff.n_features <= 10_000
    assert m.raw.n_features == m.diff.n_features == 84 * 14 * 4  # 1,250 biases, 4 operators
    assert m.diff.length == 149
    net = RocketNet(2, 150, 3, pooling="multi")
    assert net.head.in_features == m.n_features == 9_408
    x = torch.randn(6, 150, 2)
    net.fit_features(x, torch.arange(6) % 3)
    assert net(x).shape == (6, 3)
    # The difference half is the raw transform of the differenced series.
    diff_half = net.features(x)[:, m.raw.n_features :]
    torch.testing.assert_close(diff_half, net.features.diff(x.diff(dim=1)))


@pytest.mark.parametrize("pooling", ["multi", "ppv"])
def test_features_constant_on_constant_training_series_do_not_blow_up_new_series(pooling):
    # Every training series constant: some pooled values vary only by float rounding. Scaled
    # by that noise, a new series' logits reached 1e6 (found in review; the ONNX export
    # check then failed on its random inputs).
    levels = torch.tensor([-1.2, 0.0, 1.2]).repeat(8)
    rounding = 1e-7 * torch.randn(24, 10, 1, generator=torch.Generator().manual_seed(2))
    x = levels.view(-1, 1, 1) + rounding  # as the preprocessing's float rounding leaves them
    net = RocketNet(1, 10, 3, pooling=pooling)
    net.fit_features(x, torch.arange(24) % 3)
    assert (net(x).argmax(1) == torch.arange(24) % 3).all()
    logits = net(torch.randn(50, 10, 1, generator=torch.Generator().manual_seed(0)))
    assert torch.isfinite(logits).all() and logits.abs().max() < 1e3


def test_a_seed_gives_the_same_features_and_another_seed_others():
    x = torch.randn(12, 40, 2, generator=torch.Generator().manual_seed(1))
    feats = []
    for seed in (3, 3, 4):
        m = MultiRocketFeatures(2, 40, n_features=1_344, seed=seed)
        m.fit(x)
        feats.append(m(x))
    assert torch.equal(feats[0], feats[1])
    assert not torch.equal(feats[0], feats[2])


def test_the_config_default_is_multi_and_ppv_stays_a_choice():
    cfg = RunConfig.from_dict({"model": {"name": "rocket"}})
    assert cfg.model.rocket_pooling == "multi"
    schema = Schema("multiclass", "sequence", (40, 2), 3)
    net = build_model(ModelConfig(name="rocket"), schema)
    assert isinstance(net.features, MultiRocketFeatures)
    ppv = build_model(ModelConfig(name="rocket", rocket_pooling="ppv"), schema)
    assert isinstance(ppv.features, MiniRocketFeatures) and ppv.features.pooling == "ppv"
    with pytest.raises(ConfigError, match="multi, ppv"):
        RunConfig.from_dict({"model": {"name": "rocket", "rocket_pooling": "max"}})


def test_a_run_saved_before_the_key_is_rebuilt_with_ppv(tmp_path):
    """An old run folder's config.yaml has no ``model.rocket_pooling``: it loads as the PPV
    transform it trained (its buffers ``features.bias_*`` fit that model, not multi's)."""
    from hakseup.run.folder import load_run_config

    (tmp_path / "config.yaml").write_text("model:\n  name: rocket\n")
    cfg = load_run_config(tmp_path)
    assert cfg.model.rocket_pooling == "ppv"
    old = build_model(cfg.model, Schema("multiclass", "sequence", (40, 2), 3))
    assert isinstance(old.features, MiniRocketFeatures)
    assert "features.bias_0" in old.state_dict()
    (tmp_path / "config.yaml").write_text("model:\n  name: rocket\n  rocket_pooling: multi\n")
    assert load_run_config(tmp_path).model.rocket_pooling == "multi"


def _csv(path: Path, n: int, seed: int) -> None:
    g = np.random.default_rng(seed)
    y = g.integers(0, 2, n)
    t = np.arange(30)[None] / 30
    x = np.sin((4 + 8 * y[:, None]) * np.pi * t + g.uniform(0, 6, (n, 1)))
    x = x + g.normal(0, 0.3, x.shape)
    cols = {f"t{i}": x[:, i] for i in range(30)}
    pd.DataFrame({**cols, "label": np.array(["slow", "fast"])[y]}).to_csv(path, index=False)


@pytest.mark.slow
def test_a_multi_run_trains_exports_and_predicts(tmp_path):
    from conftest import quiet
    from hakseup.experiment import train
    from hakseup.experiment.export import export_run
    from hakseup.predict import evaluate_file

    _csv(tmp_path / "train.csv", 40, 1)
    _csv(tmp_path / "test.csv", 40, 2)
    cfg = RunConfig.from_dict({
        "data": {"path": str(tmp_path / "train.csv"), "target": "label", "layout": "sequence",
                 "test_path": str(tmp_path / "test.csv")},
        "model": {"name": "rocket", "rocket_pooling": "multi"},
        "train": {"progress": False, "tensorboard": False},
        "output": {"dir": str(tmp_path / "r"), "plots": False}})
    result = train(cfg, echo=quiet)
    assert result.metrics["accuracy"] >= 0.9, result.metrics
    saved = yaml.safe_load((tmp_path / "r" / "config.yaml").read_text())
    assert saved["model"]["rocket_pooling"] == "multi"
    _, diff = export_run(tmp_path / "r", "torchscript")
    assert diff < 1e-4
    assert evaluate_file(tmp_path / "r", tmp_path / "test.csv").metrics["accuracy"] >= 0.9


def test_the_multi_model_exports_to_onnx_for_any_batch(tmp_path):
    pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    from hakseup.experiment.export import export_model

    x = torch.randn(10, 30, 2, generator=torch.Generator().manual_seed(4))
    net = RocketNet(2, 30, 3, pooling="multi", n_features=1_344).eval()
    net.fit_features(x, torch.arange(10) % 3)
    path, diff = export_model(net, Schema("multiclass", "sequence", (30, 2), 3), "onnx",
                              tmp_path / "m.onnx")
    assert diff < 1e-4
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    with torch.no_grad():
        want = net(x).numpy()
    got = session.run(None, {"input_0": x.numpy()})[0]  # 10 series: another batch size
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
