"""The one resolution of defaults (config/resolve.py): ``auto`` values become numbers from the
data once, in ``Experiment.setup``; a value the user typed is never replaced, even when it
equals a generic default; the resolved config is what ``--print-config`` shows and what the
run folder saves, and it round-trips."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from hakseup.config import AUTO, RunConfig
from hakseup.config.load import load_config
from hakseup.config.resolve import (
    GENERIC,
    TABLE_EPOCHS,
    DataFacts,
    resolve,
    sequence_train_settings,
    table_epochs,
)
from hakseup.experiment import Experiment

TINY = ["--no-progress", "--no-tensorboard", "--references", "none", "--set",
        "output.plots=false"]


def _sequences(path, n: int = 48, steps: int = 30, seed: int = 0):
    """Two classes of 2-channel series (a bump early or late), one row per series."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    t = np.arange(steps)
    bump = np.exp(-0.5 * ((t[None, :] - np.where(y == 0, 9, 21)[:, None]) / 2.0) ** 2)
    cols = {f"c{c}_t{s}": bump[:, s] * (c + 1) + rng.normal(0, 0.1, n)
            for s in range(steps) for c in range(2)}
    pd.DataFrame({**cols, "label": y}).to_csv(path, index=False)
    return ["--data", path, "--target", "label", "--layout", "sequence",
            "--sequence-shape", f"{steps}x2"]


def _table(path, n: int) -> list:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 3))
    pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2],
                  "y": (x[:, 0] + x[:, 1] > 0).astype(int)}).to_csv(path, index=False)
    return ["--data", path, "--target", "y"]


def _series(path, n: int = 120) -> list:
    days = pd.date_range("2020-01-01", periods=n, freq="D")
    v = 10 + np.sin(np.arange(n) * 2 * np.pi / 7) + np.random.default_rng(0).normal(0, .1, n)
    pd.DataFrame({"date": days, "value": v}).to_csv(path, index=False)
    return ["--data", path, "--time-col", "date", "--target", "value"]


def _flags(argv: list) -> dict:
    """The config keys CLI flags set (the same parser ``hakseup train`` uses)."""
    import argparse

    from hakseup.cli.common import add_config_flags, config_from_args

    p = argparse.ArgumentParser()
    add_config_flags(p)
    return config_from_args(p.parse_args([str(a) for a in argv]))


def _setup(argv: list) -> Experiment:
    return Experiment(_flags(argv)).setup()


# ------------------------------------------------------------------ typed values stay


def test_typed_epochs_and_lr_equal_to_the_generic_defaults_stay_on_a_sequence_problem(
        tmp_path, cli):
    """Before: 30 epochs equalled TrainConfig()'s, so the data's 100 replaced it; lr 0.001
    equalled the default, so an lstm got 0.01."""
    data = _sequences(tmp_path / "s.csv")
    exp = _setup([*data, "--model", "lstm", "--epochs", "30", "--lr", "0.001"])
    assert exp.trainer_.config.epochs == 30 and exp.trainer_.config.lr == 0.001
    assert exp.trainer_.optimizer.param_groups[0]["lr"] == 0.001
    auto = _setup([*data, "--model", "lstm"])           # what the data would have chosen
    assert auto.cfg.train.epochs != 30 and auto.cfg.train.lr != 0.001
    code, _, err = cli("train", *data, "--model", "lstm", "--set", "model.hidden_size=4",
                       "--epochs", "30", "--lr", "0.001", *TINY, "--output", tmp_path / "r")
    assert code == 0, err
    saved = yaml.safe_load((tmp_path / "r" / "config.yaml").read_text())
    assert saved["train"]["epochs"] == 30 and saved["train"]["lr"] == 0.001
    lines = (tmp_path / "r" / "metrics.jsonl").read_text().splitlines()
    assert len([ln for ln in lines if '"epoch"' in ln]) == 30


def test_typed_epochs_stay_on_a_table_where_auto_scales_them(tmp_path):
    data = _table(tmp_path / "t.csv", 2400)
    auto = _setup(data)
    n_train = len(auto.bundle_.train)
    assert auto.cfg.train.epochs == table_epochs(n_train, 64, TABLE_EPOCHS) < TABLE_EPOCHS
    assert auto.trainer_.config.epochs == auto.cfg.train.epochs
    for typed in (30, TABLE_EPOCHS):          # 200 was scaled before: it equalled the default
        exp = _setup([*data, "--epochs", str(typed)])
        assert exp.cfg.train.epochs == exp.trainer_.config.epochs == typed


@pytest.mark.parametrize("batch", [32, 64])
def test_a_typed_batch_size_stays_on_a_series(tmp_path, batch):
    data = _series(tmp_path / "v.csv")
    auto = _setup(data)
    assert auto.cfg.train.batch_size == sequence_train_settings(
        len(auto.bundle_.train))["batch_size"] != batch
    exp = _setup([*data, "--batch-size", str(batch)])
    assert exp.cfg.train.batch_size == exp.trainer_.config.batch_size == batch
    assert exp.cfg.train.scheduler == "cosine"          # the keys left at auto still resolve


def test_settings_of_fit_are_typed_values(tmp_path):
    """``hakseup.fit(..., epochs=30)`` on sequences (3-D arrays) keeps its 30 epochs."""
    import hakseup

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 12, 2)).astype("float32"), rng.integers(0, 2, 40)
    result = hakseup.fit(x, y, epochs=30, lr=0.001, model="cnn", progress=False,
                         tensorboard=False, plots=False, references="none",
                         channels=[4], output=str(tmp_path / "run"))
    saved = yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())
    assert saved["train"]["epochs"] == 30 and saved["train"]["lr"] == 0.001
    assert len(result.history) == 30


def test_the_config_records_what_the_user_gave_apart_from_defaults(tmp_path):
    cfg = load_config(flags={"data.path": str(tmp_path / "t.csv"), "train.epochs": 30},
                      overrides=["train.lr=0.001"])
    assert {"data.path", "train.epochs", "train.lr"} <= cfg.given
    assert "train.optimizer" not in cfg.given and cfg.train.optimizer == "adamw"  # a default
    recipe = load_config(recipe="car-evaluation")
    assert "train.epochs" in recipe.given and recipe.train.epochs == 100
    assert RunConfig().given == frozenset() and "given" not in RunConfig().to_dict()


# ------------------------------------------------------------------ auto, printing, saving


def test_auto_values_resolve_to_numbers_and_the_config_given_is_untouched(tmp_path):
    data = _sequences(tmp_path / "s.csv")
    cfg = _flags([*data, "--epochs", "auto", "--set", "train.lr=auto",
                  "--set", "train.batch_size=AUTO", "--set", "model.ensemble=auto"])
    assert (cfg.train.epochs, cfg.train.lr, cfg.train.batch_size) == (AUTO, AUTO, AUTO)
    before = cfg.to_dict()
    exp = Experiment(cfg).setup()
    assert cfg.to_dict() == before and cfg.model.name == AUTO      # nothing written into it
    out = exp.cfg
    for key in GENERIC:
        section, name = key.split(".")
        value = getattr(getattr(out, section), name)
        assert value != AUTO, key
    assert isinstance(out.train.epochs, int) and isinstance(out.train.lr, float)
    assert out.model.name == "rocket" and out.model.ensemble == 1      # the sequence default


def test_print_config_shows_the_resolved_config(tmp_path, cli):
    data = _sequences(tmp_path / "s.csv")
    code, out, err = cli("train", *data, "--epochs", "30", "--print-config")
    assert code == 0, err
    shown = yaml.safe_load(out)
    expected = _setup([*data, "--epochs", "30"]).cfg.to_dict()
    assert shown == expected
    assert shown["model"]["name"] == "rocket" and shown["train"]["epochs"] == 30
    assert all(shown[k.split(".")[0]][k.split(".")[1]] != AUTO for k in GENERIC)
    assert shown["train"]["scheduler"] == "cosine"       # the data's choice, not 'auto'


def test_resolution_is_deterministic_and_idempotent():
    facts = DataFacts("sequence", 57, model="gru")
    cfg = RunConfig.from_dict({"train": {"epochs": 30}})
    once = resolve(cfg, facts)
    assert resolve(cfg, facts).to_dict() == once.to_dict()
    assert resolve(once, facts).to_dict() == once.to_dict()          # nothing auto is left
    assert resolve(RunConfig.from_dict(once.to_dict()), DataFacts("table", 10 ** 6)
                   ).to_dict() == once.to_dict()    # a saved config is not re-resolved


def test_a_saved_run_round_trips_and_an_old_run_folder_still_evaluates(tmp_path, cli):
    from hakseup.run.folder import load_run_config

    data = _sequences(tmp_path / "s.csv")
    code, _, err = cli("train", *data, "--epochs", "2", "--set", "model.channels=[4]", *TINY,
                       "--output", tmp_path / "r")
    assert code == 0, err
    saved = load_run_config(tmp_path / "r")
    again = Experiment(saved).setup()
    assert again.cfg.to_dict() == saved.to_dict()
    # A run folder saved before `auto` existed holds numbers only, as this one does: it is
    # rebuilt and evaluated as it trained.
    text = yaml.safe_load((tmp_path / "r" / "config.yaml").read_text())
    assert all(text[k.split(".")[0]][k.split(".")[1]] != AUTO for k in GENERIC)
    code, _, err = cli("evaluate", tmp_path / "r")
    assert code == 0, err
    assert json.loads((tmp_path / "r" / "metrics.json").read_text())


def test_a_series_window_and_season_left_to_the_data_are_recorded(tmp_path):
    data = _series(tmp_path / "v.csv")
    exp = _setup([*data, "--window", "auto"])
    assert exp.cfg.data.window == exp.bundle_.schema.input_shape[0] and exp.cfg.data.season == 7
    rebuilt = Experiment(RunConfig.from_dict(exp.cfg.to_dict())).setup()   # as a saved run
    assert rebuilt.cfg.to_dict() == exp.cfg.to_dict()
    assert all(np.array_equal(a.numpy(), b.numpy()) for a, b in zip(
        rebuilt.bundle_.train.inputs, exp.bundle_.train.inputs, strict=True))
    typed = _setup([*data, "--window", "10", "--set", "data.season=auto"])
    assert typed.cfg.data.window == 10 and typed.cfg.data.season == 7


def test_the_config_package_imports_no_lower_layer():
    """config/ is read by every layer and reads none of data, models, training, evaluation or
    cli (function-level imports included): what it needs about the data is handed in."""
    import ast
    from pathlib import Path

    import hakseup.config

    banned = ("data", "models", "training", "evaluation", "cli", "experiment", "learn")
    for path in Path(hakseup.config.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names if a.name.startswith("hakseup.")]
            elif isinstance(node, ast.ImportFrom) and node.level in (0, 2):
                names = [node.module or ""] if node.level else \
                    [m for m in [node.module or ""] if m.startswith("hakseup.")]
            else:
                continue
            for name in names:
                top = name.removeprefix("hakseup.").split(".")[0]
                assert top not in banned, f"{path.name} imports {name}"


def test_cv_and_lr_find_name_their_folder_after_the_resolved_model(tmp_path, cli):
    """The base config is no longer written into by the first fold: the folder name and the
    saved config come from the fold's resolved config."""
    code, _, err = cli("cv", "--folds", "2", "--epochs", "1", *TINY)
    assert code == 0, err
    (folder,) = (tmp_path / "runs").iterdir()
    assert folder.name.endswith("cv2-digits-mlp")
    assert yaml.safe_load((folder / "config.yaml").read_text())["model"]["name"] == "mlp"
    code, _, err = cli("lr-find", "--steps", "10", *TINY[:2])
    assert code == 0, err
    assert any(p.name.endswith("lrfind-digits-mlp") for p in (tmp_path / "runs").iterdir())
