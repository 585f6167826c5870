"""``hakseup code RUN``: the plain PyTorch script behind a run."""

from __future__ import annotations

import argparse

from ..i18n import t
from .common import command_parser

EXAMPLES = """\
examples:
  hakseup code runs/<id>                         # writes runs/<id>/train_plain.py
  hakseup code runs/<id> --output my_run.py
  hakseup code runs/<id> --output -              # print it
"""


def register(sub) -> None:
    p = command_parser(sub, "code", EXAMPLES)
    p.add_argument("run", metavar="RUN")
    p.add_argument(
        "--output", metavar="FILE", help="default: RUN/train_plain.py; '-' prints the script"
    )
    p.add_argument("--force", action="store_true", help="replace an existing FILE")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import sys

    from ..errors import HakseupError
    from ..experiment.plain import write_plain_script
    from ..io.files import check_output_file

    if args.output and args.output != "-":
        check_output_file(args.output, "--output", HakseupError)
    text, path = write_plain_script(args.run, args.output, force=args.force)
    if path is None:
        sys.stdout.write(text)
        return 0
    print(t("code.written", path=path))
    return 0
