"""``hakseup recipes``: the shipped experiments."""

from __future__ import annotations

import argparse

from .common import command_parser, print_table


def register(sub) -> None:
    p = command_parser(sub, "recipes",
                       "examples:\n  hakseup recipes\n  hakseup train --recipe digits-mlp")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..config.load import read_yaml, recipe_names, recipe_path

    rows = []
    for name in recipe_names():
        text = recipe_path(name).read_text(encoding="utf-8")
        first = text.splitlines()[0].lstrip("# ").strip() if text.startswith("#") else ""
        rows.append((name, first))
        read_yaml(recipe_path(name))  # a broken recipe is a bug: fail loudly here
    print_table(rows, header=("recipe", "what it reproduces"))
    return 0
