"""``hakseup inspect FILE``: profile a CSV before training."""

from __future__ import annotations

import argparse
import json

from .common import print_table

EXAMPLES = """\
examples:
  hakseup inspect cars.csv --target output
  hakseup inspect prices.csv --time-col Date --target Close
  hakseup inspect data.csv --json
"""


def register(sub) -> None:
    p = sub.add_parser("inspect", help="profile a CSV: kinds, missing values, balance, "
                                       "stationarity",
                       description="Profile a CSV: column kinds, missing values, statistics, "
                                   "class balance; for a time series the ADF and KPSS tests and "
                                   "the season found.",
                       epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", metavar="FILE")
    p.add_argument("--target", metavar="COL")
    p.add_argument("--time-col", metavar="COL")
    p.add_argument("--no-header", action="store_true")
    p.add_argument("--encoding", metavar="NAME", help="the file's text encoding (default: "
                                                      "detected)")
    p.add_argument("--sheet", metavar="NAME|N", help="an Excel workbook's sheet (default: the "
                                                     "first)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def _fmt(v) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def run(args: argparse.Namespace) -> int:
    from ..data.profile import profile_csv

    r = profile_csv(args.file, args.target, args.time_col, header=not args.no_header,
                    encoding=args.encoding, sheet=args.sheet)
    if args.json:
        print(json.dumps(r, indent=2, default=str))
        return 0
    print(f"{r['path']}: {r['rows']:,} rows, {len(r['columns'])} columns\n")
    print_table([(c, i["kind"], i["missing"], i["unique"], _fmt(i.get("mean", "")),
                  _fmt(i.get("std", "")), _fmt(i.get("min", "")), _fmt(i.get("max", "")),
                  ", ".join(f"{k} ({v})" for k, v in i.get("top", {}).items()))
                 for c, i in r["columns"].items()],
                header=("column", "kind", "missing", "unique", "mean", "std", "min", "max",
                        "most common"))
    if "class_balance" in r:
        print(f"\nTask: {r['task']}; class balance (largest/smallest = "
              f"{r['imbalance_ratio']:.2f}):")
        print_table(list(r["class_balance"].items()), header=("class", "rows"))
    if "series" in r:
        s = r["series"]
        st, sd = s["stationarity"], s["stationarity_after_differencing"]
        print(f"\nTime series '{s['target']}': {s['start']} … {s['end']}, frequency "
              f"{s['frequency']}, season found: {s['season'] if s['season'] > 1 else 'none'}")
        if "adf_p" in st:
            print(f"  ADF p = {st['adf_p']:.4f}, KPSS p = {st['kpss_p']:.4f} → {st['verdict']}")
        if "adf_p" in sd:
            print(f"  after differencing once: ADF p = {sd['adf_p']:.4f}, KPSS p = "
                  f"{sd['kpss_p']:.4f} → {sd['verdict']}")
    for n in r["notices"]:
        print(f"note: {n}")
    return 0
