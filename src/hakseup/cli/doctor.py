"""``hakseup doctor``: check the environment and say what to fix."""

from __future__ import annotations

import argparse

from .common import print_table


def register(sub) -> None:
    p = sub.add_parser("doctor", help="environment check",
                       description="Python, PyTorch, CUDA/cuDNN/MPS, devices and package "
                                   "versions, with what to fix.",
                       epilog="example:\n  hakseup doctor",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..monitor.environment import doctor_checks

    checks = doctor_checks()
    marks = {"ok": "ok", "warn": "WARN", "fail": "FAIL", "info": "--"}
    print_table([(marks[s], item, found, fix) for item, s, found, fix in checks],
                header=("", "check", "found", "to fix"))
    failed = [c for c in checks if c[1] == "fail"]
    if failed:
        print(f"\n{len(failed)} problem(s) to fix before training.")
        return 1
    print("\nReady to train.")
    return 0
