"""``hakseup recipes``: the shipped experiments."""

from __future__ import annotations

import argparse

from ..i18n import t
from .common import command_parser, print_table


def register(sub) -> None:
    p = command_parser(
        sub, "recipes", "examples:\n  hakseup recipes\n  hakseup train --recipe digits-mlp"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..config.load import read_yaml, recipe_names, recipe_path

    rows = []
    for name in recipe_names():
        text = recipe_path(name).read_text(encoding="utf-8")
        first = text.splitlines()[0].lstrip("# ").strip() if text.startswith("#") else ""
        d = read_yaml(recipe_path(name))  # a broken recipe is a bug: fail loudly here
        rows.append((name, first, _data_source((d.get("data") or {}).get("dataset"))))
    print_table(rows, header=("recipe", "what it reproduces", "data"))
    return 0


def _data_source(dataset: str | None) -> str:
    """Whether a recipe runs offline, and if not what it downloads and where it keeps it
    (place the files there by hand on a machine without a network)."""
    from ..data.datasets import get_dataset
    from ..io.download import cache_dir

    if not dataset:
        return ""
    info = get_dataset(dataset)
    if info.offline:
        return t("recipes.offline", source=info.source)
    return t("recipes.download", size=info.size, folder=cache_dir() / info.cache)
