from pathlib import Path

import pytest

from hakseup.config import RunConfig
from hakseup.config.load import apply_overrides, load_config
from hakseup.errors import ConfigError


def test_defaults_are_the_offline_digits_mlp():
    cfg = RunConfig()
    assert cfg.data.dataset == "digits" and cfg.model.name == "auto"
    assert cfg.train.epochs == "auto" and cfg.train.optimizer == "adam"   # chosen by the data
    from hakseup.config.resolve import generic_train

    assert generic_train(cfg.train).epochs >= 1


def test_unknown_key_suggests_the_closest():
    with pytest.raises(ConfigError, match=r"train\.epocs.*Did you mean 'train\.epochs'"):
        RunConfig.from_dict({"train": {"epocs": 3}})


def test_unknown_section_lists_choices():
    with pytest.raises(ConfigError,
                       match="Choose one of: data, evaluation, model, output, train, tune"):
        RunConfig.from_dict({"trian": {}})


@pytest.mark.parametrize("section,key,value,msg", [
    ("train", "epochs", -1, ">= 1"),
    ("train", "epochs", "many", "expected an integer"),
    ("train", "lr", "fast", "expected a number"),
    ("train", "scheduler", "cosin", "Choose one of"),
    ("train", "device", "tpu", "Choose one of"),
    ("model", "dropout", 1.5, "<= 0.99"),
    ("train", "shuffle", "maybe", "true/false"),
])
def test_wrong_values_are_rejected_with_the_rule(section, key, value, msg):
    with pytest.raises(ConfigError, match=msg):
        RunConfig.from_dict({section: {key: value}})


def test_yaml_1_1_float_spellings_are_accepted():
    cfg = RunConfig.from_dict({"train": {"lr": "1e-3", "epochs": 5.0}})
    assert cfg.train.lr == 1e-3 and cfg.train.epochs == 5


def test_overrides_parse_yaml_scalars_and_lists():
    d = apply_overrides({}, ["train.lr=0.01", "model.hidden=[32, 16]", "train.shuffle=false"])
    cfg = RunConfig.from_dict(d)
    assert cfg.train.lr == 0.01 and cfg.model.hidden == [32, 16] and cfg.train.shuffle is False


def test_paths_in_a_config_file_are_relative_to_the_file(tmp_path, monkeypatch):
    sub = tmp_path / "exp"
    sub.mkdir()
    (sub / "cfg.yaml").write_text("data:\n  path: data/x.csv\noutput:\n  dir: out\n")
    monkeypatch.chdir(tmp_path / "..")
    cfg = load_config(sub / "cfg.yaml")
    assert cfg.data.path == str((sub / "data" / "x.csv").resolve())
    assert cfg.output.dir == str((sub / "out").resolve())


def test_paths_from_flags_are_relative_to_the_cwd(tmp_path):
    cfg = load_config(flags={"data.path": "x.csv", "output.dir": "o"})
    assert cfg.data.path == str(Path(tmp_path, "x.csv").resolve())


def test_bad_yaml_names_the_line(tmp_path):
    (tmp_path / "bad.yaml").write_text("train:\n  epochs: [1, 2\n")
    with pytest.raises(ConfigError, match="not valid YAML at line"):
        load_config(tmp_path / "bad.yaml")


def test_missing_config_file():
    with pytest.raises(ConfigError, match="not found"):
        load_config("nope.yaml")


def test_priority_recipe_file_flags_overrides(tmp_path):
    (tmp_path / "c.yaml").write_text("train:\n  epochs: 7\n  lr: 0.5\n")
    cfg = load_config(tmp_path / "c.yaml", recipe="digits-mlp", flags={"train.epochs": "3"},
                      overrides=["train.batch_size=16"])
    assert (cfg.train.epochs, cfg.train.lr, cfg.train.batch_size) == (3, 0.5, 16)


def test_config_round_trips_through_yaml():
    import yaml

    cfg = RunConfig.from_dict({"train": {"epochs": 4}, "model": {"hidden": [8]}})
    again = RunConfig.from_dict(yaml.safe_load(cfg.to_yaml()))
    assert again == cfg


def test_a_builtin_dataset_starts_from_its_recipe_and_flags_still_win():
    cfg = load_config(flags={"data.dataset": "car-evaluation", "train.epochs": "7"})
    assert cfg.model.name == "tabular" and cfg.train.scheduler == "onecycle"
    assert cfg.train.epochs == 7 and cfg.data.target == "output"
    assert load_config(flags={"data.dataset": "sbux"}).data.test_size == 53
