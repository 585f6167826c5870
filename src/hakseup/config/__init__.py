"""The run configuration: its schema (typed dataclasses), loading (YAML files, recipes, flags,
``--set`` overrides), the rules a single field cannot say, safe YAML, and the resolution of
the values left to the data.

Modules: ``schema`` (``RunConfig`` and its sections, validation, dotted keys), ``load``
(``load_config``), ``rules`` (checks across keys, the ``tune`` section), ``safe_yaml`` (YAML
read with limits), ``resolve`` (data-dependent defaults). This package never imports
``data``, ``models``, ``training`` or ``cli``: what it needs about the data is handed in.

Example:
    >>> from hakseup.config import RunConfig
    >>> RunConfig.from_dict({"train": {"epochs": 5}}).train.epochs
    5
"""

from __future__ import annotations

from .resolve import DataFacts, generic_model, generic_train, resolve
from .schema import (
    AUTO,
    DataConfig,
    EvaluationConfig,
    ModelConfig,
    OutputConfig,
    RunConfig,
    TrainConfig,
    resolve_path,
    set_key,
)

__all__ = [
    "AUTO",
    "DataConfig",
    "DataFacts",
    "EvaluationConfig",
    "ModelConfig",
    "OutputConfig",
    "RunConfig",
    "TrainConfig",
    "generic_model",
    "generic_train",
    "resolve",
    "resolve_path",
    "set_key",
]
