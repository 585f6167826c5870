"""One config value checked against its field: the annotation's type (with the obvious
spellings accepted), the field's choices and bounds, ``auto`` where the field allows it, and
paths made absolute.

Example:
    >>> check_value("train.epochs", "12", int, {"min": 1}, None)
    12
    >>> check_value("train.epochs", "auto", int, {"min": 1, "auto": True}, None)
    'auto'
"""

from __future__ import annotations

import math
import os
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, Union

from ..errors import ConfigError
from ..i18n import t

__all__ = ["AUTO", "Auto", "check_value", "resolve_path"]

AUTO = "auto"  # a value left to the data: ``config.resolve`` chooses it
Auto = Literal["auto"]


def resolve_path(value: str, base_dir: str | os.PathLike | None) -> str:
    """Expand ``~`` and make a relative path absolute against ``base_dir`` (default: cwd)."""
    p = Path(os.path.expanduser(str(value)))
    if not p.is_absolute():
        p = Path(base_dir or os.getcwd()) / p
    return str(p.resolve())


def check_value(key: str, value: Any, tp: Any, meta: Mapping, base_dir: Any) -> Any:
    if meta.get("auto") and isinstance(value, str) and value.strip().lower() == AUTO:
        # A key whose unset value (None) already means "from the data" reads auto as None.
        return None if meta["auto"] == "none" else AUTO
    value = _coerce(key, value, tp)
    if value is None:
        return None
    choices = meta.get("choices")
    if choices and value not in choices:
        raise ConfigError(
            t(
                "error.bad_choice_value",
                value=repr(value),
                key=key,
                choices=", ".join(map(str, choices)),
            )
        )
    items = value if isinstance(value, list) else [value]
    for item in items:
        if isinstance(item, (int, float)) and not isinstance(item, bool):
            if isinstance(item, float) and not math.isfinite(item):
                raise ConfigError(t("error.not_finite", value=repr(item), key=key))
            if isinstance(item, int) and abs(item) > 2**62:  # beyond what torch's int64 holds
                raise ConfigError(t("error.config.invalid_value_far", key=key, item=str(item)[:20]))
            lo, hi = meta.get("min"), meta.get("max")
            if lo is not None and item < lo:
                raise ConfigError(t("error.below_min", value=repr(item), key=key, lo=lo))
            if hi is not None and item > hi:
                raise ConfigError(t("error.above_max", value=repr(item), key=key, hi=hi))
    if meta.get("path"):
        if not str(value).isprintable() or not _utf8(str(value)):
            # A name the run's config.yaml (UTF-8) could not hold, nor a terminal show.
            raise ConfigError(
                t(
                    "error.config.path_not_utf8",
                    key=key,
                    value=str(value)
                    .encode("utf-8", "backslashreplace")
                    .decode("ascii", "backslashreplace")[:120],
                )
            )
        value = resolve_path(value, base_dir)
    return value


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # bytes the file system gave as surrogates (\udcff)
        return False
    return True


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        return t("type.or").join(_type_name(a) for a in typing.get_args(tp) if a is not type(None))
    if origin is Literal:
        return " | ".join(map(repr, typing.get_args(tp)))
    if origin is list:
        return t("type.list", of=_type_name(typing.get_args(tp)[0]))
    words = {int: "integer", float: "number", str: "string", bool: "bool", dict: "mapping"}
    return t(f"type.{words[tp]}") if tp in words else str(tp)


def _shown(value: Any) -> str:
    """A value as an error line shows it: one line, short (a DataFrame or a Series given as
    a setting would print dozens of lines)."""
    text = (
        str(value)
        if isinstance(value, (str, int, float, bool, type(None)))
        else f"<{type(value).__name__}>"
    )
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "..."


def _coerce(key: str, value: Any, tp: Any) -> Any:
    """Check ``value`` against the annotation ``tp``; accept the obvious spellings
    (``1e-3`` as a string — YAML 1.1 reads it so — ``5`` for a float, ``a,b`` for a list)."""
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        members = typing.get_args(tp)
        args = [a for a in members if a is not type(None) and typing.get_origin(a) is not Literal]
        if value is None or (isinstance(value, str) and value.lower() in ("none", "null")):
            if type(None) in members:
                return None
            # ``int | auto`` has no None: an empty value is refused, not read as "unset".
            raise ConfigError(
                t(
                    "error.config.invalid_value",
                    value=_shown(value),
                    key=key,
                    type_name=_type_name(tp),
                )
            )
        return _coerce(key, value, args[0])
    bad = ConfigError(
        t("error.config.invalid_value", value=_shown(value), key=key, type_name=_type_name(tp))
    )
    if origin is list:
        (inner,) = typing.get_args(tp)
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        elif not isinstance(value, (list, tuple)):
            value = [value]
        return [_coerce(key, v, inner) for v in value]
    if tp is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "yes", "1", "false", "no", "0"):
            return value.lower() in ("true", "yes", "1")
        raise bad
    if tp is int or tp is float:
        return _number(value, tp, bad)
    if tp is str:
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
        raise bad
    if tp is dict:
        if isinstance(value, dict):
            return value
        raise bad
    return value


def _number(value: Any, tp: type, bad: Exception) -> int | float:
    """An int or a float from a number or its text; a bool is neither, and an int must be
    whole (``3.0`` is 3, ``3.5`` is refused)."""
    if isinstance(value, bool):
        raise bad
    if isinstance(value, str):
        try:
            return int(value) if tp is int else float(value)
        except ValueError:
            raise bad from None
    if tp is float and isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise bad
