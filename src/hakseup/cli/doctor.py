"""``hakseup doctor``: check the environment and say what to fix."""

from __future__ import annotations

import argparse

from ..i18n import t
from .common import command_parser, print_table


def register(sub) -> None:
    p = command_parser(sub, "doctor", "example:\n  hakseup doctor")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..monitor.environment import doctor_checks
    from ..training.threads import thread_checks

    checks = doctor_checks() + thread_checks()
    marks = {"ok": "ok", "warn": "WARN", "fail": "FAIL", "info": "--"}
    print_table(
        [(marks[s], item, found, fix) for item, s, found, fix in checks],
        header=("", t("doctor.check"), t("doctor.found"), t("doctor.fix")),
    )
    failed = [c for c in checks if c[1] == "fail"]
    if failed:
        print("\n" + t("doctor.problems", n=len(failed)))
        return 1
    print("\n" + t("doctor.ready"))
    return 0
