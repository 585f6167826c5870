"""``hakseup evaluate RUN``: re-score a saved run on its test split."""

from __future__ import annotations

import argparse

from .common import add_file_flags, add_run_argument, command_parser, file_options

EXAMPLES = """\
examples:
  hakseup evaluate runs/20261122-101500-digits-mlp
  hakseup evaluate runs/20261122-101500-digits-mlp --checkpoint last
  hakseup evaluate runs/<id> --data labelled.csv       # a run trained on a CSV
"""


def register(sub) -> None:
    p = command_parser(sub, "evaluate", EXAMPLES)
    add_run_argument(p)
    p.add_argument("--checkpoint", choices=["best", "last"], default="best")
    p.add_argument(
        "--data",
        metavar="FILE",
        help="labelled table file (CSV, .gz, .zip, Parquet, "
        ".xlsx) to score instead of the test split",
    )
    add_file_flags(p)
    p.set_defaults(func=run)


ABOUT_THE_DATA = "\nWhat the run's preprocessing did to these rows:"


def run(args: argparse.Namespace) -> int:
    from ..predict import evaluate_run
    from ..run.check import check_run
    from .common import print_wrapped
    from .train import print_metrics

    check_run(args.run)
    if args.data:
        from ..predict import evaluate_file

        result = evaluate_file(args.run, args.data, **file_options(args))
    else:
        result = evaluate_run(args.run, checkpoint=args.checkpoint)
    print_metrics(result)
    if result.notices:
        print(ABOUT_THE_DATA)
        for notice in result.notices:
            print_wrapped(notice, first="  - ", rest="    ")
    return 0
