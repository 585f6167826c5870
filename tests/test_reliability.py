"""Exact resume after SIGKILL at random points and inside a checkpoint write; a full disk."""

import errno
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time

import pytest

from conftest import add_callbacks, assert_same_weights, crash_at, run_weights
from hakseup.training.checkpoint import load_checkpoint

ARGS = ["--epochs", "25", "--no-progress", "--no-tensorboard", "--seed", "11",
        "--checkpoint-every", "7", "--scheduler", "onecycle", "--patience", "40"]


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    from hakseup.cli.main import main

    out = tmp_path_factory.mktemp("clean") / "run"
    assert main(["train", *ARGS, "--output", str(out)]) == 0
    return run_weights(out)


@pytest.mark.slow
def test_sigkill_at_five_random_points_then_resume(tmp_path, clean):
    from hakseup.cli.main import main

    rng = random.Random(2026)
    for i in range(5):
        run = tmp_path / f"k{i}"
        proc = subprocess.Popen([sys.executable, "-m", "hakseup", "train", *ARGS, "--output",
                                 str(run)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 120
        while not (run / "metrics.jsonl").exists() and proc.poll() is None \
                and time.time() < deadline:
            time.sleep(0.005)
        time.sleep(rng.uniform(0.0, 1.5))            # somewhere in training (or a checkpoint)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        status = json.loads((run / "run.json").read_text())["status"]
        if status != "complete":                     # killed before the end: resume it
            assert main(["train", "--resume", str(run)]) == 0
        assert_same_weights(run_weights(run), clean)
        assert not list((run / "checkpoints").glob(".last.tmp-*"))


def _interrupted_run(tmp_path, monkeypatch):
    """A run stopped (Ctrl-C) at step 50, after some checkpoints: the starting point for the
    damaged states below."""
    from hakseup.cli.main import main

    with monkeypatch.context() as m:
        add_callbacks(m, crash_at(step=50))
        assert main(["train", *ARGS, "--output", str(tmp_path / "run")]) == 130
    return tmp_path / "run"


@pytest.mark.slow
def test_killed_while_writing_the_temporary_checkpoint(tmp_path, clean, monkeypatch):
    run = _interrupted_run(tmp_path, monkeypatch)
    ck = run / "checkpoints"
    partial = ck / ".last.tmp-99999"                 # what a kill mid-write leaves
    partial.mkdir()
    (partial / "model.safetensors").write_bytes(b"\x00" * 100)
    from hakseup.cli.main import main

    assert main(["train", "--resume", str(run)]) == 0
    assert_same_weights(run_weights(run), clean)
    assert not partial.exists()


@pytest.mark.slow
def test_killed_between_the_two_renames(tmp_path, clean, capsys, monkeypatch):
    run = _interrupted_run(tmp_path, monkeypatch)
    ck = run / "checkpoints"
    # Old checkpoint moved aside, new one not yet in place: only last.prev and a temp folder.
    shutil.rmtree(ck / "last.prev")
    os.replace(ck / "last", ck / "last.prev")
    from hakseup.cli.main import main

    assert main(["train", "--resume", str(run)]) == 0
    assert "hakseup: warning:" in capsys.readouterr().err        # one line, naming the fallback
    assert_same_weights(run_weights(run), clean)


def test_full_disk_keeps_the_previous_checkpoint_and_says_so(tmp_path, monkeypatch, capsys):
    import hakseup.training.checkpoint as ckpt
    from hakseup.cli.main import main

    real, calls = ckpt._save_tensors, {"n": 0}

    def save(tensors, path):
        calls["n"] += 1
        if calls["n"] == 9:                           # the 5th checkpoint folder's first file
            raise OSError(errno.ENOSPC, "No space left on device")
        real(tensors, path)

    monkeypatch.setattr(ckpt, "_save_tensors", save)
    code = main(["train", *ARGS, "--output", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 2 and "No space left" in err and "previous checkpoint is intact" in err
    assert "Traceback" not in err
    _, state = load_checkpoint(tmp_path / "r" / "checkpoints" / "last")
    assert state["global_step"] > 0
    assert json.loads((tmp_path / "r" / "run.json").read_text())["status"] == "failed"
    assert not list((tmp_path / "r" / "checkpoints").glob(".last.tmp-*"))
