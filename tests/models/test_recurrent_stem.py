"""The recurrent models' convolutional stem (``model.stem``): shapes, the recurrence still equal
to ``nn.LSTM``, the stem on and off, what ``auto`` resolves to, and runs saved before it."""

from __future__ import annotations

import pytest
import torch
import yaml

from hakseup.config import RunConfig
from hakseup.config.resolve import RECURRENT_STEM, DataFacts, resolve
from hakseup.data.bundle import Schema
from hakseup.errors import ConfigError
from hakseup.models.lstm import LSTM
from hakseup.models.recurrent import (
    STEM_CHANNELS,
    ConvStem,
    RecurrentNet,
    build_recurrent,
    patches,
)


@pytest.mark.parametrize(("steps", "k"), [(12, 5), (15, 5), (24, 1), (427, 15)])
@pytest.mark.parametrize("features", [1, 6])
def test_the_stem_gives_one_step_of_learned_features_per_patch(steps, k, features):
    out = ConvStem(features, k)(torch.randn(3, steps, features))
    assert out.shape == (3, -(-steps // k), STEM_CHANNELS)
    assert (out >= 0).all()  # ReLU features, max-pooled over each patch
    net = RecurrentNet(features, 8, 4, patch=k, stem="conv", readout="mean_last")
    assert net(torch.randn(3, steps, features)).shape == (3, 4)


def test_a_pattern_anywhere_in_a_patch_gives_the_same_features():
    """Max-pooling over the patch: the stem sees *that* a shape occurred in the patch, not
    where (the shift stays inside the patch and clear of the padding)."""
    stem = ConvStem(1, 10).eval()
    x, y = torch.zeros(1, 40, 1), torch.zeros(1, 40, 1)
    x[0, 14, 0] = y[0, 15, 0] = 3.0  # both in the second patch (steps 10-19)
    assert torch.allclose(stem(x)[:, 1], stem(y)[:, 1])


@pytest.mark.parametrize("readout", ["last", "mean_last"])
def test_with_the_stem_our_lstm_still_equals_nn_lstm_in_outputs_and_gradients(readout):
    torch.manual_seed(0)
    ours = RecurrentNet(2, 6, 3, impl="scratch", patch=4, stem="conv", readout=readout)
    ref = RecurrentNet(2, 6, 3, impl="native", patch=4, stem="conv", readout=readout)
    ref.load_state_dict(ours.state_dict())  # the same names and layout, stem included
    x = torch.randn(5, 30, 2)
    out_ours, out_ref = ours(x), ref(x)
    assert torch.allclose(out_ours, out_ref, atol=1e-6)
    out_ours.pow(2).sum().backward()
    out_ref.pow(2).sum().backward()
    grads = dict(ref.named_parameters())
    for name, p in ours.named_parameters():
        assert torch.allclose(p.grad, grads[name].grad, atol=1e-5), name
    # and the recurrence alone, on the stem's output, is nn.LSTM's
    feats = ours.stem(x).detach()
    native = torch.nn.LSTM(STEM_CHANNELS, 6, batch_first=True)
    scratch = LSTM(STEM_CHANNELS, 6, batch_first=True)
    scratch.load_state_dict(native.state_dict())
    assert torch.allclose(scratch(feats)[0], native(feats)[0], atol=1e-6)


def test_without_the_stem_the_network_is_the_flat_patches_as_before():
    torch.manual_seed(0)
    net = RecurrentNet(1, 5, 2, patch=3, stem="none", readout="last")
    assert net.stem is None and not any(k.startswith("stem") for k in net.state_dict())
    x = torch.randn(4, 10, 1)
    out, _ = net.rnn(patches(x, 3))
    assert torch.allclose(net(x), net.head(out[:, -1]))
    assert net.like(stem="conv").stem is not None


def test_auto_gives_sequences_the_stem_and_nothing_else():
    lstm = RunConfig.from_dict({"model": {"name": "lstm"}})
    assert lstm.model.stem == "auto"
    assert resolve(lstm, DataFacts("sequence", 40)).model.stem == RECURRENT_STEM == "conv"
    assert resolve(lstm, DataFacts("sequence", 5000, n_val=500)).model.stem == "conv"
    assert resolve(lstm, DataFacts("series", 400)).model.stem == "none"  # forecasting windows
    assert resolve(lstm, DataFacts("image", 400)).model.stem == "none"  # images, row by row
    gru = RunConfig.from_dict({"model": {"name": "gru"}})  # not measured: as before
    assert resolve(gru, DataFacts("sequence", 40)).model.stem == "none"
    cnn = RunConfig.from_dict({"model": {"name": "cnn"}})
    assert resolve(cnn, DataFacts("sequence", 40)).model.stem == "none"
    kept = RunConfig.from_dict({"model": {"name": "lstm", "stem": "none"}})
    assert resolve(kept, DataFacts("sequence", 40)).model.stem == "none"
    # The network's shape, not a training setting: kept with the sequence settings off.
    own = RunConfig.from_dict({"model": {"name": "lstm"}, "train": {"sequence_defaults": False}})
    assert resolve(own, DataFacts("sequence", 40)).model.stem == "conv"


def test_a_model_built_without_data_reads_its_kind_for_the_stem():
    # hakseup summary --model lstm --input-shape 20,3: the registry's generic model, whose
    # auto stem is decided by the input's kind when built (it had been set to none).
    from hakseup.models.registry import build_model

    lstm = RunConfig.from_dict({"model": {"name": "lstm"}}).model
    seq = build_model(lstm, Schema("multiclass", "sequence", (20, 3), 10))
    assert isinstance(seq.stem, ConvStem)
    rows = build_model(lstm, Schema("multiclass", "image", (1, 8, 8), 10))
    assert rows.stem is None


def test_build_reads_the_resolved_stem():
    cfg = resolve(RunConfig.from_dict({"model": {"name": "lstm"}}), DataFacts("sequence", 40))
    net = build_recurrent(cfg.model, Schema("binary", "sequence", (150, 1), 2), "lstm")
    assert isinstance(net.stem, ConvStem) and net.patch == 5
    unresolved = RunConfig.from_dict({"model": {"name": "lstm"}}).model  # stem: auto
    seq = Schema("binary", "sequence", (150, 1), 2)
    assert isinstance(build_recurrent(unresolved, seq, "lstm").stem, ConvStem)
    assert build_recurrent(unresolved, seq, "gru").stem is None
    rows = resolve(RunConfig.from_dict({"model": {"name": "lstm"}}), DataFacts("image", 40))
    assert build_recurrent(rows.model, Schema("multiclass", "image", (1, 8, 8), 10), "lstm").stem is None


def test_a_run_saved_before_the_stem_loads_with_the_flat_patches(tmp_path):
    from hakseup.run.folder import load_run_config

    saved = RunConfig.from_dict({"model": {"name": "lstm"}}).to_dict()
    del saved["model"]["stem"]  # a config.yaml written before the key existed
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(saved))
    assert load_run_config(tmp_path).model.stem == "none"


@pytest.mark.parametrize("stem", ["conv", "none"])
def test_the_plain_script_writes_the_stem_and_gives_the_products_outputs(stem):
    """``hakseup code`` re-creates the network in plain torch: with the stem, the script's
    network loads the product's weights (the same names) and gives its outputs."""
    from types import SimpleNamespace

    from hakseup.experiment.plain import _check_settings
    from hakseup.experiment.plain_model import model_section

    cfg = resolve(
        RunConfig.from_dict({"model": {"name": "lstm", "stem": stem, "hidden_size": 6}}),
        DataFacts("series", 200),
    )
    _check_settings(cfg)  # a stem is written, not refused
    schema = SimpleNamespace(input_shape=[9, 2], n_outputs=3, input_kind="series")
    facts = SimpleNamespace(model="lstm", cfg=cfg, schema=schema)
    space: dict = {}
    head = "import math\nimport torch\nimport torch.nn.functional as F\nfrom torch import nn\n"
    exec(head + "DEVICE = torch.device('cpu')\n" + model_section(facts), space)  # noqa: S102
    script = space["model"].eval()
    product = build_recurrent(cfg.model, schema, "lstm").eval()
    assert (product.stem is not None) == (stem == "conv") == ("ConvStem" in model_section(facts))
    script.load_state_dict(product.state_dict())
    x = torch.randn(4, 9, 2)
    torch.testing.assert_close(script(x), product(x))


def test_an_unknown_stem_is_a_config_error():
    with pytest.raises(ConfigError):
        RunConfig.from_dict({"model": {"name": "lstm", "stem": "resnet"}})


def _seq_csv(path, n: int = 40, steps: int = 60) -> None:
    """Two classes: a bump early or late in a 60-step series (patched to 30 steps of 2)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, n)
    t = np.arange(steps)
    centre = np.where(y == 0, steps * 0.3, steps * 0.7)[:, None]
    x = np.exp(-((t[None] - centre) ** 2) / 8.0) + rng.normal(0, 0.1, (n, steps))
    frame = pd.DataFrame(x, columns=[f"t{i}" for i in range(steps)])
    frame["label"] = np.where(y == 0, "early", "late")
    frame.to_csv(path, index=False)


@pytest.mark.slow
def test_a_run_saved_without_the_key_is_checked_evaluated_and_resumed_as_it_trained(tmp_path):
    """A sequence LSTM saved before ``model.stem`` (flat patches, no key in config.yaml):
    the run check, ``evaluate`` and a resume rebuild the flat network, not today's default."""
    from conftest import assert_same_weights, crash_at, quiet, run_weights
    from hakseup.experiment.experiment import train
    from hakseup.predict import evaluate_file
    from hakseup.run.check import check_run

    _seq_csv(tmp_path / "seq.csv")

    def cfg(out, **model):
        return RunConfig.from_dict({
            "data": {"path": str(tmp_path / "seq.csv"), "target": "label", "layout": "sequence"},
            "model": {"name": "lstm", "hidden_size": 8, **model},
            "train": {"epochs": 2, "progress": False, "tensorboard": False},
            "output": {"dir": str(out), "plots": False}})

    new = train(cfg(tmp_path / "new"), echo=quiet)
    assert yaml.safe_load((tmp_path / "new" / "config.yaml").read_text())["model"]["stem"] == "conv"
    assert isinstance(new.model.stem, ConvStem) and new.model.patch == 2
    full = train(cfg(tmp_path / "full", stem="none"), echo=quiet)
    with pytest.raises(KeyboardInterrupt):
        train(cfg(tmp_path / "old", stem="none"), echo=quiet, callbacks=[crash_at(epoch=1)])
    path = tmp_path / "old" / "config.yaml"
    saved = yaml.safe_load(path.read_text())
    del saved["model"]["stem"]
    path.write_text(yaml.safe_dump(saved))
    assert check_run(tmp_path / "old")[0].model.stem == "none"
    resumed = train(None, resume=tmp_path / "old", echo=quiet)
    assert resumed.model.stem is None and resumed.metrics == full.metrics
    assert_same_weights(run_weights(tmp_path / "full"), run_weights(tmp_path / "old"))
    again = evaluate_file(tmp_path / "old", tmp_path / "seq.csv")
    before = evaluate_file(tmp_path / "full", tmp_path / "seq.csv")
    assert again.metrics["accuracy"] == before.metrics["accuracy"]


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["torchscript", "onnx"])
def test_a_sequence_lstm_with_the_stem_exports_and_matches(cli, tmp_path, fmt):
    from conftest import FAST

    if fmt == "onnx":
        pytest.importorskip("onnxruntime")
        pytest.importorskip("onnxscript")
    _seq_csv(tmp_path / "seq.csv")
    code, _, err = cli("train", *FAST, "--data", tmp_path / "seq.csv", "--target", "label",
                       "--layout", "sequence", "--model", "lstm", "--set", "model.hidden_size=8",
                       "--output", tmp_path / "run")
    assert code == 0, err
    assert yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())["model"]["stem"] == "conv"
    code, out, err = cli("export", tmp_path / "run", "--format", fmt)
    assert code == 0, err
    assert "outputs match" in out
