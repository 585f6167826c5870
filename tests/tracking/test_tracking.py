"""Experiment tracking: TensorBoard's HParams view for train, cv and tune trials (read back
from the event files), and ``--tracker mlflow`` against a local store (read back through
MLflow's client)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from conftest import assert_user_error

TINY = ["--epochs", "2", "--no-progress", "--references", "none"]


def read_hparams(log_dir: Path) -> tuple[dict, dict, str]:
    """(hparams, {metric tag: value}, session status) as TensorBoard reads them."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.plugins.hparams import api_pb2, plugin_data_pb2

    ea = EventAccumulator(str(log_dir))
    ea.Reload()
    content = ea.PluginTagToContent("hparams")
    data = {k: plugin_data_pb2.HParamsPluginData.FromString(v) for k, v in content.items()}
    start = data["_hparams_/session_start_info"].session_start_info
    hp = {k: (v.string_value or v.number_value if v.HasField("string_value") or
              v.HasField("number_value") else v.bool_value) for k, v in start.hparams.items()}
    tags = [m.name.tag for m in data["_hparams_/experiment"].experiment.metric_infos]
    metrics = {t: ea.Scalars(t)[-1].value for t in tags}
    status = api_pb2.Status.Name(data["_hparams_/session_end_info"].session_end_info.status)
    return hp, metrics, status


def test_train_run_is_in_the_hparams_view(cli, tmp_path):
    code, out, err = cli("train", *TINY, "--lr", "0.003", "--batch-size", "32", "--seed", "7",
                         "--output", tmp_path / "run")
    assert code == 0, err
    hp, metrics, status = read_hparams(tmp_path / "run" / "tb")
    assert status == "STATUS_SUCCESS"
    assert hp["train.lr"] == pytest.approx(0.003) and hp["train.batch_size"] == 32
    assert hp["train.seed"] == 7 and hp["model.name"] == "mlp" and hp["train.epochs"] == 2
    assert hp["data.dataset"] == "digits" and hp["model.hidden"] == "[128, 64]"
    assert {"train.optimizer", "train.weight_decay", "model.dropout"} <= set(hp)
    saved = json.loads((tmp_path / "run" / "metrics.json").read_text())["metrics"]
    expected = {f"test/{k}": v for k, v in saved.items() if isinstance(v, float)}
    assert set(metrics) == set(expected) and "test/accuracy" in metrics
    for tag, value in expected.items():
        assert metrics[tag] == pytest.approx(value, rel=1e-6), tag


def test_no_tensorboard_writes_no_hparams(cli, tmp_path):
    code, _, err = cli("train", *TINY, "--no-tensorboard", "--output", tmp_path / "run")
    assert code == 0, err
    assert not (tmp_path / "run" / "tb").exists()


def test_cv_summary_is_in_the_hparams_view(cli, tmp_path):
    code, _, err = cli("cv", "--folds", "2", *TINY, "--output", tmp_path / "cv")
    assert code == 0, err
    hp, metrics, _ = read_hparams(tmp_path / "cv" / "tb")
    cv = json.loads((tmp_path / "cv" / "cv.json").read_text())
    assert hp["train.epochs"] == 2
    assert metrics["cv/accuracy"] == pytest.approx(cv["mean"]["accuracy"], rel=1e-6)
    assert metrics["cv/accuracy_std"] == pytest.approx(cv["std"]["accuracy"], rel=1e-6)


def test_every_tune_trial_is_an_hparams_session(cli, tmp_path):
    space = tmp_path / "search.yaml"
    space.write_text("train: {epochs: 2}\ntune:\n  train.lr: {low: 1.0e-4, high: 0.1, log: "
                     "true}\n  model.hidden: [[32], [64, 32]]\n")
    code, _, err = cli("tune", space, "--trials", "3", "--no-progress", "--output",
                       tmp_path / "t")
    assert code == 0, err
    trials = json.loads((tmp_path / "t" / "trials.json").read_text())
    assert len(trials) == 3
    for t in trials:
        hp, metrics, status = read_hparams(tmp_path / "t" / "tb" / f"trial-{t['trial']:04d}")
        assert hp["train.lr"] == pytest.approx(t["params"]["train.lr"])
        assert hp["model.hidden"] == "[" + ", ".join(map(str, t["params"]["model.hidden"])) + "]"
        if t["state"] == "complete":
            assert status == "STATUS_SUCCESS"
            assert metrics["tune/val_loss"] == pytest.approx(t["value"], rel=1e-6)


# --------------------------------------------------------------------------- MLflow


def mlflow_client(uri: str):
    mlflow = pytest.importorskip("mlflow")
    return mlflow.tracking.MlflowClient(tracking_uri=uri)


@pytest.mark.slow   # MLflow creates its SQLite schema (alembic migrations): ~10 s
def test_mlflow_train_logs_params_epochs_metrics_and_report(cli, tmp_path):
    pytest.importorskip("mlflow")
    store = tmp_path / "store"
    code, _, err = cli("train", *TINY, "--tracker", "mlflow", "--tracking-uri", store,
                       "--output", tmp_path / "run")
    assert code == 0, err
    client = mlflow_client(f"sqlite:///{store / 'mlflow.db'}")
    exp = client.get_experiment_by_name("hakseup")
    (run,) = client.search_runs([exp.experiment_id])
    assert run.info.status == "FINISHED" and run.info.run_name == "run"
    assert run.data.params["train.epochs"] == "2" and run.data.params["model.name"] == "mlp"
    assert run.data.tags["hakseup.kind"] == "train"
    history = client.get_metric_history(run.info.run_id, "val_loss")
    lines = [json.loads(ln) for ln in (tmp_path / "run" / "metrics.jsonl").read_text()
             .splitlines()]
    assert [m.step for m in history] == [ln["epoch"] for ln in lines] == [1, 2]
    assert [m.value for m in history] == pytest.approx([ln["val_loss"] for ln in lines])
    saved = json.loads((tmp_path / "run" / "metrics.json").read_text())["metrics"]
    assert run.data.metrics["test/accuracy"] == pytest.approx(saved["accuracy"])
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"report.md", "report.html", "metrics.json", "config.yaml", "plots"} <= artifacts
    assert json.loads((tmp_path / "run" / "mlflow.json").read_text())["run_id"] == \
        run.info.run_id


@pytest.mark.slow
def test_mlflow_default_store_is_next_to_the_runs_folder(cli, tmp_path, monkeypatch):
    pytest.importorskip("mlflow")
    monkeypatch.setenv("MLFLOW_EXPERIMENT_NAME", "digits-cv")   # MLflow's own variable
    code, _, err = cli("cv", "--folds", "2", *TINY, "--tracker", "mlflow",
                       "--set", f"output.root={tmp_path / 'work' / 'runs'}")
    assert code == 0, err
    client = mlflow_client(f"sqlite:///{tmp_path / 'work' / 'mlruns' / 'mlflow.db'}")
    (run,) = client.search_runs([client.get_experiment_by_name("digits-cv").experiment_id])
    cv = json.loads(next((tmp_path / "work" / "runs").glob("*/cv.json")).read_text())
    assert run.data.metrics["cv/accuracy"] == pytest.approx(cv["mean"]["accuracy"])
    folds = client.get_metric_history(run.info.run_id, "fold/accuracy")
    assert [m.value for m in folds] == pytest.approx([f["accuracy"] for f in cv["folds"]])
    assert "cv.json" in {a.path for a in client.list_artifacts(run.info.run_id)}


def test_mlflow_missing_is_one_line_naming_the_extra(cli, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "mlflow", None)   # import mlflow raises ImportError
    code, _, err = cli("train", *TINY, "--tracker", "mlflow", "--output", tmp_path / "run")
    assert_user_error(code, err, 'pip install "hakseup[tracking]"')
    assert not (tmp_path / "run").exists()


def test_mlflow_unreachable_server_is_one_line(cli, tmp_path, monkeypatch):
    pytest.importorskip("mlflow")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    code, _, err = cli("train", *TINY, "--tracker", "mlflow", "--tracking-uri",
                       "http://127.0.0.1:9", "--output", tmp_path / "run")
    assert_user_error(code, err, "http://127.0.0.1:9", "--tracking-uri")
    assert not (tmp_path / "run").exists()


def test_unknown_tracker_lists_the_choices(cli, tmp_path):
    code, _, err = cli("train", *TINY, "--tracker", "wandb")
    assert_user_error(code, err, "mlflow", "none")
