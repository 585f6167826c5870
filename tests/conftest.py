"""Shared fixtures. Tests never touch the network; ../shared/data is optional."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
# The hostile corpora's case modules (tests/hostile/) serve the run/ tests' servers too.
sys.path.insert(0, str(Path(__file__).resolve().parent / "hostile"))

# Quick settings for runs inside tests: tiny, silent, deterministic.
FAST = ["--epochs", "2", "--no-progress", "--no-tensorboard"]


@pytest.fixture(autouse=True)
def _isolate(tmp_path, monkeypatch):
    """Every test runs in its own folder with its own cache; no run leaks into the repo."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HAKSEUP_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    # English whatever the machine's locale (LANG=ko_KR.UTF-8 would make messages Korean);
    # tests of the Korean messages set the language themselves.
    monkeypatch.setenv("HAKSEUP_LANG", "en")
    handlers = _signal_handlers()
    yield
    from hakseup.i18n import set_language

    set_language(None)
    # No test may leave a signal handler behind: a suite once ended up ignoring SIGTERM.
    assert _signal_handlers() == handlers, "a signal handler was left installed"


def _signal_handlers() -> dict:
    return {name: signal.getsignal(getattr(signal, name))
            for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)}


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


def quiet(*args, **kwargs) -> None:
    """An ``echo`` for ``train(...)`` that prints nothing."""


def quick_config(out: Path, **train):
    """A short, silent digits run written to ``out``; ``train`` overrides train.* keys."""
    from hakseup.config import RunConfig

    t = {"epochs": 4, "progress": False, "tensorboard": False, **train}
    return RunConfig.from_dict({"train": t, "output": {"dir": str(out)}})


def run_weights(run: Path, checkpoint: str = "last") -> dict:
    """A run folder's saved model weights."""
    from safetensors.torch import load_file

    return load_file(str(Path(run) / "checkpoints" / checkpoint / "model.safetensors"))


def assert_same_weights(a: dict, b: dict) -> None:
    """Bit-identical state dicts: the same names and ``torch.equal`` tensors."""
    import torch

    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k


def crash_at(step: int | None = None, epoch: int | None = None):
    """A callback that raises ``KeyboardInterrupt`` (a simulated crash) at the end of global
    ``step``, or at the end of ``epoch`` (after its checkpoint is written)."""
    from hakseup.training.callbacks import Callback

    class CrashAt(Callback):
        order = 1000                                   # after the checkpoint callbacks

        def on_train_batch_end(self, trainer, logs):
            if logs["step"] == step:
                raise KeyboardInterrupt

        def on_epoch_end(self, trainer, logs):
            if logs["epoch"] == epoch:
                raise KeyboardInterrupt

    return CrashAt()


def add_callbacks(monkeypatch, *callbacks) -> None:
    """Append ``callbacks`` to those every run of the pipeline builds, until the end of the
    test or of ``with monkeypatch.context() as m: add_callbacks(m, ...)``: for runs started
    through the CLI, which has no callbacks flag (the library takes
    ``train(cfg, callbacks=[...])``). The one place tests reach into
    ``experiment.run_callbacks``."""
    import hakseup.experiment.experiment as exp

    original = exp.run_callbacks
    monkeypatch.setattr(exp, "run_callbacks",
                        lambda *a, **k: original(*a, **k) + list(callbacks))


def crash_at_step_then_resume(tmp_path: Path, monkeypatch, cfg_for, step: int) -> dict:
    """Train ``full`` without a break; train ``part`` until a simulated crash at the end of
    global ``step``; then resume ``part``. ``cfg_for(folder)`` gives each run's config.
    Returns the trainer state in the checkpoint the crash left behind."""
    from hakseup.experiment.experiment import train
    from hakseup.training.checkpoint import load_checkpoint

    train(cfg_for(tmp_path / "full"), echo=quiet)
    with pytest.raises(KeyboardInterrupt):
        train(cfg_for(tmp_path / "part"), echo=quiet, callbacks=[crash_at(step=step)])
    _, state = load_checkpoint(tmp_path / "part" / "checkpoints" / "last")
    train(None, resume=tmp_path / "part", echo=quiet)
    return state


@pytest.fixture
def http_dir(tmp_path):
    """Serve a folder on 127.0.0.1; yields (folder, base URL)."""
    import http.server
    import threading
    from functools import partial

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):              # no access log on stderr
            pass

    root = tmp_path / "served"
    root.mkdir()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture
def new_children():
    """The multiprocessing children started since the test began and still alive: what a
    test's own workers left (a process an earlier test left behind is not this test's)."""
    import multiprocessing

    before = {p.pid for p in multiprocessing.active_children()}
    return lambda: [p for p in multiprocessing.active_children() if p.pid not in before]


def run_in_pty(cmd: list[str], env: dict, rows: int, cols: int, timeout: float,
               cwd: Path | None = None) -> tuple[int, bytes]:
    """(exit status, everything written) of ``cmd`` run on a pseudo-terminal of ``rows`` x
    ``cols`` (POSIX): what a user's terminal, or IPython's ``!command``, gives a process."""
    import fcntl
    import os
    import pty
    import struct
    import subprocess
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    p = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, env=env,
                         close_fds=True, cwd=cwd)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return p.wait(timeout=timeout), b"".join(chunks)
