"""``hakseup predict RUN --data FILE --output FILE``: predictions for new data."""

from __future__ import annotations

import argparse

from ..i18n import t
from .common import add_file_flags, add_run_argument, command_parser, file_options

EXAMPLES = """\
examples:
  hakseup predict runs/<id> --data new_cars.csv --output predictions.csv
  hakseup predict runs/<id> --data new_photos/ --output predictions.csv     # an image run
  hakseup predict runs/<id> --data 고객.csv --keep 고객번호,이름 --excel --output 예측.csv
  hakseup predict runs/<panel> --output forecasts.csv              # every series (--id-col)
  hakseup predict runs/<panel> --series T12 --output t12.csv        # one series
  hakseup predict runs/<id> --data next_weeks.csv --output forecast.csv    # a series run
"""


def register(sub) -> None:
    p = command_parser(sub, "predict", EXAMPLES)
    add_run_argument(p)
    p.add_argument(
        "--data",
        metavar="FILE",
        help="a table with the feature columns (CSV in any common encoding, .gz, "
        ".bz2, .zip, Parquet, .xlsx); for an image run, a folder of images, "
        "one image, or a CSV of image paths; for a series run, the series "
        "and/or the rows past its end with their future covariates; for a run "
        "on many series (--id-col), their history (default: the run's data)",
    )
    p.add_argument("--series", metavar="ID", help="a run on many series: forecast this series only")
    p.add_argument(
        "--output",
        required=True,
        metavar="FILE",
        help="where to write the predictions, in the format the name's suffix "
        "says: .csv (or .txt), .tsv, .csv.gz, .xlsx or .parquet",
    )
    add_file_flags(p)
    p.add_argument(
        "--keep",
        metavar="COL,COL",
        type=_columns,
        default=[],
        help="input columns (identifiers, pass-through) copied in front of the predictions",
    )
    p.add_argument(
        "--excel",
        action="store_true",
        help="write the CSV with a UTF-8 byte-order mark, so that Excel shows "
        "non-ASCII text (e.g. Korean) correctly; the default when the input "
        "had one or was a workbook",
    )
    p.add_argument(
        "--plot",
        metavar="FILE.png",
        default=None,
        help="a series run: also draw the forecast past the end, with its intervals, into this PNG",
    )
    p.set_defaults(func=run)


def _columns(text: str) -> list[str]:
    return [c.strip() for c in text.split(",") if c.strip()]


def run(args: argparse.Namespace) -> int:
    from ..errors import HakseupError
    from ..io.output import output_target, table_format
    from ..predict import predict_file
    from ..run.check import check_run

    check_run(args.run)
    # Before any work: a folder, a device, a run's own file, an unwritable place, the input
    # itself or a format that cannot be written is refused (write_table checks again).
    output_target(args.output, "--output", HakseupError, inputs=[args.data] if args.data else [])
    table_format(args.output, "--output", HakseupError)
    # --plot is a second output: the same checks, before any work (a run's own file, the
    # input, a device...), and only a PNG is drawn.
    plot = None
    if args.plot is not None:
        plot = output_target(
            args.plot,
            "--plot",
            HakseupError,
            inputs=[p for p in (args.data, args.output) if p],
            suffixes=[".png"],
        )
    if _panel(args):
        return 0
    if args.data is None:
        raise HakseupError(t("error.predict.data_required"))
    out = predict_file(
        args.run,
        args.data,
        args.output,
        plot=plot,
        keep=args.keep,
        excel=args.excel,
        **file_options(args),
    )
    print(t("predict.written", path=out))
    return 0


def _panel(args: argparse.Namespace) -> bool:
    """A run on many series: forecasts past each series' end (True once written)."""
    from ..errors import HakseupError
    from ..predict import is_panel_run, predict_panel_file

    if not is_panel_run(args.run):
        if args.series is not None:
            raise HakseupError(t("error.predict.panel.series_needs_panel"))
        return False
    if args.plot is not None:
        raise HakseupError(t("error.predict.plot_series_only"))
    out, n, h = predict_panel_file(args.run, args.output, args.data, args.series)
    print(t("predict.panel.written", n=n, h=h, path=out))
    return True
