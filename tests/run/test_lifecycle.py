"""One lifecycle for every run: Experiment and Run, statuses, locks, signals, exact resume."""

import json
import os
import signal
import subprocess
import sys
import time
import warnings

import pytest
import torch

from conftest import FAST, assert_same_weights, assert_user_error, quick_config, quiet, run_weights
from hakseup.config import RunConfig
from hakseup.errors import CheckpointError, ConfigError
from hakseup.experiment.experiment import Experiment, train
from hakseup.run.folder import Run, read_status
from hakseup.training.callbacks import Callback, EarlyStopping, ModelCheckpoint
from hakseup.training.checkpoint import load_checkpoint, save_checkpoint


# ---------------------------------------------------------------- Run


def test_a_run_that_fails_before_it_starts_leaves_nothing(tmp_path):
    with pytest.raises(ValueError):
        with Run(tmp_path / "root", "x", kind="train"):
            raise ValueError("bad input")
    assert not (tmp_path / "root").exists()        # the root it made is gone too


def test_a_failed_start_in_an_existing_empty_output_folder_empties_it(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(ValueError):
        with Run(explicit=str(out)) as run:
            (run.path / "config.yaml").write_text("x")
            raise ValueError("bad input")
    assert out.is_dir() and not list(out.iterdir())


def test_a_run_that_fails_after_it_started_is_marked_failed_with_the_reason(tmp_path):
    with pytest.raises(RuntimeError):
        with Run(tmp_path, "x") as run:
            run.started()
            raise RuntimeError("the loss exploded\nsecond line")
    status = read_status(run.path)
    assert status["status"] == "failed" and status["error"] == "the loss exploded"
    assert not (run.path / ".lock").exists()


def test_an_interrupted_run_is_marked_interrupted_and_a_clean_one_complete(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        with Run(tmp_path, "a") as run:
            run.started()
            raise KeyboardInterrupt
    assert read_status(run.path)["status"] == "interrupted"
    with Run(tmp_path, "b", kind="cv") as done:
        done.started()
    assert read_status(done.path)["status"] == "complete"
    assert read_status(done.path)["kind"] == "cv"


def test_two_writers_of_one_run_the_second_gets_one_clear_error(tmp_path):
    with Run(explicit=str(tmp_path / "r")) as first:
        first.started()
        (first.path / "config.yaml").write_text(RunConfig().to_yaml())
        with pytest.raises(CheckpointError, match="being written by another process"):
            with Run(resume=first.path):
                pass
        assert read_status(first.path)["status"] == "running"   # the second changed nothing
    assert read_status(first.path)["status"] == "complete"


def test_a_second_process_resuming_a_live_run_is_refused(tmp_path, cli):
    """A real second process holds the run's lock while this one tries to resume it."""
    run = tmp_path / "r"
    code, _, _ = cli("train", *FAST, "--epochs", "1", "--output", run)
    assert code == 0
    (run / "run.json").write_text(json.dumps({**read_status(run), "status": "interrupted"}))
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, sys, time; f = open(sys.argv[1], 'a+'); "
        "fcntl.flock(f, fcntl.LOCK_EX); f.write('4242'); f.flush(); print('locked', flush=True); "
        "time.sleep(30)"), str(run / ".lock")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        code, _, err = cli("train", "--resume", run)
        assert_user_error(code, err, "being written by another process")
    finally:
        holder.kill()
        holder.wait()
    assert read_status(run)["status"] == "interrupted"


@pytest.mark.parametrize("target", ["file", "under_a_file"])
def test_an_output_that_is_a_file_or_under_one_is_one_line(tmp_path, cli, target):
    (tmp_path / "f").write_text("not a folder")
    out = tmp_path / "f" if target == "file" else tmp_path / "f" / "run"
    code, _, err = cli("train", *FAST, "--output", out)
    assert_user_error(code, err, "f")
    assert (tmp_path / "f").read_text() == "not a folder"


# ---------------------------------------------------------------- commands mark their runs


def test_a_diverging_cv_is_marked_failed_not_left_running(tmp_path, cli):
    code, _, err = cli("cv", "--folds", "2", "--lr", "10000", "--optimizer", "sgd",
                       *FAST, "--output", tmp_path / "cv")
    assert_user_error(code, err, "loss became")
    status = read_status(tmp_path / "cv")
    assert status["status"] == "failed" and "loss became" in status["error"]


def test_cv_and_lr_find_complete_through_the_same_run(tmp_path, cli):
    code, out, _ = cli("cv", "--folds", "2", *FAST, "--output", tmp_path / "cv")
    assert code == 0 and read_status(tmp_path / "cv")["status"] == "complete"
    code, out, _ = cli("lr-find", "--steps", "30", "--output", tmp_path / "lr",
                       "--batch-size", "32")
    assert code == 0, out
    assert read_status(tmp_path / "lr")["status"] == "complete"
    # The suggestion is a command that trains what was swept: the data and other flags kept.
    use = [ln for ln in out.splitlines() if ln.startswith("Use it:")][0]
    assert "--batch-size 32" in use and "--lr " in use


def test_lr_find_keeps_the_data_flags_in_its_suggested_command(tmp_path, cli):
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 3))
    rows = ["a,b,c,y"] + [f"{a:.3f},{b:.3f},{c:.3f},{int(a + b > 0)}" for a, b, c in x]
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n")
    code, out, err = cli("lr-find", "--data", tmp_path / "t.csv", "--target", "y",
                         "--steps", "20", "--output", tmp_path / "lr")
    assert code == 0, err
    use = [ln for ln in out.splitlines() if ln.startswith("Use it:")][0]
    assert f"--data {tmp_path / 't.csv'}" in use and "--target y" in use


def test_the_lr_sweep_runs_the_trainers_own_step_with_clipping():
    """lr-find is the normal loop plus a callback: gradient clipping runs on every step."""
    from hakseup.training.callbacks import GradientClipping
    from hakseup.training.lr_finder import LRSweep, sweep_config

    calls = []
    original = GradientClipping.on_before_optimizer_step

    def spy(self, trainer):
        calls.append(trainer.state.global_step)
        original(self, trainer)

    cfg = RunConfig.from_dict({"train": {"grad_clip": 1.0, "progress": False}})
    cfg.train = sweep_config(cfg.train, 1e-6, 25)
    sweep = LRSweep(1e-6, 1e-3, 25)
    GradientClipping.on_before_optimizer_step = spy
    try:
        Experiment(cfg).setup().fit(callbacks=[sweep])
    finally:
        GradientClipping.on_before_optimizer_step = original
    assert len(sweep.lrs) == 25 and len(calls) == 25
    assert sweep.lrs[0] == pytest.approx(1e-6) and sweep.lrs[-1] == pytest.approx(1e-3)


# ---------------------------------------------------------------- the public API


def test_train_takes_callbacks_and_gives_back_the_model_data_and_history(tmp_path):
    seen = []

    class Spy(Callback):
        def on_epoch_end(self, trainer, logs):
            seen.append((logs["epoch"], trainer.state.global_step, type(trainer.model).__name__))

    result = train(quick_config(tmp_path / "r", epochs=2), echo=quiet, callbacks=[Spy()])
    assert [s[0] for s in seen] == [1, 2] and seen[0][2] == "MLP"
    assert result.model is not None and result.bundle.schema.task == "multiclass"
    assert result.logs["epoch"] == [1, 2]               # the trainer's History
    assert list(result.history["epoch"]) == [1, 2]       # a DataFrame, one row per epoch
    x = result.bundle.test.inputs[0][:5]
    assert result.model(x).shape == (5, 10)


def test_monitor_is_checked_against_the_logged_keys(tmp_path, cli):
    code, _, err = cli("train", *FAST, "--set", "train.monitor=val_acc",
                       "--output", tmp_path / "r")
    assert_user_error(code, err, "val_accuracy")
    assert not (tmp_path / "r").exists()


def test_monitor_callbacks_take_their_direction_from_the_metric():
    assert EarlyStopping("val_accuracy").mode == "max"
    assert EarlyStopping("val_loss").mode == "min"
    assert ModelCheckpoint("x", monitor="val_mae").mode == "min"
    es = EarlyStopping("val_accuracy", patience=1)
    es.best = 0.9
    assert es.improved(0.95) and not es.improved(0.85)
    with pytest.raises(ConfigError, match="up or down"):
        EarlyStopping("val_wobble")


# ---------------------------------------------------------------- resume stays exact


class CrashAtFitEnd(Callback):
    order = 1000

    def on_fit_end(self, trainer):
        raise KeyboardInterrupt


def test_a_run_killed_after_early_stopping_resumes_to_the_same_weights(tmp_path):
    # Patience 1 with a large LR stops early; the kill comes after the stop was checkpointed.
    extra = {"epochs": 30, "patience": 1, "lr": 0.05}
    full = train(quick_config(tmp_path / "full", **extra), echo=quiet)
    stopped = len(full.history)
    assert stopped < 30
    with pytest.raises(KeyboardInterrupt):
        train(quick_config(tmp_path / "part", **extra), echo=quiet, callbacks=[CrashAtFitEnd()])
    _, state = load_checkpoint(tmp_path / "part" / "checkpoints" / "last")
    assert state["stop_training"] is True
    resumed = train(None, resume=tmp_path / "part", echo=quiet)
    assert len(resumed.history) == stopped
    assert_same_weights(run_weights(tmp_path / "full"), run_weights(tmp_path / "part"))


def test_a_newest_checkpoint_of_the_wrong_shape_falls_back_to_the_previous(tmp_path):
    class Crash(Callback):
        order = 1000

        def on_epoch_end(self, trainer, logs):
            if logs["epoch"] == 2:
                raise KeyboardInterrupt

    train(quick_config(tmp_path / "full"), echo=quiet)
    with pytest.raises(KeyboardInterrupt):
        train(quick_config(tmp_path / "part"), echo=quiet, callbacks=[Crash()])
    last = tmp_path / "part" / "checkpoints" / "last"
    good, state = load_checkpoint(last)
    # Valid files, wrong shapes: what a hand-edit or another model's checkpoint looks like.
    save_checkpoint(last, {k: torch.zeros(3) for k in good}, state)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        train(None, resume=tmp_path / "part", echo=quiet)
    assert any("does not fit this model" in str(w.message) for w in caught)
    assert_same_weights(run_weights(tmp_path / "full"), run_weights(tmp_path / "part"))


@pytest.mark.slow
@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_sigterm_and_sighup_end_like_ctrl_c_and_resume_exactly(tmp_path, sig, code):
    args = [sys.executable, "-m", "hakseup", "train", "--epochs", "15", "--no-progress",
            "--no-tensorboard", "--seed", "5", "--patience", "6", "--scheduler", "cosine"]
    proc = subprocess.Popen(args + ["--output", str(tmp_path / "sig")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    manifest = tmp_path / "sig" / "checkpoints" / "last" / "state.json"
    deadline = time.time() + 120
    while not manifest.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.01)
    os.kill(proc.pid, sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert "Traceback" not in err
    assert read_status(tmp_path / "sig")["status"] == "interrupted"
    from hakseup.cli.main import main

    assert main(["train", "--resume", str(tmp_path / "sig")]) == 0
    assert main([*args[3:], "--output", str(tmp_path / "clean")]) == 0
    assert_same_weights(run_weights(tmp_path / "sig"), run_weights(tmp_path / "clean"))


@pytest.mark.slow
def test_random_kills_with_early_stopping_a_schedule_and_the_dataloader_resume_exactly(tmp_path):
    from soak_kill_resume import soak

    results = soak(rounds=3, seed=1, work=tmp_path)
    assert all(r["ok"] for r in results), str(results)


def test_cv_on_a_series_uses_rolling_origin_folds(tmp_path, cli):
    import numpy as np

    t = np.arange(160)
    y = 10 + 0.05 * t + np.sin(2 * np.pi * t / 12)
    dates = [f"{2000 + i // 12}-{i % 12 + 1:02d}-01" for i in t]
    (tmp_path / "s.csv").write_text("date,value\n" + "".join(
        f"{d},{v:.4f}\n" for d, v in zip(dates, y)))
    code, out, err = cli("cv", "--data", tmp_path / "s.csv", "--time-col", "date",
                         "--target", "value", "--folds", "2", *FAST,
                         "--output", tmp_path / "cv")
    assert code == 0, err
    result = json.loads((tmp_path / "cv" / "cv.json").read_text())
    assert len(result["folds"]) == 2 and "mae" in result["mean"]
    assert read_status(tmp_path / "cv")["status"] == "complete"
