"""The Python API's config arguments, checked at the door: ``hakseup.train("config.yaml")``
reads the file, a dict is validated, a hand-built ``RunConfig`` or section is checked field by
field as a YAML file would be, and anything else is one ``ArgumentTypeError`` — never an
``AttributeError`` from deep inside.

Example:
    >>> as_run_config({"train": {"epochs": 2}}, "hakseup.train").train.epochs
    2
    >>> from hakseup.config import TrainConfig
    >>> check_section(TrainConfig(epochs=-1), "train", "hakseup.Trainer", "config")
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    hakseup.errors.ConfigError: Invalid value -1 for 'train.epochs': it must be >= 1. ...
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from ..errors import check_type
from .schema import SECTION_TYPES, RunConfig, _build_section

__all__ = ["as_run_config", "check_section", "SECTION_TYPES"]


def check_section(obj: Any, section: str, function: str, name: str) -> None:
    """``obj`` is the ``section``'s config class and every value in it would pass a YAML
    file's checks (one ``ConfigError`` naming the key otherwise)."""
    cls = SECTION_TYPES[section]
    check_type(obj, cls, function, name, f"a hakseup.{cls.__name__}")
    values = {f.name: getattr(obj, f.name) for f in dataclasses.fields(cls)}
    _build_section(cls, section, values, None)  # validates; the copy is thrown away


def as_run_config(cfg: Any, function: str) -> RunConfig:
    """``None`` (the defaults), a ``RunConfig``, a dict of sections, or a YAML file's path."""
    from .load import load_config

    if cfg is None:
        return RunConfig()
    if isinstance(cfg, (str, os.PathLike)):
        if not str(cfg).strip():  # "" is no file (load_config would read the defaults)
            from ..errors import ArgumentError
            from ..i18n import t

            raise ArgumentError(t("error.api.empty_path", function=function, name="cfg"))
        return load_config(cfg)
    if isinstance(cfg, dict):
        return RunConfig.from_dict(cfg)
    check_type(
        cfg,
        RunConfig,
        function,
        "cfg",
        "a hakseup.RunConfig, a dict of sections or a YAML file's path",
    )
    for section in SECTION_TYPES:
        check_section(getattr(cfg, section), section, function, f"cfg.{section}")
    check_type(cfg.tune, dict, function, "cfg.tune", "a dict (the search space)")
    return cfg
