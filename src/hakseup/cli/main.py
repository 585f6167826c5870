"""``hakseup``: the command line. Each subcommand module registers its own parser.

Exit status: 0 success · 1 a condition asked about is false (e.g. ``gpu`` with no GPU) ·
2 a user error (one line on stderr: ``hakseup: error: ...``) · 130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import warnings

from ..errors import HakseupError, Interrupted
from ..i18n import LANGUAGES, t

__all__ = ["main", "run", "quick_exit", "build_parser"]

# Light modules only: parsing must not import torch (``hakseup --help`` stays fast).
COMMANDS = [
    "train",
    "evaluate",
    "predict",
    "cv",
    "tune",
    "lr-find",
    "inspect",
    "summary",
    "runs",
    "export",
    "code",
    "datasets",
    "recipes",
    "doctor",
    "gpu",
    "bayes",
    "adjust",
]

EXAMPLES = """\
  hakseup train                                  # MLP on the offline digits dataset
  hakseup train --epochs 20 --lr 1e-3 --seed 125 --optimizer adam --scheduler cosine
  hakseup train config.yaml --set train.epochs=5
  hakseup evaluate runs/<id>
  hakseup doctor
"""


class Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line and exit status 2."""

    def error(self, message: str):  # noqa: D401
        raise HakseupError(t("cli.usage_error", message=message, prog=self.prog))


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="hakseup",
        description=f"{t('cli.description')}\n\n{t('cli.examples')}\n{EXAMPLES}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=_VersionAction)
    # Read (and taken out of argv) by main() before parsing, wherever it stands; listed here
    # for --help. The help texts are built with the parser, so the language comes first.
    parser.add_argument("--lang", choices=LANGUAGES, help=t("cli.lang_help"))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name in COMMANDS:
        module = importlib.import_module(f".{name.replace('-', '_')}", __package__)
        module.register(sub)
    return parser


class _VersionAction(argparse.Action):
    """``--version``, looked up only when asked (importlib.metadata costs ~25 ms a command)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, **kwargs):
        super().__init__(
            option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=t("cli.version_help")
        )

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"hakseup {_version()}")  # on stdout, like argparse's own version action
        parser.exit()


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("hakseup")
    except PackageNotFoundError:
        return "0+unknown"


def _one_line_warnings(message, category, filename, lineno, file=None, line=None):
    text = str(message).strip().splitlines()[0] if str(message).strip() else category.__name__
    print(t("cli.warning", message=text), file=file or sys.stderr)


def _raise_interrupted(signum, frame):
    Interrupted.pending = signum  # kept in case this exception is dropped (Interrupted)
    raise Interrupted(signum)


def _end_like_ctrl_c() -> dict:
    """SIGTERM and SIGHUP end a command like Ctrl-C (a run is marked interrupted, resumable).
    Returns the previous handlers (and, under ``"unraisable"``, the previous hook)."""
    import signal

    previous: dict = {}
    for name in ("SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None:
            try:
                previous[sig] = signal.signal(sig, _raise_interrupted)
            except ValueError:  # not the main thread (e.g. inside a test runner's thread)
                pass
    hook = previous["unraisable"] = sys.unraisablehook

    def quiet_dropped_interrupt(unraisable) -> None:
        # The signal came while garbage collection ran a callback, which dropped its
        # exception: it is acted on at the next step (errors.Interrupted), not a traceback.
        if not isinstance(unraisable.exc_value, Interrupted):
            hook(unraisable)

    sys.unraisablehook = quiet_dropped_interrupt
    return previous


def _restore_signals(previous: dict) -> None:
    """The handlers and hook ``_end_like_ctrl_c`` replaced, back; no signal pending."""
    import signal

    for sig, handler in previous.items():
        if sig == "unraisable":
            sys.unraisablehook = handler
        else:
            signal.signal(sig, handler)
    Interrupted.pending = None


def _machine_error(e: BaseException) -> str | None:
    """One line for an error of the machine or a path (a full disk, a read-only folder, a file
    where a folder belongs) — also when it is the cause of another error, as when writing
    the 'failed' status fails on the same full disk — else None."""
    from ..errors import describe_os_error

    cur: BaseException | None = e
    seen = 0
    while cur is not None and seen < 6:
        line = describe_os_error(cur)
        if line:
            return line
        cur, seen = cur.__cause__ or cur.__context__, seen + 1
    return None


def _argparse_text(message: str) -> str:
    """argparse's own words (``usage:``, ``options``, its errors) from our catalog when it has
    them (``argparse.<English>``), else what gettext gives: Python ships no Korean for them."""
    import gettext

    from ..i18n import catalog

    key = f"argparse.{message}"
    return t(key) if key in catalog("en") else gettext.gettext(message)


def _take_language(argv: list[str] | None) -> list[str]:
    """Set the language from ``--lang X`` (anywhere before ``--``) and return argv without it."""
    from ..i18n import language_from_argv, set_language

    argv = list(sys.argv[1:] if argv is None else argv)
    lang = language_from_argv(argv)
    if lang is None:
        return argv
    if lang not in LANGUAGES:
        raise HakseupError(t("error.bad_lang", value=lang, choices=", ".join(LANGUAGES)))
    set_language(lang)
    i = argv.index("--lang") if "--lang" in argv else argv.index(f"--lang={lang}")
    del argv[i : i + (2 if argv[i] == "--lang" else 1)]
    return argv


# Commands that run a trained model over data (``train``, ``cv`` and ``tune`` choose their
# threads per run, from the model they build).
INFERENCE_COMMANDS = ("predict", "evaluate", "export", "summary")


def _degrade_terminal() -> None:
    """A terminal that cannot show a character (``PYTHONIOENCODING=ascii``, a C locale) gets
    ``\\uXXXX`` in its place, never a ``UnicodeEncodeError`` while printing Korean or ±."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("_", "-")
        if reconfigure is not None and not encoding.startswith("utf"):
            try:
                reconfigure(errors="backslashreplace")
            except (ValueError, OSError):  # a closed or detached stream: left as it is
                pass


def _check_arguments_utf8(argv: list[str] | None) -> None:
    """An argument with bytes that are not UTF-8 (a file name from another system) is refused
    before anything is read or written: a run's config.yaml could not hold it."""
    for arg in argv if argv is not None else sys.argv[1:]:
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            shown = arg.encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace")
            raise HakseupError(t("error.cli.argument_not_utf8", value=shown[:120])) from None


def main(argv: list[str] | None = None) -> int:

    from .. import i18n

    # argparse looks its module-level ``_`` (gettext) up when it formats help and errors;
    # typeshed does not declare that private name, hence the ignores.
    previous_language, previous_gettext = i18n._chosen, argparse._  # type: ignore[attr-defined]
    argparse._ = _argparse_text  # type: ignore[attr-defined]
    previous_showwarning = warnings.showwarning
    warnings.showwarning = _one_line_warnings
    previous_handlers = _end_like_ctrl_c()
    _degrade_terminal()
    try:
        argv = _take_language(argv)
        _check_arguments_utf8(argv)
        parser = build_parser()
        args = parser.parse_args(argv)
        if not args.command:
            parser.print_help()
            return 0
        if args.command not in INFERENCE_COMMANDS:
            return int(args.func(args) or 0)
        from ..training.threads import ThreadPolicy

        # A forward pass over new rows spins its threads like a training step does (issue
        # 25): the same policy, with work of unknown size (one thread on a busy machine).
        with ThreadPolicy():
            return int(args.func(args) or 0)
    except HakseupError as e:
        print(t("cli.error", message=e), file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt as e:
        print(
            t("cli.interrupted", detail=f" ({e})" if isinstance(e, Interrupted) else ""),
            file=sys.stderr,
        )
        return getattr(e, "exit_code", 130)
    except BrokenPipeError:  # e.g. `hakseup datasets | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as e:  # a full disk or an unwritable path, wherever it surfaced
        line = _machine_error(e)
        if line is None:
            raise  # anything else is a bug: keep its traceback
        print(t("cli.error", message=line), file=sys.stderr)
        return 2
    finally:
        i18n.set_language(previous_language)
        argparse._ = previous_gettext  # type: ignore[attr-defined]
        warnings.showwarning = previous_showwarning
        _restore_signals(previous_handlers)


def run(argv: list[str] | None = None) -> None:
    """The process's entry point (the ``hakseup`` script, ``python -m hakseup``): ``main``,
    then ``quick_exit`` with its status."""
    from ..training.threads import ThreadPolicy

    ThreadPolicy.own_process = True  # this process is hakseup's: inter-op threads too
    quick_exit(main(argv))


def quick_exit(code: int) -> None:
    """End the process with ``code`` once the atexit handlers have run, without tearing the
    interpreter down: freeing every object of PyTorch, scipy, matplotlib... one by one took
    about a second of CPU (two of wall on a busy machine) after a default run had finished.
    What a command writes is complete by then (atomic, synced files); the handlers still run
    (multiprocessing's children, logging, a tracker's open run, temporary folders). Where
    that cannot be done the same way (a thread still running, no handler runner), a normal
    exit."""
    import atexit
    import threading

    run_handlers = getattr(atexit, "_run_exitfuncs", None)
    if run_handlers is None or any(
        not th.daemon for th in threading.enumerate() if th is not threading.main_thread()
    ):
        sys.exit(code)
    run_handlers()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: what the reader missed is gone
            pass
    os._exit(code)


if __name__ == "__main__":
    run()
