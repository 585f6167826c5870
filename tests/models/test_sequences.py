"""Sequence classification: --test-data, the residual FCN default, recurrent options, settings
from the data size, and the UCR files when ../shared/data is present."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from torch import nn

from hakseup.config import RunConfig
from hakseup.data.bundle import Schema
from hakseup.config.resolve import (DataFacts, GENERIC, resolution_notices, resolve,
                                    sequence_train_settings)
from hakseup.models.recurrent import RecurrentNet
from hakseup.models.registry import default_model_name
from hakseup.models.sequence_cnn import SequenceCNN

from conftest import FAST


def _sequences(n: int, steps: int, channels: int, seed: int, offset: float = 0.0):
    """Two classes: a bump early or late in the series."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    t = np.arange(steps)
    centre = np.where(y == 0, steps * 0.3, steps * 0.7)[:, None]
    base = np.exp(-((t[None] - centre) ** 2) / 8.0)
    x = np.repeat(base[:, :, None], channels, 2) + rng.normal(0, 0.1, (n, steps, channels))
    cols = {f"t{i}_c{c}": x[:, i, c] + offset for i in range(steps) for c in range(channels)}
    return pd.DataFrame({**cols, "label": np.where(y == 0, "early", "late")})


def test_default_model_for_sequences_is_rocket_and_for_series_dlinear():
    assert default_model_name(Schema("binary", "sequence", (40, 1), 2)) == "rocket"
    assert default_model_name(Schema("forecast", "series", (20, 1), 1)) == "dlinear"


def test_sequence_cnn_reads_multivariate_series_of_any_length():
    model = SequenceCNN(6, 4).eval()
    assert model(torch.zeros(3, 100, 6)).shape == (3, 4)
    assert model(torch.zeros(3, 37, 6)).shape == (3, 4)      # global pooling: any length


def test_series_norm_makes_the_cnn_blind_to_offset_and_scale():
    torch.manual_seed(0)
    model = SequenceCNN(2, 3, series_norm=True).eval()
    x = torch.randn(4, 50, 2)
    torch.testing.assert_close(model(x), model(5 * x + 100), rtol=1e-4, atol=1e-4)


def test_cnn_ensemble_trains_each_member_and_predicts_their_mean_probability():
    torch.manual_seed(0)
    model = SequenceCNN(2, 3, ensemble=3)
    x = torch.randn(4, 30, 2)
    assert model.train()(x).shape == (4, 3, 3)             # one output per member in training
    model.eval()
    members = [model.head(model.features(x.transpose(1, 2)).mean(2))] + \
        [m[1](m[0](x.transpose(1, 2)).mean(2)) for m in model.members]
    mean_prob = torch.stack([m.softmax(1) for m in members]).mean(0)
    torch.testing.assert_close(model(x).softmax(1), mean_prob)
    assert not torch.allclose(members[0], members[1])      # members start apart
    single = SequenceCNN(2, 3)                              # k = 1: the network as before
    assert set(single.state_dict()) < set(model.state_dict())


def test_patched_lstm_equals_nn_lstm_on_the_patched_series():
    torch.manual_seed(2)
    ours = RecurrentNet(3, 5, 2, impl="scratch", patch=4).double()
    ref = ours.like(impl="native").double()
    ref.load_state_dict(ours.state_dict())
    x = torch.randn(2, 10, 3, dtype=torch.float64, requires_grad=True)   # 10 steps → 3 patches
    torch.testing.assert_close(ours(x), ref(x))
    g1, = torch.autograd.grad(ours(x).sum(), x)
    g2, = torch.autograd.grad(ref(x).sum(), x)
    torch.testing.assert_close(g1, g2)
    assert ours.rnn.input_size == 12
    step_by_step = RecurrentNet(12, 5, 2, impl="native").double()
    step_by_step.load_state_dict(ref.state_dict())
    padded = torch.cat([x.new_zeros(2, 2, 3), x], 1).reshape(2, 3, 12)
    torch.testing.assert_close(ref(x), step_by_step(padded))   # zeros first, then the patches


def test_auto_patch_shortens_long_sequences_only():
    from hakseup.models.recurrent import PATCH_TARGET_STEPS, auto_patch, build_recurrent

    cfg = RunConfig.from_dict({"model": {"name": "lstm", "patch": 0}}).model
    long = build_recurrent(cfg, Schema("binary", "sequence", (150, 1), 2), "lstm")
    assert long.patch == auto_patch(150) > 1 and 150 / long.patch <= PATCH_TARGET_STEPS
    assert build_recurrent(cfg, Schema("binary", "sequence", (24, 1), 2), "lstm").patch == 1
    window = build_recurrent(cfg, Schema("forecast", "series", (150, 1), 1), "lstm")
    assert window.patch == 1                                # forecasting windows: step by step
    cfg.patch = 7
    assert build_recurrent(cfg, Schema("forecast", "series", (150, 1), 1), "lstm").patch == 7


def test_our_bidirectional_lstm_equals_nn_lstm_bidirectional():
    torch.manual_seed(1)
    ours = RecurrentNet(3, 5, 2, kind="lstm", impl="scratch", bidirectional=True,
                        readout="mean_last").double()
    ref = RecurrentNet(3, 5, 2, kind="lstm", impl="native", bidirectional=True,
                       readout="mean_last").double()
    with torch.no_grad():
        for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
            getattr(ours.rnn.forward_rnn, name).copy_(getattr(ref.rnn, name))
            getattr(ours.rnn.backward_rnn, name).copy_(getattr(ref.rnn, name + "_reverse"))
        ours.head.load_state_dict(ref.head.state_dict())
    x = torch.randn(4, 7, 3, dtype=torch.float64, requires_grad=True)
    torch.testing.assert_close(ours(x), ref(x))
    g1, = torch.autograd.grad(ours(x).sum(), x)
    g2, = torch.autograd.grad(ref(x).sum(), x)
    torch.testing.assert_close(g1, g2)


@pytest.mark.parametrize("readout", ["last", "mean", "mean_last"])
def test_recurrent_readouts(readout):
    model = RecurrentNet(2, 4, 3, readout=readout)
    assert model(torch.zeros(5, 9, 2)).shape == (5, 3)
    assert isinstance(model.like(impl="native").rnn, nn.LSTM)


def test_training_settings_come_from_the_data_size_unless_set():
    small, large = sequence_train_settings(40), sequence_train_settings(5000)
    assert small["batch_size"] < large["batch_size"] and small["epochs"] > large["epochs"]
    assert small["grad_clip"] and small["scheduler"] == "cosine"
    seq = DataFacts("sequence", 40, model="cnn")
    cfg = RunConfig.from_dict({"train": {"epochs": 7}})
    out = resolve(cfg, seq)
    assert out.train.epochs == 7 and out.train.batch_size == small["batch_size"]
    assert resolution_notices(cfg, seq)
    table = DataFacts("table", 40, model="tabular")
    assert resolution_notices(RunConfig(), table) == []
    assert resolve(RunConfig(), table).train.epochs == GENERIC["train.epochs"]
    off = RunConfig.from_dict({"train": {"sequence_defaults": False}})
    assert resolution_notices(off, seq) == []
    assert resolve(off, seq).train.batch_size == GENERIC["train.batch_size"]


def test_small_sequence_problems_get_the_training_loss_checkpoint_an_ensemble_and_a_recurrent_lr():
    from hakseup.config.resolve import RECURRENT_LR, SEQUENCE_ENSEMBLE, SMALL_SEQUENCES

    seq = DataFacts("sequence", 40)
    cnn_cfg = RunConfig.from_dict({"model": {"name": "cnn"}})
    cnn = resolve(cnn_cfg, seq)
    assert cnn.train.monitor == "train_loss" and cnn.model.ensemble == SEQUENCE_ENSEMBLE
    notes = resolution_notices(cnn_cfg, seq)
    assert "monitor=train_loss" in notes[0] and cnn.train.lr == GENERIC["train.lr"]
    lstm = resolve(RunConfig.from_dict({"model": {"name": "lstm"}}), seq)
    assert lstm.train.lr == RECURRENT_LR and lstm.model.ensemble == 1
    own = resolve(RunConfig.from_dict({"model": {"name": "cnn", "ensemble": 2},
                                       "train": {"patience": 5, "lr": 0.005}}), seq)
    # early stopping watches the validation loss
    assert own.train.monitor == "val_loss" and own.model.ensemble == 2 and own.train.lr == 0.005
    large = resolve(RunConfig.from_dict({"model": {"name": "cnn"}}),
                    DataFacts("sequence", SMALL_SEQUENCES))
    assert large.train.monitor == "val_loss" and large.model.ensemble == 1
    window = resolve(RunConfig.from_dict({"model": {"name": "lstm"}}),  # forecasting: untouched
                     DataFacts("series", 40))
    assert window.train.monitor == "val_loss" and window.train.lr == GENERIC["train.lr"]



def test_recurrent_models_get_a_budget_that_lets_them_finish_learning():
    """Small problems: RECURRENT_STEPS steps (the training-loss checkpoint); where the
    validation loss is read, up to RECURRENT_MAX_STEPS steps, stopped when it stops improving;
    a typed value is never replaced; other models keep the generic sequence budget."""
    import math

    from hakseup.config.resolve import (RECURRENT_MAX_STEPS, RECURRENT_PATIENCE,
                                        RECURRENT_STEPS, SMALL_SEQUENCES)

    lstm = RunConfig.from_dict({"model": {"name": "lstm"}})
    small = resolve(lstm, DataFacts("sequence", 40))
    steps = math.ceil(40 / small.train.batch_size)
    assert small.train.epochs * steps >= RECURRENT_STEPS > (small.train.epochs - 1) * steps
    assert small.train.patience is None and small.train.scheduler == "cosine"
    n = 3 * SMALL_SEQUENCES
    large = resolve(lstm, DataFacts("sequence", n, n_val=500))
    steps = math.ceil(n / large.train.batch_size)
    assert (large.train.patience, large.train.scheduler) == (RECURRENT_PATIENCE, "plateau")
    assert large.train.epochs * steps >= RECURRENT_MAX_STEPS > (large.train.epochs - 1) * steps
    assert large.train.monitor == "val_loss" and large.data.val_size != 0.0
    assert any("patience=10" in line for line in resolution_notices(lstm, DataFacts("sequence", n)))
    typed = RunConfig.from_dict({"model": {"name": "gru"},
                                 "train": {"epochs": 30, "patience": 3, "scheduler": "cosine"}})
    own = resolve(typed, DataFacts("sequence", n))
    assert (own.train.epochs, own.train.patience, own.train.scheduler) == (30, 3, "cosine")
    cnn = resolve(RunConfig.from_dict({"model": {"name": "cnn"}}), DataFacts("sequence", n))
    assert cnn.train.patience is None and cnn.train.scheduler == "cosine"
    series = resolve(lstm, DataFacts("series", n))            # forecasting windows: untouched
    assert series.train.patience is None and series.train.scheduler == "cosine"
    again = resolve(large, DataFacts("sequence", n))           # a saved run resolves to itself
    assert again == large

def test_the_report_names_the_epoch_of_the_monitored_checkpoint():
    from hakseup.run.report import _best_epoch

    logs = [{"train_loss": 0.9, "val_loss": 0.5, "val_accuracy": 0.6},
            {"train_loss": 0.4, "val_loss": 0.7, "val_accuracy": 0.8},
            {"train_loss": 0.2, "val_loss": 0.9, "val_accuracy": 0.7}]
    assert _best_epoch(logs) == 1 and _best_epoch(logs, "train_loss") == 3
    assert _best_epoch(logs, "val_accuracy") == 2 and _best_epoch(logs, "val_f1") is None


def test_test_data_is_the_test_split_and_preprocessing_sees_only_training_rows(cli, tmp_path):
    train, test = _sequences(60, 20, 2, 0), _sequences(25, 20, 2, 1, offset=50.0)
    train.to_csv(tmp_path / "train.csv", index=False)
    test.to_csv(tmp_path / "test.csv", index=False)
    code, out, err = cli("train", *FAST, "--data", tmp_path / "train.csv", "--test-data",
                         tmp_path / "test.csv", "--target", "label", "--layout", "sequence",
                         "--sequence-shape", "20x2", "--output", tmp_path / "run")
    assert code == 0, err
    run = tmp_path / "run"
    assert "test rows" in (run / "report.md").read_text()
    pre = json.loads((run / "preprocessing.json").read_text())
    mean = float(next(iter(pre["means_"].values())))
    assert abs(mean) < 1.0          # the +50 test file never reached the scaler
    text = (run / "report.md").read_text()
    assert "25" in text and "--test-data" in text


@pytest.mark.parametrize("model", ["cnn", "lstm"])
def test_multivariate_sequence_defaults_resume_to_identical_weights(tmp_path, model):
    """The small-sequence defaults (a cnn ensemble, the training-loss checkpoint, a patched
    lstm at its own lr) on 30x2 rows: a run stopped after epoch 2 resumes bit-identically."""
    from conftest import assert_same_weights, crash_at, quiet, run_weights
    from hakseup.experiment.experiment import train

    _sequences(48, 30, 2, 0).to_csv(tmp_path / "seq.csv", index=False)

    def cfg(out):
        return RunConfig.from_dict({
            "data": {"path": str(tmp_path / "seq.csv"), "target": "label", "layout": "sequence",
                     "sequence_shape": "30x2"},
            "model": {"name": model, "hidden_size": 8, "channels": [4, 8]},
            "train": {"epochs": 3, "progress": False, "tensorboard": False},
            "output": {"dir": str(out), "plots": False}})

    full = train(cfg(tmp_path / "full"), echo=quiet)
    with pytest.raises(KeyboardInterrupt):
        train(cfg(tmp_path / "part"), echo=quiet, callbacks=[crash_at(epoch=2)])
    resumed = train(None, resume=tmp_path / "part", echo=quiet)
    assert_same_weights(run_weights(tmp_path / "full"), run_weights(tmp_path / "part"))
    assert resumed.metrics == full.metrics
    saved = yaml.safe_load((tmp_path / "part" / "config.yaml").read_text())
    assert saved["train"]["monitor"] == "train_loss"
    assert saved["model"]["ensemble"] == (4 if model == "cnn" else 1)
    if model == "lstm":
        assert resumed.model.patch == 1 and saved["train"]["lr"] == 0.01   # 30 steps: no patch


def test_test_data_missing_a_column_is_one_clean_error(cli, tmp_path):
    train = _sequences(30, 10, 1, 0)
    train.to_csv(tmp_path / "train.csv", index=False)
    train.drop(columns="t3_c0").to_csv(tmp_path / "test.csv", index=False)
    code, _, err = cli("train", *FAST, "--data", tmp_path / "train.csv", "--test-data",
                       tmp_path / "test.csv", "--target", "label", "--layout", "sequence")
    assert code == 2 and err.startswith("hakseup: error:") and "t3_c0" in err


@pytest.mark.slow
def test_default_beats_one_nearest_neighbour_on_gunpoint(shared_data, cli, tmp_path):
    """The UCR GunPoint problem (official split): the default sequence model reaches the
    published deep-learning accuracy region and beats 1-NN Euclidean (0.913)."""
    q = shared_data / "quality"
    code, out, err = cli("train", "--no-progress", "--no-tensorboard", "--data",
                         q / "ucr_gunpoint_train.csv", "--test-data", q / "ucr_gunpoint_test.csv",
                         "--target", "label", "--layout", "sequence", "--output", tmp_path / "r")
    assert code == 0, err
    acc = json.loads((tmp_path / "r" / "metrics.json").read_text())["metrics"]["accuracy"]
    assert acc > 0.913
