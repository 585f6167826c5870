"""``hakseup datasets``: the built-in datasets."""

from __future__ import annotations

import argparse

from ..i18n import t
from .common import print_table


def register(sub) -> None:
    p = sub.add_parser("datasets", help=t("cmd.datasets.help"),
                       description=t("cmd.datasets.description"),
                       epilog="example:\n  hakseup datasets",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..data.datasets import list_datasets

    print_table([(d.name, d.kind, d.size, "offline" if d.offline else "download",
                  d.description) for d in list_datasets()],
                header=("name", "kind", "size", "source", "description"))
    return 0
