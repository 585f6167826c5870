"""``hakseup bayes``: Bayes' theorem for a test, in plain words."""

from __future__ import annotations

import argparse

from ..i18n import t
from .common import command_parser, print_table

EXAMPLES = """\
examples:
  hakseup bayes --prevalence 0.1 --sensitivity 0.99 --false-positive-rate 0.01
  hakseup bayes --prevalence 0.001 --sensitivity 0.9 --false-positive-rate 0.05 --positives 3
"""


def register(sub) -> None:
    p = command_parser(sub, "bayes", EXAMPLES)
    p.add_argument("--prevalence", type=float, required=True, help="share with the condition")
    p.add_argument("--sensitivity", type=float, required=True, help="P(positive | condition)")
    p.add_argument(
        "--false-positive-rate", type=float, required=True, help="P(positive | no condition)"
    )
    p.add_argument("--positives", type=int, default=1, help="repeated positive tests (default 1)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..errors import HakseupError
    from ..stats.bayes import check_probability, expected_counts, posteriors

    prev = check_probability("prevalence", args.prevalence)
    sens = check_probability("sensitivity", args.sensitivity)
    fpr = check_probability("false-positive-rate", args.false_positive_rate)
    if not 1 <= args.positives <= 100:
        raise HakseupError(t("error.cli.bayes.positives_must_between", positives=args.positives))
    c = expected_counts(prev, sens, fpr)
    print(t("bayes.out_of"))
    print_table(
        [
            (t("bayes.condition"), f"{c['true positives']:.1f}", f"{c['false negatives']:.1f}"),
            (t("bayes.no_condition"), f"{c['false positives']:.1f}", f"{c['true negatives']:.1f}"),
        ],
        header=("", t("bayes.test_positive"), t("bayes.test_negative")),
    )
    positives = c["true positives"] + c["false positives"]
    print("\n" + t("bayes.of_positives", positives=positives, true=c["true positives"]))
    for k, p in enumerate(posteriors(prev, sens, fpr, args.positives), start=1):
        print(t("bayes.after_one" if k == 1 else "bayes.after_k", k=k, p=p, prior=prev))
    return 0
