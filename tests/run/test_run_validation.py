"""Every JSON file of a run folder is checked for types, ranges and sizes before anything is
built from it: a hand-edited or damaged file is one line ("this run is damaged: ..."), exit
2, never a traceback or a 256 GB allocation."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import FAST, assert_user_error


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[Path, Path]:
    from hakseup.cli.main import main

    root = tmp_path_factory.mktemp("validation")
    rng = np.random.default_rng(0)
    data = root / "d.csv"
    pd.DataFrame({"x": rng.normal(size=60), "c": rng.choice(["a", "b", "c"], 60),
                  "y": rng.choice(["p", "q"], 60)}).to_csv(data, index=False)
    assert main(["train", "--data", str(data), "--target", "y", "--model", "tabular", *FAST,
                 "--set", "output.plots=false", "--output", str(root / "run")]) == 0
    return root / "run", data


def _edit(run: Path, name: str, change) -> None:
    path = run / name
    d = json.loads(path.read_text())
    change(d)
    path.write_text(json.dumps(d))


def _set(key, value, section=None):
    def change(d):
        (d[section] if section else d)[key] = value
    return change


SCHEMA = [("cardinalities", ["4"]), ("cardinalities", [10 ** 10]), ("n_outputs", 10 ** 9),
          ("input_shape", [10 ** 9]), ("class_names", {"a": 1}), ("n_outputs", "2"),
          ("threshold", "high"), ("numeric_features", 5)]
PREPROCESSING = [("means_", {"x": "abc"}), ("stds_", "abc"), ("vocab_", {"c": 5}),
                 ("medians_", [1, 2]), ("classes_", 3)]
COMMANDS = [["evaluate"], ["summary"], ["export", "--format", "torchscript", "--output",
                                        "m.pt"], ["predict", "--data", "{data}", "--output",
                                                  "o.csv"]]


@pytest.mark.parametrize("name,key,value", [("schema.json", k, v) for k, v in SCHEMA]
                         + [("preprocessing.json", k, v) for k, v in PREPROCESSING])
def test_a_hand_edited_json_field_is_one_line_for_every_command(trained, tmp_path, cli, name,
                                                               key, value):
    src, data = trained
    run = tmp_path / "run"
    shutil.copytree(src, run)
    _edit(run, name, _set(key, value))
    for cmd in COMMANDS:
        argv = [cmd[0], run, *[a.replace("{data}", str(data)) for a in cmd[1:]]]
        # A huge but well-typed cardinality is caught by the weights' shapes (the model is
        # built on the meta device, no memory): the line then names the weights.
        where = ("weights",) if value == [10 ** 10] else (name, key)
        assert_user_error(*cli(*argv)[::2], "damaged", *where)
    assert not (tmp_path / "o.csv").exists()


def test_the_python_api_checks_the_folder_too(trained, tmp_path):
    from hakseup.errors import DamagedRunError
    from hakseup.experiment.experiment import load_trained

    src, _ = trained
    shutil.copytree(src, tmp_path / "run")
    _edit(tmp_path / "run", "schema.json", _set("n_outputs", 10 ** 9))
    with pytest.raises(DamagedRunError, match="n_outputs"):
        load_trained(tmp_path / "run")


@pytest.mark.parametrize("key,value,section", [
    ("sha256", [1, 2], None), ("epoch", "two", "meta"), ("epoch", "x", "state"),
    ("global_step", -5, "state"), ("history", "none", "state"), ("meta", [], None)])
def test_a_damaged_state_json_is_refused_before_resuming(trained, tmp_path, cli, key, value,
                                                         section):
    src, _ = trained
    run = tmp_path / "run"
    shutil.copytree(src, run)
    _edit(run, "run.json", _set("status", "failed"))
    for ck in ("last", "last.prev"):
        if (run / "checkpoints" / ck).exists():
            _edit(run / "checkpoints" / ck, "state.json", _set(key, value, section))
    assert_user_error(*cli("train", "--resume", run, *FAST)[::2], "state.json", key)


def test_one_damaged_checkpoint_falls_back_to_the_previous(trained, tmp_path, cli):
    src, _ = trained
    run = tmp_path / "run"
    shutil.copytree(src, run)
    _edit(run, "run.json", _set("status", "failed"))
    if not (run / "checkpoints" / "last.prev").exists():
        pytest.skip("no previous checkpoint kept")
    _edit(run / "checkpoints" / "last", "state.json", _set("epoch", "two", "meta"))
    code, _, err = cli("train", "--resume", run, *FAST)
    assert code == 0, err
    assert "Traceback" not in err


def test_the_untouched_run_still_passes_every_check(trained, cli):
    run, data = trained
    from hakseup.run.check import check_run

    cfg, schema, pre = check_run(run)
    assert schema.n_outputs == 2 and schema.cardinalities
    assert cli("evaluate", run)[0] == 0


@pytest.mark.parametrize("text", ["[]", '{"status": ["complete"], "name": 5}',
                                  '{"main_metric": {"accuracy": "high"}}'])
def test_a_damaged_run_json_is_one_line_for_resume_and_evaluate(trained, tmp_path, cli, text):
    src, _ = trained
    run = tmp_path / "run"
    shutil.copytree(src, run)
    (run / "run.json").write_text(text)
    assert_user_error(*cli("train", "--resume", run, *FAST)[::2], "damaged", "run.json")
    assert_user_error(*cli("evaluate", run)[::2], "damaged", "run.json")
