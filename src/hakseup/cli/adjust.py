"""``hakseup adjust``: crude versus confounder-adjusted effect."""

from __future__ import annotations

import argparse

from ..i18n import t
from .common import print_table

EXAMPLES = """\
examples:
  hakseup adjust kidney.csv --treatment treatment --outcome success --confounder stone_size
"""


def register(sub) -> None:
    p = sub.add_parser("adjust", help=t("cmd.adjust.help"),
                       description=t("cmd.adjust.description"),
                       epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", metavar="FILE")
    p.add_argument("--treatment", required=True, metavar="COL")
    p.add_argument("--outcome", required=True, metavar="COL")
    p.add_argument("--confounder", required=True, metavar="COL")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..data.reader import read_csv
    from ..stats.causal import adjust

    r = adjust(read_csv(args.file), args.treatment, args.outcome, args.confounder)
    a, b = r["compared"]
    print(f"Effect of {r['treatment']} = {a} versus {b} on mean {r['outcome']}:\n")
    print_table([(f"{s['stratum']} ({s['weight']:.0%} of rows)", f"{s['mean'][a]:.4f} "
                  f"(n={s['n'][a]})", f"{s['mean'][b]:.4f} (n={s['n'][b]})", f"{s['effect']:+.4f}")
                 for s in r["strata"]],
                header=(r["confounder"], a, b, "difference"))
    print(f"\ncrude:    {a} {r['crude'][a]:.4f} vs {b} {r['crude'][b]:.4f} → "
          f"{r['crude_effect']:+.4f}")
    print(f"adjusted: {a} {r['adjusted'][a]:.4f} vs {b} {r['adjusted'][b]:.4f} → "
          f"{r['adjusted_effect']:+.4f}  (standardised over {r['confounder']})")
    if r["simpson"]:
        print(f"\nWARNING: Simpson's paradox — adjusting for {r['confounder']} reverses the sign "
              f"of the effect. The crude comparison is confounded: {r['confounder']} differs "
              f"between the groups and affects {r['outcome']}.")
    return 0
