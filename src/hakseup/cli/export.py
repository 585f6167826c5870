"""``hakseup export RUN --format torchscript|onnx``."""

from __future__ import annotations

import argparse

from ..i18n import t
from .common import command_parser

EXAMPLES = """\
examples:
  hakseup export runs/<id> --format torchscript
  hakseup export runs/<id> --format onnx --output model.onnx
"""


def register(sub) -> None:
    p = command_parser(sub, "export", EXAMPLES)
    p.add_argument("run", metavar="RUN")
    p.add_argument("--format", required=True, choices=["torchscript", "onnx"])
    p.add_argument("--output", metavar="FILE", help="default: RUN/model.pt or RUN/model.onnx")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import math

    from ..errors import HakseupError
    from ..experiment.export import export_run, output_of
    from ..run.check import check_run

    check_run(args.run)
    if args.output:
        output_of(args.run, args.format, args.output, HakseupError)
    path, diff = export_run(args.run, args.format, args.output)
    if math.isnan(diff):
        print(t("export.unchecked", path=path))
        return 0
    if diff > 1e-4:
        raise HakseupError(t("error.cli.export.exported_model_differs", diff=diff, path=path))
    print(t("export.checked", path=path, diff=diff))
    return 0
