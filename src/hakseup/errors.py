"""User errors: one clear line, exit status 2, never a traceback.

Every mistake a user can make (a missing file, an unknown key, a wrong type) raises a
``HakseupError`` whose message says what happened, what was expected and how to fix it.
The command line prints ``hakseup: error: <message>`` and exits with status 2.

Example:
    >>> raise HakseupError(unknown_choice("model", "lstn", ["mlp", "lstm"]))
    ... # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    hakseup.errors.HakseupError: Unknown model 'lstn'. Did you mean 'lstm'?
    Choose one of: lstm, mlp.
"""

from __future__ import annotations

import difflib
import errno
import warnings
from collections.abc import Iterable
from typing import ClassVar

__all__ = [
    "HakseupError",
    "ConfigError",
    "DataError",
    "CheckpointError",
    "DamagedRunError",
    "Interrupted",
    "ArgumentError",
    "ArgumentTypeError",
    "check_type",
    "unknown_choice",
    "closest",
    "describe_os_error",
    "HakseupWarning",
]


class HakseupWarning(UserWarning):
    """What the user should know about their data or run (unseen categories, a possible
    leak): shown as one line, ``hakseup: warning: ...``, in a notebook or script too — not
    as ``/site-packages/hakseup/models/forward.py:87: UserWarning: ...`` and its source line.
    Other warnings keep Python's format."""


def _format_warning(message, category, filename, lineno, line=None):
    if isinstance(category, type) and issubclass(category, HakseupWarning):
        from .i18n import t

        text = str(message).strip().splitlines()[0] if str(message).strip() else ""
        return t("cli.warning", message=text) + "\n"
    return _python_format(message, category, filename, lineno, line)


# Installed once, delegating every other category to the format in place before.
if not getattr(warnings.formatwarning, "hakseup", False):
    _python_format = warnings.formatwarning
    _format_warning.hakseup = True  # type: ignore[attr-defined]
    warnings.formatwarning = _format_warning


class HakseupError(Exception):
    """A mistake in the user's input; the CLI turns it into one line and exit status 2."""

    exit_code = 2


class ConfigError(HakseupError):
    """A config file, flag or override that cannot be used."""


class DataError(HakseupError):
    """A dataset or CSV file that cannot be used."""


class CheckpointError(HakseupError):
    """A run folder or checkpoint that is missing, corrupt or incompatible."""


class ArgumentError(HakseupError, ValueError):
    """A Python API argument of the right type whose value cannot be used (no rows, ...)."""


class ArgumentTypeError(HakseupError, TypeError):
    """A Python API argument of the wrong type: ``hakseup.load_data(None)``."""


def check_type(
    value: object, kinds: type | tuple[type, ...], function: str, name: str, expected: str
) -> None:
    """Raise ``ArgumentTypeError`` (one line, the value's type named, never its text) unless
    ``value`` is one of ``kinds``; ``expected`` says in words what to give.

    >>> check_type(5, str, "hakseup.load_data", "cfg", "a DataConfig")
    Traceback (most recent call last):
    hakseup.errors.ArgumentTypeError: hakseup.load_data: cfg must be a DataConfig, not int.
    """
    if (
        not isinstance(value, kinds)
        or isinstance(value, bool)
        and bool not in (kinds if isinstance(kinds, tuple) else (kinds,))
        and int in (kinds if isinstance(kinds, tuple) else (kinds,))
    ):
        from .i18n import t

        raise ArgumentTypeError(
            t(
                "error.api.wrong_type",
                function=function,
                name=name,
                expected=expected,
                got=type(value).__name__,
            )
        )


class Interrupted(KeyboardInterrupt):
    """SIGTERM or SIGHUP, ended like Ctrl-C: the run is marked interrupted and resumable; the
    exit status is 128 + the signal's number (143, 129), as a shell reports it.

    ``pending`` keeps the signal until the command ends: when the signal comes while garbage
    collection runs a weakref callback or a ``__del__``, Python prints the exception raised
    there and drops it ("Exception ignored in ..."), so the training loop calls ``check``
    after each step and the signal still ends the run."""

    pending: ClassVar[int | None] = None

    def __init__(self, signum: int):
        import signal

        super().__init__(signal.Signals(signum).name)
        self.exit_code = 128 + signum

    @classmethod
    def check(cls) -> None:
        """Raise the signal that came and was not yet acted on, if one did."""
        if cls.pending is not None:
            raise cls(cls.pending)


class DamagedRunError(CheckpointError):
    """A run folder whose files are missing, unreadable or hand-edited into nonsense."""

    def __init__(self, run: object, what: str):
        from .i18n import t

        super().__init__(t("error.damaged_run", run=run, what=what))


# What the operating system says, and what the user can do about it. Only conditions of the
# user's machine and paths are listed: any other OSError is a bug and keeps its traceback.
_OS_HINTS = {
    errno.ENOSPC: "the disk is full; free some space or write elsewhere (--output DIR)",
    errno.EDQUOT: "the disk quota is exceeded; free some space or write elsewhere",
    errno.EFBIG: "the file is larger than this system allows; write elsewhere",
    errno.EACCES: "permission denied; choose a path you may read and write",
    errno.EPERM: "the operation is not permitted there; choose another path",
    errno.EROFS: "the file system is read-only; choose a writable path",
    errno.ENOTDIR: "a part of the path is a file, not a folder; fix the path",
    errno.EISDIR: "the path is a folder; expected a file",
    errno.ELOOP: "the path is a symbolic link loop; fix the link",
    errno.ENAMETOOLONG: "the path is too long; choose a shorter one",
    errno.EEXIST: "the path already exists; choose another one",
    errno.ENOENT: "no such file or folder; check the path",
    errno.EIO: "the device reported an input/output error; check the disk",
}


def _hint(code: int) -> str:
    """What to do about an OS error, in the language chosen (``oshint.<ERRNO NAME>``)."""
    from .i18n import term

    hint = term("oshint", errno.errorcode.get(code, ""))
    return _OS_HINTS[code] if hint == errno.errorcode.get(code, "") else hint


def describe_os_error(e: BaseException) -> str | None:
    """One line for an ``OSError`` caused by the machine or a path (a full disk, a read-only
    folder, a file where a folder belongs), or ``None`` for any other error.

    safetensors reports a write failure as its own error whose text carries the OS error's
    name (``StorageFull``, ``PermissionDenied``), so that is recognised too.

    >>> describe_os_error(OSError(errno.EROFS, "Read-only file system", "/x"))
    "Read-only file system: '/x' (the file system is read-only; choose a writable path)."
    >>> describe_os_error(ValueError("bug")) is None
    True
    """
    if (
        isinstance(e, OSError)
        and e.errno in _OS_HINTS
        and (e.filename or e.errno not in (errno.ENOENT, errno.EEXIST, errno.EISDIR))
    ):
        where = f": '{e.filename}'" if e.filename else ""
        return f"{e.strerror or 'Error'}{where} ({_hint(e.errno)})."
    text = str(e)
    for marker, code in (
        ("StorageFull", errno.ENOSPC),
        ("No space left", errno.ENOSPC),
        ("PermissionDenied", errno.EACCES),
        ("Permission denied", errno.EACCES),
        ("ReadOnlyFilesystem", errno.EROFS),
        ("Read-only file", errno.EROFS),
        ("QuotaExceeded", errno.EDQUOT),
        ("FileTooLarge", errno.EFBIG),
        ("database or disk is full", errno.ENOSPC),
    ):  # SQLite (Optuna's study)
        if marker in text and type(e).__name__ in (
            "SafetensorError",
            "OSError",
            "RuntimeError",
            "OperationalError",
        ):
            from .i18n import t

            return t("error.could_not_write", hint=_hint(code))
    return None


def closest(word: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """The choices that look most like ``word`` (for 'did you mean' hints)."""
    return difflib.get_close_matches(str(word), [str(c) for c in choices], n=n, cutoff=0.6)


def unknown_choice(what: str, value: object, choices: Iterable[str]) -> str:
    """A Keras-style message: ``Unknown model 'lstn'. Did you mean 'lstm'? Choose one of: ...``."""
    from .i18n import t, term

    choices = sorted(str(c) for c in choices)
    near = closest(str(value), choices, n=1)
    hint = t("error.did_you_mean", names=f"'{near[0]}'") if near else ""
    return t(
        "error.unknown_choice",
        what=term("what", what),
        value=value,
        hint=hint,
        choices=", ".join(choices),
    )
