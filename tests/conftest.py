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
