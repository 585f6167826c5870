"""`hakseup train` end to end on the offline digits data, and the run folder it writes."""

import json
from pathlib import Path

import pytest
import yaml

from conftest import FAST, assert_user_error
from hakseup.cli.main import COMMANDS


def test_train_default_writes_a_complete_run_folder(cli, tmp_path):
    code, out, err = cli("train", "--epochs", "12", "--no-progress", "--output", "run")
    assert code == 0, err
    run = Path("run")
    for name in ["config.yaml", "environment.json", "metrics.jsonl", "metrics.json",
                 "checkpoints/last/model.safetensors", "checkpoints/last/state.json",
                 "checkpoints/best/model.safetensors", "plots/loss.png",
                 "plots/confusion_matrix.png", "report.md", "report.html", "run.json",
                 "preprocessing.json", "schema.json"]:
        assert (run / name).is_file(), name
    assert json.loads((run / "run.json").read_text())["status"] == "complete"
    lines = (run / "metrics.jsonl").read_text().splitlines()
    assert len(lines) == 12 and json.loads(lines[-1])["epoch"] == 12
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["metrics"]["accuracy"] >= 0.9
    assert metrics["baseline"]["name"] == "majority class"
    report = (run / "report.md").read_text()
    assert "majority class" in report and f"{metrics['metrics']['accuracy']:.4f}" in report
    assert "accuracy" in out and "majority class" in out          # the printed table
    cfg = yaml.safe_load((run / "config.yaml").read_text())
    assert cfg["train"]["epochs"] == 12 and cfg["model"]["name"] == "mlp"
    env = json.loads((run / "environment.json").read_text())
    from hakseup.training.device import resolve_device

    assert env["torch"] and env["device"] == resolve_device("auto").type   # cuda on a GPU


def test_tensorboard_event_files_hold_the_loss_scalars(cli):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    code, _, err = cli("train", "--epochs", "3", "--no-progress", "--output", "tbrun")
    assert code == 0, err
    acc = EventAccumulator("tbrun/tb")
    acc.Reload()
    tags = acc.Tags()["scalars"]
    assert "loss/train_loss" in tags and "loss/val_loss" in tags
    assert [e.step for e in acc.Scalars("loss/train_loss")] == [1, 2, 3]
    # Written in a staging folder and published by rename: nothing of it is left behind.
    assert not (Path("tbrun") / ".tb-staging").exists()
    assert not list(Path("tbrun/tb").glob(".*"))


def test_seed_notebook_flags_are_honoured(cli):
    code, _, err = cli("train", "--epochs", "2", "--batch-size", "64", "--lr", "1e-3",
                       "--seed", "125", "--device", "cpu", "--optimizer", "adam",
                       "--scheduler", "cosine", "--no-progress", "--no-tensorboard",
                       "--output", "r")
    assert code == 0, err
    cfg = yaml.safe_load(Path("r/config.yaml").read_text())
    assert (cfg["train"]["seed"], cfg["train"]["scheduler"], cfg["train"]["epochs"]) == (125, "cosine", 2)
    assert len(Path("r/metrics.jsonl").read_text().splitlines()) == 2


def test_config_file_with_set_override(cli, tmp_path):
    Path("exp").mkdir()
    Path("exp/c.yaml").write_text("train:\n  epochs: 9\n  progress: false\n"
                                  "  tensorboard: false\noutput:\n  dir: out\n")
    code, _, err = cli("train", "exp/c.yaml", "--set", "train.epochs=1")
    assert code == 0, err
    assert Path("exp/out/run.json").is_file()          # relative to the config file
    assert len(Path("exp/out/metrics.jsonl").read_text().splitlines()) == 1


def test_print_config_prints_and_exits(cli):
    code, out, _ = cli("train", "--epochs", "3", "--print-config")
    assert code == 0
    assert yaml.safe_load(out)["train"]["epochs"] == 3
    assert not Path("runs").exists()


def test_evaluate_reproduces_the_test_metrics(cli):
    code, _, err = cli("train", *FAST, "--output", "r")
    assert code == 0, err
    saved = json.loads(Path("r/metrics.json").read_text())["metrics"]
    code, out, err = cli("evaluate", "r")
    assert code == 0, err
    assert f"{saved['accuracy']:.4f}" in out


@pytest.mark.parametrize("argv,needle", [
    (["train", "--epochs", "-1"], ">= 1"),
    (["train", "--epochs", "ten"], "expected an integer"),
    (["train", "--optimizer", "adamm"], "Did you mean 'adam'"),
    (["train", "--scheduler", "linear"], "Choose one of"),
    (["train", "--dataset", "mnistt"], "Unknown dataset"),
    (["train", "--model", "lstn"], "Unknown model"),
    (["train", "missing.yaml"], "not found"),
    (["train", "--set", "train.epocs=3"], "Did you mean 'train.epochs'"),
    (["train", "--set", "nonsense"], "KEY=VALUE"),
    (["train", "--bogus-flag"], "unrecognized arguments"),
    (["evaluate", "no/such/run"], "does not exist"),
    (["frobnicate"], "invalid choice"),
])
def test_user_errors_are_one_line_and_exit_2(cli, argv, needle):
    code, out, err = cli(*argv)
    assert_user_error(code, err, needle)
    assert not Path("runs").exists()                    # nothing half-written


def test_bad_yaml_and_unknown_key_in_a_file(cli):
    Path("bad.yaml").write_text("train: {epochs: 2\n")
    assert_user_error(*cli("train", "bad.yaml")[::2], "not valid YAML")
    Path("unk.yaml").write_text("model:\n  hiden: [3]\n")
    assert_user_error(*cli("train", "unk.yaml")[::2], "model.hidden")


def test_existing_output_folder_is_not_overwritten(cli):
    Path("r").mkdir()
    Path("r/keep.txt").write_text("mine")
    assert_user_error(*cli("train", *FAST, "--output", "r")[::2], "already exists")
    assert Path("r/keep.txt").read_text() == "mine"


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_examples(cli, capsys, command):
    with pytest.raises(SystemExit) as e:
        cli(command, "--help")
    out = capsys.readouterr().out
    assert e.value.code == 0
    assert out.startswith(f"usage: hakseup {command}") and "\nexample" in out.lower(), out
    example = next(ln for ln in out.splitlines() if ln.strip().startswith("hakseup "))
    assert example.split()[1] == command, example                # an example of this command


def test_top_level_help_lists_every_command(cli, capsys):
    with pytest.raises(SystemExit):
        cli("--help")
    out = capsys.readouterr().out
    assert "examples:" in out and all(c in out for c in COMMANDS)


def test_doctor_reports_torch_and_devices(cli):
    code, out, _ = cli("doctor")
    assert code == 0 and "torch" in out and "CUDA" in out and "Python" in out


def test_datasets_and_recipes_list_every_one(cli):
    from hakseup.config.load import recipe_names
    from hakseup.data.datasets import list_datasets

    code, out, _ = cli("datasets")
    listed = {ln.split()[0] for ln in out.splitlines() if ln.strip()}
    assert code == 0 and {d.name for d in list_datasets()} <= listed
    assert {"digits", "line", "mnist", "car-evaluation", "sbux"} <= listed
    code, out, _ = cli("recipes")
    listed = {ln.split()[0] for ln in out.splitlines() if ln.strip()}
    assert code == 0 and set(recipe_names()) <= listed and "digits-mlp" in listed


def test_python_dash_m_entry_point(tmp_path):
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "hakseup", "--version"], capture_output=True,
                       text=True, timeout=60)
    from importlib.metadata import version

    assert r.returncode == 0 and r.stdout.strip() == f"hakseup {version('hakseup')}"


def test_evaluate_with_weights_that_do_not_fit_the_config(cli):
    assert cli("train", *FAST, "--output", "r")[0] == 0
    cfg = yaml.safe_load(Path("r/config.yaml").read_text())
    cfg["model"]["hidden"] = [7]                      # the saved weights are 128/64 wide
    Path("r/config.yaml").write_text(yaml.safe_dump(cfg))
    assert_user_error(*cli("evaluate", "r")[::2], "do not fit")
