"""``hakseup adjust``: crude versus confounder-adjusted effect."""

from __future__ import annotations

import argparse

from ..i18n import t
from .common import command_parser, print_table

EXAMPLES = """\
examples:
  hakseup adjust kidney.csv --treatment treatment --outcome success --confounder stone_size
  hakseup adjust groups.csv --treatment treatment --outcome success --confounder stone_size \
      --weight count          # one row per group, with how many people it stands for
"""


def register(sub) -> None:
    p = command_parser(sub, "adjust", EXAMPLES)
    p.add_argument("file", metavar="FILE")
    p.add_argument("--treatment", required=True, metavar="COL")
    p.add_argument("--outcome", required=True, metavar="COL")
    p.add_argument("--confounder", required=True, metavar="COL")
    p.add_argument(
        "--weight",
        metavar="COL",
        help="a column of counts: each row stands for that many individuals "
        "(detected by its name — count, n, freq... — when not given)",
    )
    p.add_argument(
        "--no-weight", action="store_true", help="count each row once (no count column detected)"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..io.reader import read_csv
    from ..stats.causal import adjust

    r = adjust(
        read_csv(args.file),
        args.treatment,
        args.outcome,
        args.confounder,
        weight=args.weight,
        detect=not args.no_weight,
    )
    a, b = r["compared"]
    if r["weight_detected"]:
        print(t("adjust.weight_detected", weight=r["weight_detected"]))
    elif r["weight_hint"]:
        print(t("adjust.weight_hint", weight=r["weight_hint"]))
    print(t("adjust.effect", treatment=r["treatment"], a=a, b=b, outcome=r["outcome"]) + "\n")
    print_table(
        [
            (
                t("adjust.stratum", stratum=s["stratum"], weight=s["weight"]),
                f"{s['mean'][a]:.4f} (n={s['n'][a]})",
                f"{s['mean'][b]:.4f} (n={s['n'][b]})",
                f"{s['effect']:+.4f}",
            )
            for s in r["strata"]
        ],
        header=(r["confounder"], a, b, t("adjust.difference")),
    )
    print(
        "\n"
        + t("adjust.crude", a=a, b=b, ma=r["crude"][a], mb=r["crude"][b], effect=r["crude_effect"])
    )
    print(
        t(
            "adjust.adjusted",
            a=a,
            b=b,
            ma=r["adjusted"][a],
            mb=r["adjusted"][b],
            effect=r["adjusted_effect"],
            confounder=r["confounder"],
        )
    )
    if r["simpson"]:
        print("\n" + t("adjust.simpson", confounder=r["confounder"], outcome=r["outcome"]))
    return 0
