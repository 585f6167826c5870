"""Shared fixtures. Tests never touch the network; ../shared/data is optional."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

# Quick settings for runs inside tests: tiny, silent, deterministic.
FAST = ["--epochs", "2", "--no-progress", "--no-tensorboard"]


@pytest.fixture(autouse=True)
def _isolate(tmp_path, monkeypatch):
    """Every test runs in its own folder with its own cache; no run leaks into the repo."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HAKSEUP_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    yield


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present")
    return SHARED_DATA


@pytest.fixture
def cli(capsys):
    """Run the CLI in process: returns (exit code, stdout, stderr)."""
    from hakseup.cli.main import main

    def run(*argv: str):
        code = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def assert_user_error(code: int, err: str, *needles: str) -> None:
    """Exit 2, exactly one line on stderr starting with 'hakseup: error:', no traceback."""
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    assert code == 2, (code, err)
    assert "Traceback" not in err, err
    assert len(lines) == 1 and lines[0].startswith("hakseup: error:"), err
    for n in needles:
        assert n.lower() in lines[0].lower(), (n, lines[0])


def crash_at_step_then_resume(tmp_path: Path, monkeypatch, cfg_for, step: int) -> dict:
    """Train ``full`` without a break; train ``part`` until a simulated crash at the end of
    global ``step``; then resume ``part``. ``cfg_for(folder)`` gives each run's config.
    Returns the trainer state in the checkpoint the crash left behind."""
    from hakseup.experiment import train
    from hakseup.training.callbacks import Callback
    from hakseup.training.checkpoint import load_checkpoint

    class CrashAtStep(Callback):
        order = 1000

        def on_train_batch_end(self, trainer, logs):
            if logs["step"] == step:
                raise KeyboardInterrupt

    quiet = lambda *a: None  # noqa: E731
    train(cfg_for(tmp_path / "full"), echo=quiet)
    with pytest.raises(KeyboardInterrupt):
        train(cfg_for(tmp_path / "part"), echo=quiet, callbacks=[CrashAtStep()])
    _, state = load_checkpoint(tmp_path / "part" / "checkpoints" / "last")
    train(None, resume=tmp_path / "part", echo=quiet)
    return state
