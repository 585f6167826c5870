"""``hakseup inspect FILE``: profile a CSV before training."""

from __future__ import annotations

import argparse
import json

from ..i18n import t
from .common import command_parser, file_options, print_table

EXAMPLES = """\
examples:
  hakseup inspect cars.csv --target output
  hakseup inspect prices.csv --time-col Date --target Close
  hakseup inspect data.csv --json
"""


def register(sub) -> None:
    p = command_parser(sub, "inspect", EXAMPLES)
    p.add_argument("file", metavar="FILE", help=t("flag.inspect.file"))
    p.add_argument("--target", metavar="COL", help=t("flag.inspect.target"))
    p.add_argument("--time-col", metavar="COL", help=t("flag.inspect.time_col"))
    p.add_argument("--no-header", action="store_true", help=t("flag.inspect.no_header"))
    p.add_argument("--encoding", metavar="NAME", help=t("flag.data.encoding"))
    p.add_argument("--sheet", metavar="NAME|N", help=t("flag.data.sheet"))
    p.add_argument("--json", action="store_true", help=t("flag.inspect.json"))
    p.set_defaults(func=run)


_COLUMNS = ("column", "kind", "missing", "unique", "mean", "std", "min", "max", "top")


def _fmt(v) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def run(args: argparse.Namespace) -> int:
    from ..data.profile import profile_csv

    r = profile_csv(
        args.file, args.target, args.time_col, header=not args.no_header, **file_options(args)
    )
    if args.json:
        print(json.dumps(r, indent=2, default=str))
        return 0
    print(t("inspect.head", path=r["path"], rows=r["rows"], n=len(r["columns"])) + "\n")
    print_table(
        [
            (
                c,
                i["kind"],
                i["missing"],
                i["unique"],
                _fmt(i.get("mean", "")),
                _fmt(i.get("std", "")),
                _fmt(i.get("min", "")),
                _fmt(i.get("max", "")),
                ", ".join(f"{k} ({v})" for k, v in i.get("top", {}).items()),
            )
            for c, i in r["columns"].items()
        ],
        header=tuple(t(f"inspect.{k}") for k in _COLUMNS),
    )
    if "class_balance" in r:
        print("\n" + t("inspect.balance", task=r["task"], ratio=r["imbalance_ratio"]))
        print_table(list(r["class_balance"].items()), header=(t("table.class"), t("table.rows")))
    if "series" in r:
        _print_series(r["series"])
    for n in r["notices"]:
        print(t("inspect.note", text=n))
    return 0


def _print_series(s: dict) -> None:
    """A series profile (``data.profile``): its target, span, frequency and season, then the
    stationarity tests before and after differencing. The message's fields are named as
    the profile's keys; a season of 1 (none found) is said in words."""
    season = s["season"] if s["season"] > 1 else t("inspect.none")
    print("\n" + t("inspect.series", **(s | {"season": season})))
    for key, tests in (
        ("inspect.tests", s["stationarity"]),
        ("inspect.tests_diff", s["stationarity_after_differencing"]),
    ):
        if "adf_p" in tests:
            print(t(key, adf=tests["adf_p"], kpss=tests["kpss_p"], verdict=tests["verdict"]))
