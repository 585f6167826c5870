"""Exact resume after SIGKILL at random points and inside a checkpoint write; a full disk;
downloads from mirrors that misbehave."""

import errno
import json
import os
import random
import re
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


# ------------------------------------------------------------------ downloads that misbehave

@pytest.fixture(scope="module")
def hostile_url():
    from hostile_more import HostileServer

    with HostileServer() as url:
        yield url


def _fetch(url, tmp_path, monkeypatch, deadline="2"):
    from hakseup.io.download import RemoteFile, fetch

    monkeypatch.setenv("HAKSEUP_DOWNLOAD_DEADLINE", deadline)
    return fetch(RemoteFile("f.csv", "sha256", "0" * 64), tmp_path / "cache", [url],
                 progress=False)


@pytest.mark.parametrize("behaviour, says", [
    ("drip", "not finished within 2 s"),             # a byte every 0.2 s: no read ever times out
    ("slow_headers", "not finished within 2 s"),     # headers that never end
    ("badlength", "invalid Content-Length 'abc'"),
    ("shortbody", "promised 100,000 bytes and sent 640"),
    ("chunked_bad", "chunked encoding is broken"),
    ("not_http", "not an HTTP response"),
    ("many_headers", "malformed HTTP response"),
    ("redirect_http_remote", "redirected to http://example.invalid/x (refused: not HTTPS)"),
    ("redirect_ftp", "refused: not HTTPS"),
])
def test_a_misbehaving_mirror_is_one_line_and_leaves_nothing(behaviour, says, hostile_url,
                                                            tmp_path, monkeypatch):
    from hakseup.errors import DataError

    t0 = time.monotonic()
    with pytest.raises(DataError, match="Could not download 'f.csv'") as e:
        _fetch(f"{hostile_url}/{behaviour}/", tmp_path, monkeypatch)
    assert says in str(e.value) and "\n" not in str(e.value)
    assert time.monotonic() - t0 < 8                   # the deadline is for the whole download
    assert list((tmp_path / "cache").iterdir()) == []  # no partial or temporary file


@pytest.mark.parametrize("mirror, says", [
    ("http://[::1", "Invalid IPv6 URL"), ("notaurl", "expected https://host/path/"),
    ("http://127.0.0.1:99999/", "Port out of range"), ("file:///etc/", "malformed URL"),
    ("ftp://127.0.0.1/", "not HTTPS"), ("http://127.0.0.1/\x01x", "control characters"),
])
def test_a_malformed_mirror_url_is_refused_without_a_connection(mirror, says, tmp_path,
                                                                monkeypatch):
    from hakseup.errors import DataError

    with pytest.raises(DataError, match=re.escape(says)):
        _fetch(mirror, tmp_path, monkeypatch)


def test_download_deadline_setting_is_checked(tmp_path, monkeypatch):
    from hakseup.errors import DataError

    with pytest.raises(DataError, match="HAKSEUP_DOWNLOAD_DEADLINE='soon'"):
        _fetch("http://127.0.0.1:9/", tmp_path, monkeypatch, deadline="soon")


def test_a_cache_folder_that_is_a_file_is_one_line(tmp_path, monkeypatch):
    from hakseup.io.download import RemoteFile, fetch
    from hakseup.errors import DataError

    (tmp_path / "f").write_text("x")
    with pytest.raises(DataError, match="cache folder .* cannot be used: Not a directory"):
        fetch(RemoteFile("a.csv", "sha256", "0" * 64), tmp_path / "f" / "sub", ["https://x/"])
