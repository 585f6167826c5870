"""``hakseup datasets``: the built-in datasets."""

from __future__ import annotations

import argparse

from .common import command_parser, print_table


def register(sub) -> None:
    p = command_parser(sub, "datasets", "example:\n  hakseup datasets")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..data.datasets import list_datasets

    print_table(
        [
            (d.name, d.kind, d.size, "offline" if d.offline else "download", d.description)
            for d in list_datasets()
        ],
        header=("name", "kind", "size", "source", "description"),
    )
    return 0
