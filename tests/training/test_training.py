"""The trainer: exact resume, schedulers, guards, callbacks, checkpoints."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

from conftest import (assert_same_weights, crash_at, crash_at_step_then_resume,
                      quick_config, quiet, run_weights)
from hakseup.config import RunConfig
from hakseup.data.datasets import load_data
from hakseup.errors import CheckpointError
from hakseup.experiment.experiment import train
from hakseup.models.registry import build_model
from hakseup.training.callbacks import Callback, EarlyStopping
from hakseup.training.checkpoint import load_checkpoint, save_checkpoint
from hakseup.training.trainer import Trainer


@pytest.mark.slow   # three whole runs per scheduler; mid-epoch resume stays in the default run
@pytest.mark.parametrize("scheduler", ["none", "onecycle", "plateau"])
def test_resume_after_a_crash_gives_bit_identical_weights(tmp_path, monkeypatch, scheduler):
    extra = {"scheduler": scheduler, "patience": 50}
    full = train(quick_config(tmp_path / "full", **extra), echo=quiet)
    # Crash at the end of epoch 2 of an identical run, through the public callbacks argument.
    with pytest.raises(KeyboardInterrupt):
        train(quick_config(tmp_path / "part", **extra), echo=quiet, callbacks=[crash_at(epoch=2)])
    assert json.loads((tmp_path / "part" / "run.json").read_text())["status"] == "interrupted"
    resumed = train(None, resume=tmp_path / "part", echo=quiet)
    assert_same_weights(run_weights(tmp_path / "full"), run_weights(tmp_path / "part"))
    assert resumed.metrics == full.metrics
    lines = (tmp_path / "part" / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(ln)["epoch"] for ln in lines] == [1, 2, 3, 4]


@pytest.mark.parametrize("loader", ["memory", "dataloader"])
def test_resume_mid_epoch_from_step_checkpoints(tmp_path, monkeypatch, loader):
    extra = {"checkpoint_every": 10, "epochs": 3, "loader": loader}
    # Step 30 is epoch 2, batch 9 of 21; a checkpoint is written at step 30.
    state = crash_at_step_then_resume(tmp_path, monkeypatch,
                                      lambda out: quick_config(out, **extra), step=30)
    assert (state["epoch"], state["batch_in_epoch"]) == (1, 9)
    assert_same_weights(run_weights(tmp_path / "full"), run_weights(tmp_path / "part"))


@pytest.mark.parametrize("loader", ["memory", "dataloader"])
def test_resume_mid_epoch_with_a_merged_last_batch(tmp_path, monkeypatch, loader):
    """1297 training rows in batches of 144: nine batches, the last of 145 (a lone sample
    merged into it); a crash after step 14 resumes from the checkpoint at step 12."""
    def cfg(out):
        return RunConfig.from_dict({
            "data": {"val_size": 230},
            "train": {"epochs": 2, "batch_size": 144, "checkpoint_every": 4, "loader": loader,
                      "progress": False, "tensorboard": False},
            "output": {"dir": str(out)}})

    state = crash_at_step_then_resume(tmp_path, monkeypatch, cfg, step=14)
    assert (state["epoch"], state["batch_in_epoch"], state["seen"]) == (1, 3, 3 * 144)
    _, done = load_checkpoint(tmp_path / "full" / "checkpoints" / "last")
    assert done["global_step"] == 2 * 9                      # nine steps an epoch, not ten
    assert_same_weights(run_weights(tmp_path / "full"), run_weights(tmp_path / "part"))


def test_tensorboard_events_survive_a_crash_and_continue_on_resume(tmp_path, monkeypatch):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    def steps(run):
        acc = EventAccumulator(str(run / "tb"))
        acc.Reload()
        return [e.step for e in acc.Scalars("loss/train_loss")]

    with pytest.raises(KeyboardInterrupt):
        train(quick_config(tmp_path / "run", tensorboard=True), echo=quiet,
              callbacks=[crash_at(epoch=2)])
    assert steps(tmp_path / "run") == [1, 2]          # published at each epoch's end
    train(None, resume=tmp_path / "run", echo=quiet)
    assert steps(tmp_path / "run") == [1, 2, 3, 4]
    assert not (tmp_path / "run" / ".tb-staging").exists()


@pytest.mark.slow
def test_sigkilled_cli_run_resumes_to_identical_weights(tmp_path):
    """A real `hakseup train` process killed with SIGKILL after its first epoch."""
    epochs = "60"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    args = [sys.executable, "-m", "hakseup", "train", "--epochs", epochs, "--no-progress",
            "--no-tensorboard", "--seed", "3"]
    proc = subprocess.Popen(args + ["--output", str(tmp_path / "killed")], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    manifest = tmp_path / "killed" / "checkpoints" / "last" / "state.json"
    deadline = time.time() + 120
    while not manifest.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    status = json.loads((tmp_path / "killed" / "run.json").read_text())["status"]
    assert status == "running"                      # killed: never marked complete
    _, state = load_checkpoint(tmp_path / "killed" / "checkpoints" / "last")
    assert 1 <= state["epoch"] < int(epochs)
    from hakseup.cli.main import main

    assert main(["train", "--resume", str(tmp_path / "killed")]) == 0
    assert main(["train", "--epochs", epochs, "--no-progress", "--no-tensorboard", "--seed", "3",
                 "--output", str(tmp_path / "clean")]) == 0
    assert_same_weights(run_weights(tmp_path / "killed"), run_weights(tmp_path / "clean"))


def test_resuming_a_complete_run_is_a_user_error(tmp_path):
    train(quick_config(tmp_path / "r", epochs=1), echo=quiet)
    with pytest.raises(CheckpointError, match="already complete"):
        train(None, resume=tmp_path / "r")


@pytest.mark.parametrize("scheduler", ["step", "multistep", "exponential", "cosine", "onecycle",
                                       "plateau", "warmup"])
def test_every_scheduler_changes_the_learning_rate(scheduler):
    bundle = load_data(RunConfig().data)
    model = build_model(RunConfig().model, bundle.schema)
    # plateau decays only when validation stalls: plain SGD with an LR too small to move the
    # loss by its threshold (1e-4, relative) stalls it (and 1e-6 halved is above its eps).
    lr, opt = (1e-6, "sgd") if scheduler == "plateau" else (1e-3, "adam")
    hist = Trainer(epochs=4, lr=lr, optimizer=opt, scheduler=scheduler, step_size=1, gamma=0.5,
                   milestones=[1], warmup_epochs=1, patience=2, progress=False).fit(model, bundle)
    lrs = [h["lr"] for h in hist]
    assert len(set(lrs)) > 1, lrs
    if scheduler == "plateau":   # patience 2 // 2 = 1 epoch: halved after the third epoch
        assert lrs == pytest.approx([lr, lr, lr, lr / 2], rel=1e-12)


def test_nan_guard_stops_with_the_step_and_a_hint():
    from hakseup.training.callbacks import TrainingDiverged

    bundle = load_data(RunConfig().data)
    bundle.train.inputs[0][5] = float("nan")
    model = build_model(RunConfig().model, bundle.schema)
    with pytest.raises(TrainingDiverged, match=r"at step \d+ .*lower the learning rate"):
        Trainer(epochs=1, shuffle=False, device="cpu", progress=False).fit(model, bundle)


def test_nan_guard_reading_every_few_steps_names_the_window():
    """The accelerator mode (losses summed on the device, read every N steps), run on the CPU."""
    from hakseup.training.callbacks import NonFiniteGuard, TrainingDiverged

    bundle = load_data(RunConfig().data)
    bundle.train.inputs[0][64 * 5] = float("nan")          # batch 6 of the unshuffled epoch
    model = build_model(RunConfig().model, bundle.schema)
    trainer = Trainer(epochs=1, shuffle=False, progress=False)
    trainer._builtin_callbacks = lambda: [NonFiniteGuard(every=4)]
    with pytest.raises(TrainingDiverged, match=r"within steps 5-8 \(epoch 1\)"):
        trainer.fit(model, bundle)


def test_nan_guard_reading_every_few_steps_checks_each_epoch_end():
    """A NaN in an epoch's last steps, after the guard's last periodic read: found when the
    epoch ends, naming that epoch and the steps since the last read."""
    from hakseup.training.callbacks import NonFiniteGuard, TrainingDiverged

    bundle = load_data(RunConfig().data)
    n = len(bundle.train)
    steps = -(-n // 64)
    bundle.train.inputs[0][n - 1] = float("inf")                    # the last batch
    model = build_model(RunConfig().model, bundle.schema)
    trainer = Trainer(epochs=2, shuffle=False, progress=False)
    trainer._builtin_callbacks = lambda: [NonFiniteGuard(every=steps + 5)]
    with pytest.raises(TrainingDiverged, match=rf"within steps 1-{steps} \(epoch 1\)"):
        trainer.fit(model, bundle)


def test_gradient_clipping_bounds_the_update():
    bundle = load_data(RunConfig().data)
    torch.manual_seed(0)
    model = build_model(RunConfig().model, bundle.schema)
    before = [p.detach().clone() for p in model.parameters()]
    Trainer(epochs=1, optimizer="sgd", lr=1.0, grad_clip=1e-3, batch_size=2000, device="cpu",
            progress=False).fit(model, bundle)
    step = torch.sqrt(sum(((p - b) ** 2).sum() for p, b in zip(model.parameters(), before)))
    assert step <= 1e-3 * 1.0001


def test_early_stopping_stops_and_is_recorded():
    bundle = load_data(RunConfig().data)
    model = build_model(RunConfig().model, bundle.schema)
    es = EarlyStopping(monitor="val_loss", patience=1, min_delta=10.0)   # never "improves"
    hist = Trainer(epochs=20, progress=False, callbacks=[es]).fit(model, bundle)
    assert len(hist) == 2 and es.stopped_epoch == 2


def test_callback_hooks_are_called_in_order():
    calls = []

    class Spy(Callback):
        def on_fit_begin(self, t): calls.append("fit_begin")
        def on_epoch_begin(self, t): calls.append("epoch_begin")
        def on_train_batch_end(self, t, logs): calls.append("batch")
        def on_epoch_end(self, t, logs): calls.append("epoch_end")
        def on_fit_end(self, t): calls.append("fit_end")

    bundle = load_data(RunConfig().data)
    model = build_model(RunConfig().model, bundle.schema)
    Trainer(epochs=1, batch_size=1000, callbacks=[Spy()], progress=False).fit(model, bundle)
    assert calls == ["fit_begin", "epoch_begin", "batch", "batch", "epoch_end", "fit_end"]


def test_checkpoint_round_trip_and_fallback_to_previous(tmp_path):
    w1 = {"w": torch.randn(3, 3)}
    np_state = np.random.RandomState(7).get_state()
    state = {"epoch": 1, "rng": np_state, "opt": {0: {"m": torch.ones(2)}},
             "t": (1, 2.5, None), "inf": float("inf")}
    save_checkpoint(tmp_path / "last", w1, state)
    w2 = {"w": torch.randn(3, 3)}
    save_checkpoint(tmp_path / "last", w2, {"epoch": 2})
    got_w, got_s = load_checkpoint(tmp_path / "last")
    assert torch.equal(got_w["w"], w2["w"]) and got_s == {"epoch": 2}
    # Damage the newest: the previous one is used, with a warning.
    data = bytearray((tmp_path / "last" / "model.safetensors").read_bytes())
    data[-1] ^= 0xFF
    (tmp_path / "last" / "model.safetensors").write_bytes(bytes(data))
    with pytest.warns(UserWarning, match="previous good one"):
        got_w, got_s = load_checkpoint(tmp_path / "last")
    assert torch.equal(got_w["w"], w1["w"]) and got_s["epoch"] == 1
    assert got_s["opt"][0]["m"].tolist() == [1.0, 1.0] and got_s["t"] == (1, 2.5, None)
    assert got_s["inf"] == float("inf")
    assert got_s["rng"][0] == "MT19937" and np.array_equal(got_s["rng"][1], np_state[1])
    assert got_s["rng"][1].dtype == np_state[1].dtype and got_s["rng"][2:] == np_state[2:]


def test_a_pickle_is_never_loaded(tmp_path):
    """A checkpoint folder holding a pickle (the classic attack) is refused, not executed."""
    import pickle

    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    (tmp_path / "ck").mkdir()
    (tmp_path / "ck" / "model.safetensors").write_bytes(pickle.dumps(Evil()))
    (tmp_path / "ck" / "state.json").write_text(json.dumps({"format": "hakseup-checkpoint/1",
                                                            "state": {}}))
    (tmp_path / "ck" / "state.safetensors").write_bytes(pickle.dumps(Evil()))
    with pytest.raises(CheckpointError):
        load_checkpoint(tmp_path / "ck")
    assert not marker.exists()
