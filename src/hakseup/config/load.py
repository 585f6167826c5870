"""Loading a config: recipes, YAML files (relative paths resolved against the file), flags and
``--set`` overrides, merged in that order of priority onto the defaults.

Example:
    >>> cfg = load_config(flags={"train.epochs": 3}, overrides=["train.lr=0.01"])
    >>> cfg.train.epochs, cfg.train.lr
    (3, 0.01)
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

from ..errors import ConfigError, unknown_choice
from ..i18n import t
from .schema import (
    DataConfig,
    ModelConfig,
    OutputConfig,
    RunConfig,
    given_keys,
    resolve_path,
    set_key,
)

__all__ = [
    "load_config",
    "read_yaml",
    "apply_overrides",
    "recipe_names",
    "recipe_path",
    "recipe_dir",
    "DATASET_RECIPES",
]


def read_yaml(path: str | os.PathLike) -> dict:
    """Read a YAML config file (safe loader, with limits); errors become one clear line."""
    from ..io.files import check_input_file, read_head

    p = Path(path)
    if not p.exists() and not p.is_symlink():
        raise ConfigError(t("error.config_not_found", path=path))
    check_input_file(p, "Config file", ConfigError)
    from .safe_yaml import MAX_YAML_BYTES

    raw = read_head(p, MAX_YAML_BYTES + 1, "Config file", ConfigError)
    if len(raw) > MAX_YAML_BYTES:
        raise ConfigError(
            t("error.config.load.config_file_larger", path=path, value=MAX_YAML_BYTES >> 20)
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(t("error.config.load.config_file_utf", path=path)) from None
    from .safe_yaml import load_yaml_text

    data = load_yaml_text(text, t("where.config_file", path=path))
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(
            t("error.config.load.config_file_must", path=path, kind=type(data).__name__)
        )
    return data


def apply_overrides(d: dict, overrides: list[str]) -> dict:
    """Apply ``KEY=VALUE`` strings; values are parsed as YAML scalars (``0.01``, ``true``,
    ``[1,2]``)."""
    for item in overrides:
        if "=" not in item:
            raise ConfigError(t("error.bad_override", item=item))
        key, raw = item.split("=", 1)
        from .safe_yaml import YAMLSyntaxError, load_yaml_text

        try:
            value = load_yaml_text(raw, t("where.set_value", key=key)) if raw.strip() else None
        except YAMLSyntaxError:
            if raw.lstrip().startswith(("[", "{")):
                raise  # a list or mapping left unclosed
            value = raw  # plain text that merely looks odd to YAML, e.g. a: b: c
        set_key(d, key.strip(), value)
    return d


# A built-in dataset named by flag alone starts from its recipe's settings.
DATASET_RECIPES = {
    "car-evaluation": "car-evaluation",
    "sbux": "sbux-lstm",
    "mnist": "mnist-mlp",
    "line": "linear-regression",
    "digits": "digits-mlp",
}


def recipe_dir() -> Path:
    return Path(__file__).parents[1] / "recipes"  # hakseup/recipes/ (package data)


def recipe_names() -> list[str]:
    return sorted(p.stem for p in recipe_dir().glob("*.yaml"))


def recipe_path(name: str) -> Path:
    """A shipped recipe by name: only the names `hakseup recipes` lists (never a path)."""
    if name not in recipe_names():
        raise ConfigError(
            unknown_choice("recipe", name, recipe_names()) + t("error.recipe_not_path")
        )
    return recipe_dir() / f"{name}.yaml"


def _resolve_relative(d: dict, base_dir: Path) -> None:
    """Make path-valued keys of a file's mapping absolute against the file's folder."""
    for section_cls, section in (
        (DataConfig, "data"),
        (OutputConfig, "output"),
        (ModelConfig, "model"),
    ):
        values = d.get(section)
        if not isinstance(values, dict):
            continue
        for f in dataclasses.fields(section_cls):
            v = values.get(f.name)
            if f.metadata.get("path") and isinstance(v, str):
                values[f.name] = resolve_path(v, base_dir)
        name = values.get("name") if section == "model" else None
        if isinstance(name, str) and ".py:" in name:
            file, cls = name.rsplit(":", 1)
            values["name"] = f"{resolve_path(file, base_dir)}:{cls}"


def _merge(into: dict, other: dict) -> dict:
    for k, v in other.items():
        if isinstance(v, dict) and isinstance(into.get(k), dict) and k != "tune":
            _merge(into[k], v)
        else:
            into[k] = v
    return into


def load_config(
    path: str | os.PathLike | None = None,
    *,
    recipe: str | None = None,
    flags: dict[str, Any] | None = None,
    overrides: list[str] | None = None,
) -> RunConfig:
    """Build a RunConfig from a recipe, a YAML file, flag values and ``--set`` overrides."""
    from ..errors import check_type

    check_type(
        path, (str, os.PathLike, type(None)), "hakseup.load_config", "path", "a YAML file's path"
    )
    check_type(recipe, (str, type(None)), "hakseup.load_config", "recipe", "a recipe's name")
    check_type(
        flags,
        (dict, type(None)),
        "hakseup.load_config",
        "flags",
        "a dict of dotted keys ({'train.lr': 0.01})",
    )
    check_type(
        overrides,
        (list, tuple, type(None)),
        "hakseup.load_config",
        "overrides",
        "a list of 'key=value' strings",
    )
    merged: dict = {}
    dataset = (flags or {}).get("data.dataset")
    if recipe is None and path is None and dataset in DATASET_RECIPES:
        recipe = DATASET_RECIPES[dataset]
    if recipe is not None:  # an empty name is a mistake too, not "no recipe"
        rp = recipe_path(recipe)
        d = read_yaml(rp)
        _resolve_relative(d, rp.parent)
        _merge(merged, d)
    if path:
        d = read_yaml(path)
        _resolve_relative(d, Path(path).resolve().parent)
        _merge(merged, d)
    for key, value in (flags or {}).items():
        if value is None:
            continue
        if key == "model.name" and isinstance(value, str) and ".py:" in value:
            file, cls = value.rsplit(":", 1)
            value = f"{resolve_path(file, None)}:{cls}"
        set_key(merged, key, value)
    apply_overrides(merged, overrides or [])
    # Issue 13: a CSV table without a recipe starts from the table defaults (underneath
    # everything the user set; see config/resolve.py).
    from .resolve import applies, with_linear_scaling, with_table_defaults

    given = given_keys(merged)  # what the user gave, before any default is added
    if recipe is None and applies(merged):
        merged = with_table_defaults(merged)
    merged = with_linear_scaling(merged)
    return RunConfig.from_dict(merged, given=given)
