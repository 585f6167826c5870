"""``hakseup gpu``: GPU status through NVML."""

from __future__ import annotations

import argparse

from ..i18n import t
from .common import command_parser

EXAMPLES = """\
examples:
  hakseup gpu
  hakseup gpu --watch 1          # refresh every second; changed values highlighted
  hakseup gpu --json
"""


def register(sub) -> None:
    p = command_parser(sub, "gpu", EXAMPLES)
    p.add_argument(
        "--watch", type=float, metavar="S", help="refresh every S seconds (Ctrl-C stops)"
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, nvml=None) -> int:
    import json
    import sys
    import time

    from ..errors import HakseupError
    from ..monitor.gpu import changed_fields, format_status, load_nvml, read_gpus

    if args.watch is not None and not 0 < args.watch < float("inf"):  # nan is not > 0
        raise HakseupError(t("error.cli.gpu.watch_needs_positive", watch=args.watch))
    nvml = nvml or load_nvml()
    previous = None
    while True:
        status = read_gpus(nvml)
        if args.json:
            print(json.dumps(status, indent=2))
        else:
            text = format_status(
                status,
                changed_fields(previous, status),
                highlight=args.watch is not None and sys.stdout.isatty(),
            )
            if args.watch is not None and sys.stdout.isatty():
                print("\x1b[H\x1b[2J", end="")  # redraw in place
            print(text, flush=True)
        if args.watch is None:
            return 0
        previous = status
        time.sleep(args.watch)
