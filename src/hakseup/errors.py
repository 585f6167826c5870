"""User errors: one clear line, exit status 2, never a traceback.

Every mistake a user can make (a missing file, an unknown key, a wrong type) raises a
``HakseupError`` whose message says what happened, what was expected and how to fix it.
The command line prints ``hakseup: error: <message>`` and exits with status 2.

Example:
    >>> raise HakseupError(unknown_choice("model", "lstn", ["mlp", "lstm"]))
    Traceback (most recent call last):
    hakseup.errors.HakseupError: Unknown model 'lstn'. Did you mean 'lstm'? Choose one of: lstm, mlp.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["HakseupError", "ConfigError", "DataError", "CheckpointError", "Interrupted",
           "unknown_choice", "closest"]


class HakseupError(Exception):
    """A mistake in the user's input; the CLI turns it into one line and exit status 2."""

    exit_code = 2


class ConfigError(HakseupError):
    """A config file, flag or override that cannot be used."""


class DataError(HakseupError):
    """A dataset or CSV file that cannot be used."""


class CheckpointError(HakseupError):
    """A run folder or checkpoint that is missing, corrupt or incompatible."""


class Interrupted(KeyboardInterrupt):
    """SIGTERM or SIGHUP, ended like Ctrl-C: the run is marked interrupted and resumable; the
    exit status is 128 + the signal's number (143, 129), as a shell reports it."""

    def __init__(self, signum: int):
        import signal

        super().__init__(signal.Signals(signum).name)
        self.exit_code = 128 + signum


def closest(word: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """The choices that look most like ``word`` (for 'did you mean' hints)."""
    return difflib.get_close_matches(str(word), [str(c) for c in choices], n=n, cutoff=0.6)


def unknown_choice(what: str, value: object, choices: Iterable[str]) -> str:
    """A Keras-style message: ``Unknown model 'lstn'. Did you mean 'lstm'? Choose one of: ...``."""
    choices = sorted(str(c) for c in choices)
    near = closest(str(value), choices, n=1)
    hint = f" Did you mean '{near[0]}'?" if near else ""
    return f"Unknown {what} '{value}'.{hint} Choose one of: {', '.join(choices)}."
