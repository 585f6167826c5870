"""``hakseup doctor``: check the environment and say what to fix.

On a terminal the checks are a table (check, found, to fix). Elsewhere — a notebook's cell,
a pipe, a file — each check is one line, its name, what was found and what to do together: a
table cut into blocks of columns for an 80-column pseudo-terminal (a notebook's ``!``) put a
check's name and its finding screens apart.
"""

from __future__ import annotations

import argparse

from ..i18n import t
from .common import command_parser, is_terminal, print_table

MARKS = {"ok": "ok", "warn": "WARN", "fail": "FAIL", "info": "--"}


def register(sub) -> None:
    p = command_parser(sub, "doctor", "example:\n  hakseup doctor")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..monitor.environment import doctor_checks
    from ..training.threads import thread_checks

    checks = doctor_checks() + thread_checks()
    if is_terminal():
        print_table(
            [(MARKS[s], item, found, fix) for item, s, found, fix in checks],
            header=("", t("doctor.check"), t("doctor.found"), t("doctor.fix")),
        )
    else:
        print_checks(checks)
    failed = [c for c in checks if c[1] == "fail"]
    if failed:
        print("\n" + t("doctor.problems", n=len(failed)))
        return 1
    print("\n" + t("doctor.ready"))
    return 0


def print_checks(checks: list[tuple[str, str, str, str]]) -> None:
    """One line per check, readable at any width and by ``grep``: ``MARK  check: found``, then
    what to do (a warning's or a failure's fix) or a note (on a check that passed).

    >>> print_checks([("CUDA", "warn", "not available", "install a CUDA build"),
    ...               ("Python", "ok", "3.11.7", "")])
    WARN  CUDA: not available — to fix: install a CUDA build
    ok    Python: 3.11.7
    """
    width = max(len(m) for m in MARKS.values())
    for item, status, found, fix in checks:
        line = f"{MARKS[status]:<{width}}  {item}" + (f": {found}" if found else "")
        if fix:
            label = t("doctor.fix") if status in ("warn", "fail") else t("doctor.note")
            line += f" — {label}: {fix}"
        print(line)
