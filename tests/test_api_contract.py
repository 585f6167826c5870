"""The Python API's contract (issue 24): every public name (``hakseup.__all__``) given a bad
argument raises the library's own error — a ``HakseupError`` (an ``ArgumentTypeError`` is
also a ``TypeError``, an ``ArgumentError`` a ``ValueError``) with one short line — never an
``AttributeError``, ``IndexError`` or a message that embeds the argument's whole text.

A name added to ``__all__`` must be added to ``BAD`` (its bad calls) or to ``NOT_CALLED`` (with
the reason): the first test fails otherwise.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

import hakseup
from hakseup.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from hakseup.data.bundle import Schema
from hakseup.errors import ArgumentError, ArgumentTypeError, HakseupError

SCHEMA = Schema("binary", "table", (2,), 2, class_names=["a", "b"],
                numeric_features=["a", "b"])


def _frame(n: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n),
                         "y": np.arange(n) % 2})


# Each public name: the bad calls (a label, a function of the test's context ``c``).
BAD: dict[str, list[tuple[str, object]]] = {
    "fit": [
        ("array-with-column-name", lambda c: hakseup.fit(np.random.rand(50, 3), target="label")),
        ("zero-rows", lambda c: hakseup.fit(np.zeros((0, 3)), np.zeros(0))),
        ("no-target", lambda c: hakseup.fit(np.zeros((5, 3)))),
        ("lengths", lambda c: hakseup.fit(np.zeros((5, 3)), np.zeros(4))),
        ("scalar-target", lambda c: hakseup.fit(np.zeros((5, 3)), 5)),
        ("series-too-short", lambda c: hakseup.fit(c.df[["a"]], target=c.df["y"].head(3))),
        ("data-none", lambda c: hakseup.fit(None, target="y")),
        ("data-int", lambda c: hakseup.fit(5)),
        ("data-object", lambda c: hakseup.fit(object(), target="y")),
        ("callbacks-int", lambda c: hakseup.fit(c.df, target="y", callbacks=5)),
        ("callbacks-list-of-int", lambda c: hakseup.fit(c.df, target="y", callbacks=[5])),
        ("setting-wrong-type", lambda c: hakseup.fit(c.df, target="y", lr="fast")),
        ("bad-setting-value", lambda c: hakseup.fit(c.df, target="y", epochs=-3)),
        ("path-with-series-target", lambda c: hakseup.fit(c.csv, target=c.df["y"])),
        ("missing-file", lambda c: hakseup.fit(c.tmp / "nope.csv", target="y")),
    ],
    "train": [
        ("path-missing", lambda c: hakseup.train(str(c.tmp / "config.yaml"))),
        ("int", lambda c: hakseup.train(5)),
        ("list", lambda c: hakseup.train([1, 2])),
        ("dict-unknown-section", lambda c: hakseup.train({"nope": {}})),
        ("section-wrong-type", lambda c: hakseup.train(RunConfig(data=5))),
        ("section-bad-value", lambda c: hakseup.train(RunConfig(train=TrainConfig(lr="x")))),
        ("callbacks-int", lambda c: hakseup.train(RunConfig(), callbacks=5)),
        ("resume-int", lambda c: hakseup.train(RunConfig(), resume=5)),
    ],
    "Experiment": [
        ("str", lambda c: hakseup.Experiment("fast")),
        ("int", lambda c: hakseup.Experiment(5)),
        ("callbacks", lambda c: hakseup.Experiment(RunConfig(), callbacks="x")),
        ("bundle", lambda c: hakseup.Experiment(RunConfig(), bundle=5)),
    ],
    "Trainer": [
        ("str", lambda c: hakseup.Trainer("fast")),
        ("dict", lambda c: hakseup.Trainer({"epochs": 2})),
        ("bad-override", lambda c: hakseup.Trainer(epochs=0)),
        ("unknown-override", lambda c: hakseup.Trainer(epoch=3)),
        ("callbacks", lambda c: hakseup.Trainer(callbacks=5)),
        ("fit-none", lambda c: hakseup.Trainer().fit(None, None)),
        ("fit-bundle-wrong", lambda c: hakseup.Trainer().fit(torch.nn.Linear(2, 2), 5)),
    ],
    "load_data": [
        ("none", lambda c: hakseup.load_data(None)),
        ("str", lambda c: hakseup.load_data("data.csv")),
        ("dict", lambda c: hakseup.load_data({"path": "x"})),
        ("bad-value", lambda c: hakseup.load_data(DataConfig(target=[1]))),
        ("seed", lambda c: hakseup.load_data(DataConfig(), seed="x")),
    ],
    "build_model": [
        ("none", lambda c: hakseup.build_model(None, None)),
        ("name-str", lambda c: hakseup.build_model("mlp", SCHEMA)),
        ("schema-none", lambda c: hakseup.build_model(ModelConfig(), None)),
        ("bad-value", lambda c: hakseup.build_model(ModelConfig(name=None), SCHEMA)),
        ("unknown-model", lambda c: hakseup.build_model(ModelConfig(name="nope"), SCHEMA)),
    ],
    "load_config": [
        ("int", lambda c: hakseup.load_config(5)),
        ("dict", lambda c: hakseup.load_config({"x": 1})),
        ("missing", lambda c: hakseup.load_config(c.tmp / "missing.yaml")),
        ("flags", lambda c: hakseup.load_config(flags=5)),
        ("recipe", lambda c: hakseup.load_config(recipe="no-such-recipe")),
    ],
    "RunResult": [
        ("predict-zero-rows", lambda c: c.result.predict(c.df.head(0))),
        ("predict-none", lambda c: c.result.predict(None)),
        ("predict-int", lambda c: c.result.predict(5)),
        ("predict-missing-file", lambda c: c.result.predict(str(c.tmp / "nope.csv"))),
    ],
    "evaluate_run": [
        ("none", lambda c: hakseup.evaluate_run(None)),
        ("int", lambda c: hakseup.evaluate_run(5)),
        ("missing", lambda c: hakseup.evaluate_run(c.tmp / "no-run")),
        ("checkpoint", lambda c: hakseup.evaluate_run(c.result.run_dir, checkpoint=5)),
    ],
    "predict_frame": [
        ("run-int", lambda c: hakseup.predict_frame(5, c.df)),
        ("df-int", lambda c: hakseup.predict_frame(c.result.run_dir, 5)),
        ("df-zero-rows", lambda c: hakseup.predict_frame(c.result.run_dir, c.df.head(0))),
    ],
    "predict_split": [
        ("none", lambda c: hakseup.predict_split(None, None)),
        ("split-int", lambda c: hakseup.predict_split(torch.nn.Linear(2, 2), 5)),
    ],
    "list_runs": [("none", lambda c: hakseup.list_runs(None)),
                  ("int", lambda c: hakseup.list_runs(5))],
    "load_checkpoint": [("none", lambda c: hakseup.load_checkpoint(None)),
                        ("missing", lambda c: hakseup.load_checkpoint(c.tmp / "nope"))],
    "save_checkpoint": [
        ("dest-none", lambda c: hakseup.save_checkpoint(None, {})),
        ("state-int", lambda c: hakseup.save_checkpoint(c.tmp / "ck", 5)),
        ("not-tensors", lambda c: hakseup.save_checkpoint(c.tmp / "ck", {"w": 5})),
    ],
    "EarlyStopping": [("monitor-int", lambda c: hakseup.EarlyStopping(monitor=5)),
                      ("patience-str", lambda c: hakseup.EarlyStopping(patience="x")),
                      ("mode", lambda c: hakseup.EarlyStopping(mode="up"))],
    "MonitorCallback": [("monitor-none", lambda c: hakseup.MonitorCallback(monitor=None))],
    "ModelCheckpoint": [("folder-none", lambda c: hakseup.ModelCheckpoint(None)),
                        ("folder-int", lambda c: hakseup.ModelCheckpoint(5))],
    "MetricsLogger": [("none", lambda c: hakseup.MetricsLogger(None))],
    "TensorBoardLogger": [("int", lambda c: hakseup.TensorBoardLogger(5))],
    # Configs are checked where they are used, field by field, as a YAML file is.
    "RunConfig": [("from-dict-int", lambda c: hakseup.RunConfig.from_dict(5)),
                  ("from-dict-value", lambda c: hakseup.RunConfig.from_dict(
                      {"train": {"epochs": "many"}}))],
    "DataConfig": [("used", lambda c: hakseup.load_data(DataConfig(val_size="x")))],
    "ModelConfig": [("used", lambda c: hakseup.build_model(ModelConfig(hidden="x"), SCHEMA))],
    "TrainConfig": [("used", lambda c: hakseup.Trainer(TrainConfig(epochs="many")))],
    "OutputConfig": [("used", lambda c: hakseup.train(RunConfig(output=hakseup.OutputConfig(
        plots="sometimes"))))],
}

NOT_CALLED = {
    "HakseupError": "the error type itself",
    "Callback": "a base class with no arguments",
    "list_datasets": "takes no arguments",
    # Containers the library builds and hands out; the functions that take them check them
    # (build_model's schema, Trainer.fit's bundle, predict_split's split).
    "Schema": "a data container", "Split": "a data container", "DatasetSplit": "a container",
    "DataBundle": "a data container", "TrainState": "a data container",
    "History": "a list of epochs", "InMemoryBatcher": "built by the Trainer",
    "LoaderBatcher": "built by the Trainer", "ProgressBar": "built by the Trainer",
    "Run": "built by hakseup.train",
}


def test_every_public_name_is_in_the_contract():
    assert set(hakseup.__all__) == set(BAD) | set(NOT_CALLED), \
        set(hakseup.__all__) ^ (set(BAD) | set(NOT_CALLED))


class _Context:
    def __init__(self, tmp: Path, result):
        self.tmp, self.result, self.df = tmp, result, _frame()
        self.csv = tmp / "t.csv"
        self.df.to_csv(self.csv, index=False)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("api")
    return hakseup.fit(_frame(), target="y", epochs=1, progress=False, quiet=True,
                       plots=False, tensorboard=False, dir=str(root / "run"))


@pytest.mark.parametrize("name,label,call", [(n, lab, f) for n, cases in BAD.items()
                                             for lab, f in cases],
                         ids=[f"{n}-{lab}" for n, cases in BAD.items() for lab, _ in cases])
def test_a_bad_argument_raises_one_short_line(name, label, call, trained, tmp_path,
                                              monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(HakseupError) as e:
        call(_Context(tmp_path, trained))
    msg = str(e.value).replace(str(tmp_path), "TMP")         # pytest's paths are long
    assert "\n" not in msg and 0 < len(msg) < 300, msg
    if isinstance(e.value, ArgumentTypeError):
        assert isinstance(e.value, TypeError)
    if isinstance(e.value, ArgumentError):
        assert isinstance(e.value, ValueError)


def test_the_issues_cases_name_their_error_types(trained):
    df = _frame()
    with pytest.raises(ArgumentTypeError, match="no column named 'label'"):
        hakseup.fit(np.random.rand(50, 3), target="label")
    with pytest.raises(ArgumentError, match="no rows"):
        hakseup.fit(np.zeros((0, 3)), np.zeros(0))
    with pytest.raises(ArgumentError, match="no rows"):
        trained.predict(df.head(0))
    with pytest.raises(ArgumentTypeError, match="TrainConfig, not str"):
        hakseup.Trainer("fast")
    with pytest.raises(ArgumentTypeError, match="DataConfig, not NoneType"):
        hakseup.load_data(None)
    with pytest.raises(ArgumentTypeError, match="callbacks must be"):
        hakseup.fit(df, target="y", callbacks=5)


def test_a_dataframe_with_a_series_target_trains(tmp_path):
    """fit(X_df, target=y_series): the Series joins the frame as its target column."""
    df = _frame()
    r = hakseup.fit(df[["a", "b"]], target=df["y"], epochs=1, progress=False, quiet=True,
                    plots=False, tensorboard=False, dir=str(tmp_path / "run"))
    assert r.schema.target == "y" and len(r.predict(df[["a", "b"]])) == len(df)


def test_train_reads_a_yaml_path_and_submodules_are_attributes(tmp_path, monkeypatch):
    import subprocess
    import sys

    code = ("import hakseup; hakseup.i18n.set_language('ko'); "
            "print(hakseup.errors.HakseupError.__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(Path(hakseup.__file__).parents[1])})
    assert out.returncode == 0 and out.stdout.strip() == "HakseupError", out.stderr
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.yaml").write_text("train:\n  epochs: many\n")
    with pytest.raises(HakseupError, match="train.epochs"):
        hakseup.train("bad.yaml")


def test_a_failed_staging_leaves_no_temporary_csv(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    df = _frame()
    with pytest.raises(HakseupError):                       # fails after staging
        hakseup.fit(df, target="nope", epochs=1, progress=False)

    def full_disk(self, *a, **k):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(pd.DataFrame, "to_csv", full_disk)
    with pytest.raises(OSError):                            # fails while staging
        hakseup.fit(df, target="y", epochs=1, progress=False)
    assert not list(tmp_path.glob("hakseup-*.csv"))
