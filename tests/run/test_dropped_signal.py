"""A SIGTERM that comes while garbage collection runs a weakref callback or a ``__del__``:
Python prints the exception raised there and drops it, and the run went on to complete with
exit status 0 (the kill-and-resume soak caught it beside other jobs). The signal is kept
(``Interrupted.pending``): the training loop and the run's completion act on it, and the
dropped exception prints no traceback."""

from __future__ import annotations

import gc
import signal
import sys

import pytest

from conftest import quick_config, quiet
from hakseup.errors import Interrupted
from hakseup.run.folder import read_status


class _RaisesWhenCollected:
    def __init__(self, exc: BaseException):
        self.exc = exc

    def __del__(self):
        raise self.exc


@pytest.fixture
def cli_signals(monkeypatch):
    """The CLI's handlers and hook, as ``main`` installs them, restored afterwards."""
    from hakseup.cli import main

    previous = main._end_like_ctrl_c()
    try:
        yield main
    finally:
        main._restore_signals(previous)


def test_a_dropped_interrupt_is_not_reported_and_stays_pending(monkeypatch):
    from hakseup.cli import main

    seen = []  # what would print "Exception ignored in ..." with a traceback
    monkeypatch.setattr(sys, "unraisablehook", lambda u: seen.append(type(u.exc_value)))
    previous = main._end_like_ctrl_c()
    try:
        Interrupted.pending = signal.SIGTERM  # what the handler records before raising
        _RaisesWhenCollected(Interrupted(signal.SIGTERM))
        gc.collect()
        assert seen == []
        with pytest.raises(Interrupted):
            Interrupted.check()
        _RaisesWhenCollected(ValueError("another error"))  # other errors still reported
        gc.collect()
        assert seen == [ValueError]
    finally:
        main._restore_signals(previous)


def test_restoring_the_signals_forgets_a_pending_one_and_puts_the_hook_back():
    from hakseup.cli import main

    hook = sys.unraisablehook
    previous = main._end_like_ctrl_c()
    assert sys.unraisablehook is not hook
    Interrupted.pending = signal.SIGTERM
    main._restore_signals(previous)
    assert sys.unraisablehook is hook and Interrupted.pending is None
    Interrupted.check()  # nothing pending: no exception


def test_a_pending_signal_ends_training_as_interrupted(tmp_path, cli_signals):
    from hakseup.experiment.experiment import train

    Interrupted.pending = signal.SIGTERM  # its exception was dropped before the first step
    with pytest.raises(Interrupted) as caught:
        train(quick_config(tmp_path / "run"), echo=quiet)
    assert caught.value.exit_code == 143
    assert read_status(tmp_path / "run")["status"] == "interrupted"
