"""``hakseup predict RUN --data FILE --output FILE``: predictions for new data."""

from __future__ import annotations

import argparse

EXAMPLES = """\
examples:
  hakseup predict runs/<id> --data new_cars.csv --output predictions.csv
  hakseup predict runs/<id> --data new_photos/ --output predictions.csv     # an image run
"""


def register(sub) -> None:
    p = sub.add_parser("predict", help="predictions for new data",
                       description="Predict new rows with a trained run (class and "
                                   "probabilities, or values), using its saved preprocessing.",
                       epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run", metavar="RUN", help="a run folder")
    p.add_argument("--data", required=True, metavar="FILE",
                   help="a CSV with the feature columns; for an image run, a folder of "
                        "images, one image, or a CSV of image paths")
    p.add_argument("--output", required=True, metavar="FILE", help="where to write the CSV")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..errors import HakseupError
    from ..fileio import check_output_file
    from ..inference import predict_file
    from ..run_check import check_run

    check_run(args.run)
    # Before any work: a folder, an unwritable place or the input itself is refused.
    check_output_file(args.output, "--output", HakseupError, not_same_as=args.data)
    out = predict_file(args.run, args.data, args.output)
    print(f"Predictions written to {out}")
    return 0
