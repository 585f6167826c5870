"""``--model rocket``: MiniRocket's transform in PyTorch, its fitted buffers, its ridge head,
its feature cache, and a run from the command line."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from hakseup.config import ModelConfig, RunConfig
from hakseup.data.bundle import DataBundle, Schema, Split
from hakseup.config.resolve import DataFacts, resolve
from hakseup.models.registry import build_model
from hakseup.models.rocket import (
    FeatureCache,
    MiniRocketFeatures,
    RocketNet,
    fit_dilations,
    ridge_head,
)
from hakseup.training.trainer import Trainer


def waves(n: int, steps: int, channels: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Three classes: a slow sine, a fast sine, a square wave; random phase and noise; the
    class pattern in the last channel only (the others are noise)."""
    g = np.random.default_rng(seed)
    y = g.integers(0, 3, n)
    t = np.arange(steps)[None] / steps
    phase = g.uniform(0, 2 * np.pi, (n, 1))
    signal = np.where(y[:, None] == 0, np.sin(4 * np.pi * t + phase),
                      np.where(y[:, None] == 1, np.sin(12 * np.pi * t + phase),
                               np.sign(np.sin(4 * np.pi * t + phase))))
    x = g.normal(0, 0.3, (n, steps, channels))
    x[:, :, -1] += signal
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y)


def naive_features(m: MiniRocketFeatures, x: np.ndarray) -> np.ndarray:
    """The transform written out with NumPy loops: per dilation and kernel, the zero-padded
    correlation summed over the kernel's channels, then the proportion above each bias —
    over the whole output or over its unpadded part, alternating."""
    combos = list(itertools.combinations(range(9), 3))
    B, T, C = x.shape
    out = []
    for i, d in enumerate(m.dilations):
        bias = getattr(m, f"bias_{i}").numpy()
        mask = m.channel_mask[i].numpy()
        for parity in (0, 1):
            for k in range(84):
                if (i % 2 + k) % 2 != parity:
                    continue
                w = -np.ones(9)
                w[list(combos[k])] = 2.0
                conv = np.zeros((B, T))
                for j in range(9):
                    shift = (j - 4) * d
                    src = np.arange(T) + shift
                    ok = (src >= 0) & (src < T)
                    for c in range(C):
                        if mask[k, c]:
                            conv[:, ok] += w[j] * x[:, src[ok], c]
                part = conv if parity == 0 else conv[:, 4 * d:T - 4 * d]
                out.append((part[:, None, :] > bias[k][None, :, None]).mean(-1))
    return np.concatenate(out, axis=1)


@pytest.mark.parametrize("channels", [1, 3])
def test_the_transform_is_minirockets_written_out(channels):
    x, _ = waves(6, 40, channels, 0)
    m = MiniRocketFeatures(channels, 40, n_features=840, seed=3)
    m.fit(x)
    got = m(x).numpy()
    want = naive_features(m, x.double().numpy())
    assert got.shape == (6, m.n_features) == want.shape
    np.testing.assert_allclose(got, want, atol=1e-6)
    # Biases come from quantiles of real outputs: spread, not all zero; features vary.
    assert float(m.bias_0.std()) > 0 and float(torch.tensor(got).std(0).mean()) > 0.05


def test_dilations_and_feature_count_follow_minirocket():
    dilations, per = fit_dilations(427, 10_000)
    assert dilations[0] == 1 and dilations[-1] == 53 and sum(per) == 10_000 // 84
    assert fit_dilations(24, 10_000)[0] == [1, 2]
    assert RocketNet(1, 150, 2).features.n_features == 84 * 119       # 9,996 as MiniRocket
    assert RocketNet(1, 5, 2).features.length == 9                     # short: zero-padded


def test_biases_are_buffers_fitted_once_deterministically_and_kept_by_a_checkpoint():
    x, y = waves(30, 60, 2, 1)
    a, b = RocketNet(2, 60, 3, n_features=840, seed=7), RocketNet(2, 60, 3, n_features=840, seed=7)
    a.fit_features(x, y)
    b.fit_features(x, y)
    assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))
    bias = a.features.bias_2.clone()
    a.fit_features(x[:5] * 10, y[:5])                                  # fitted: left alone
    assert torch.equal(a.features.bias_2, bias)
    other = RocketNet(2, 60, 3, n_features=840, seed=8)
    assert not torch.equal(other.features.channel_mask, a.features.channel_mask)
    other.load_state_dict(a.state_dict())                              # a loaded/resumed run
    assert bool(other.features.fitted)
    with torch.no_grad():
        assert torch.equal(other.eval()(x), a.eval()(x))


def test_the_cache_returns_the_training_features_exactly_and_only_for_them():
    x, _ = waves(20, 30, 1, 2)
    z = torch.randn(20, 5)
    cache = FeatureCache(x, z)
    idx = torch.tensor([3, 17, 0, 3])
    assert torch.equal(cache.get(x[idx]), z[idx])
    changed = x[idx].clone()
    changed[1, 4, 0] += 1e-3
    assert cache.get(changed) is None                                  # one series differs
    assert cache.get(x[:, :20]) is None


def test_the_cached_training_pass_equals_the_computed_one():
    x, y = waves(24, 50, 1, 3)
    net = RocketNet(1, 50, 3, n_features=840)
    net.fit_features(x, y)
    net.train()
    with torch.no_grad():
        cached = net(x[[5, 1, 9]])
        net._cache = None
        computed = net(x[[5, 1, 9]])
    torch.testing.assert_close(cached, computed)


def test_ridge_head_solves_ridge_with_an_intercept():
    from sklearn.linear_model import Ridge

    g = torch.Generator().manual_seed(0)
    z = torch.randn(15, 40, generator=g)
    y = torch.randint(0, 3, (15,), generator=g)
    w, b = ridge_head(z, y, True, 3, alphas=(0.7,))
    targets = -np.ones((15, 3))
    targets[np.arange(15), y.numpy()] = 1
    ref = Ridge(alpha=0.7).fit(z.double().numpy(), targets)
    np.testing.assert_allclose(w.numpy(), ref.coef_, atol=1e-4)
    np.testing.assert_allclose(b.numpy(), ref.intercept_, atol=1e-4)
    w, b = ridge_head(z, y.float().view(-1, 1), False, 1)              # regression: one value
    assert w.shape == (1, 40) and torch.isfinite(w).all()


@pytest.mark.parametrize("channels", [1, 4])
def test_rocket_learns_on_held_out_series(channels):
    x, y = waves(90, 80, channels, 4)
    xt, yt = waves(200, 80, channels, 5)
    schema = Schema("multiclass", "sequence", (80, channels), 3, class_names=list("abc"))
    bundle = DataBundle(Split((x,), y), Split((x[:0],), y[:0]), Split((xt,), yt), schema, None)
    torch.manual_seed(0)
    model = build_model(ModelConfig(name="rocket"), schema)
    Trainer(epochs=1, lr=0.0, batch_size=16, progress=False, device="cpu").fit(model, bundle)
    assert bool(model.features.fitted)                                 # the Trainer fitted it
    with torch.no_grad():
        acc = (model.eval()(xt).argmax(1) == yt).float().mean().item()
    assert acc >= 0.9, acc


def test_rocket_defaults_keep_the_closed_form_head_unless_asked():
    facts = DataFacts("sequence", 50, model="rocket", n_val=9)
    cfg = resolve(RunConfig.from_dict({"model": {"name": "rocket"}}), facts)
    assert cfg.train.lr == 0.0 and cfg.train.epochs == 1
    assert cfg.data.val_size == 0.0           # nothing reads validation rows: they train
    own = resolve(RunConfig.from_dict({"model": {"name": "rocket"}, "train": {"lr": 0.01}}),
                  facts)
    assert own.train.lr == 0.01 and own.train.epochs > 1               # fine-tuning, as asked
    kept = resolve(RunConfig.from_dict({"model": {"name": "rocket"},
                                        "data": {"val_size": 0.15}}), facts)
    assert kept.data.val_size == 0.15         # a typed value is never replaced


def test_rocket_refuses_a_table_in_one_line():
    from hakseup.errors import ConfigError

    with pytest.raises(ConfigError, match="needs sequences"):
        build_model(ModelConfig(name="rocket"), Schema("binary", "table", (3,), 2))


def _csv(path: Path, n: int, seed: int) -> None:
    x, y = waves(n, 40, 2, seed)
    cols = {f"t{i}_c{c}": x[:, i, c].numpy() for i in range(40) for c in range(2)}
    pd.DataFrame({**cols, "label": np.array(list("abc"))[y.numpy()]}).to_csv(path, index=False)


def test_a_rocket_run_uses_every_training_row_exports_and_predicts(cli, tmp_path):
    _csv(tmp_path / "train.csv", 60, 6)
    _csv(tmp_path / "test.csv", 60, 7)
    code, out, err = cli("train", "--no-progress", "--no-tensorboard", "--data",
                         tmp_path / "train.csv", "--test-data", tmp_path / "test.csv",
                         "--target", "label", "--layout", "sequence", "--sequence-shape",
                         "40x2", "--model", "rocket", "--output", "r")
    assert code == 0, err
    metrics = json.loads(Path("r", "metrics.json").read_text())
    assert metrics["metrics"]["accuracy"] >= 0.9, metrics["metrics"]
    report = Path("r", "report.md").read_text()
    assert "validation rows train too" in report
    code, out, err = cli("export", "r", "--format", "torchscript")
    assert code == 0 and "outputs match" in out, err
    code, out, err = cli("evaluate", "r", "--data", tmp_path / "test.csv")
    assert code == 0, err


def test_a_stopped_rocket_run_resumes_to_identical_weights(tmp_path):
    """Buffers fitted before training, the ridge start and a fine-tuning lr: a run stopped
    after epoch 2 resumes bit-identically (and keeps every training row both times)."""
    from conftest import assert_same_weights, crash_at, quiet, run_weights
    from hakseup.experiment import train

    _csv(tmp_path / "seq.csv", 48, 8)

    def cfg(out):
        return RunConfig.from_dict({
            "data": {"path": str(tmp_path / "seq.csv"), "target": "label", "layout": "sequence",
                     "sequence_shape": "40x2"},
            "model": {"name": "rocket"},
            "train": {"epochs": 3, "lr": 0.001, "progress": False, "tensorboard": False},
            "output": {"dir": str(out), "plots": False}})

    full = train(cfg(tmp_path / "full"), echo=quiet)
    with pytest.raises(KeyboardInterrupt):
        train(cfg(tmp_path / "part"), echo=quiet, callbacks=[crash_at(epoch=2)])
    resumed = train(None, resume=tmp_path / "part", echo=quiet)
    assert_same_weights(run_weights(tmp_path / "full"), run_weights(tmp_path / "part"))
    assert resumed.metrics == full.metrics
