"""The user's own ``nn.Module`` from a Python file: ``--model path/to/file.py:ClassName``.

The class is constructed with the keyword arguments it accepts among ``input_shape``,
``in_features``, ``n_outputs``, ``n_classes`` and ``schema``; with none of them, without
arguments.

Example:
    >>> model = load_custom_model("my_net.py:Net", schema)      # doctest: +SKIP
"""

from __future__ import annotations

import importlib.util
import inspect
import math
import sys
from pathlib import Path
from types import ModuleType

from torch import nn

from ..errors import ConfigError
from ..i18n import t

__all__ = ["load_custom_model"]


def _import_user_file(path: Path, file: str) -> ModuleType:
    """Import the user's model file as a module of its own (named after its resolved path),
    any failure of their code reported as one line naming the file."""
    mod_name = f"hakseup_user_model_{abs(hash(str(path.resolve())))}"
    module_spec = importlib.util.spec_from_file_location(mod_name, path)
    if module_spec is None or module_spec.loader is None:  # no loader for this file's suffix
        raise ConfigError(
            t(
                "error.models.custom.importing_model_file",
                file=file,
                kind="ImportError",
                e="not a Python source file (.py)",
            )
        )
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[mod_name] = module
    try:
        module_spec.loader.exec_module(module)
    except Exception as e:  # the user's code: report it as their error, in one line
        raise ConfigError(
            t("error.models.custom.importing_model_file", file=file, kind=type(e).__name__, e=e)
        ) from None
    return module


def load_custom_model(spec: str, schema) -> nn.Module:
    """The class ``ClassName`` of ``spec`` ("file.py:ClassName"), built for ``schema``."""
    file, _, cls_name = spec.rpartition(":")
    path = Path(file)
    if not path.is_file():
        raise ConfigError(t("error.models.custom.model_file_found", file=file))
    module = _import_user_file(path, file)
    classes = [
        n
        for n, v in vars(module).items()
        if isinstance(v, type) and issubclass(v, nn.Module) and v.__module__ == module.__name__
    ]
    cls = getattr(module, cls_name, None)
    if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
        raise ConfigError(
            t(
                "error.models.custom.module_class_choose",
                cls_name=cls_name,
                file=file,
                value=", ".join(sorted(classes)) or "(none defined)",
            )
        )
    offered = {
        "input_shape": tuple(schema.input_shape),
        "in_features": math.prod(schema.input_shape),
        "n_outputs": schema.n_outputs,
        "n_classes": schema.n_outputs,
        "schema": schema,
    }
    params = inspect.signature(cls.__init__).parameters
    kwargs = {k: v for k, v in offered.items() if k in params}
    try:
        return cls(**kwargs)
    except Exception as e:
        raise ConfigError(
            t(
                "error.models.custom.constructing_from_failed",
                cls_name=cls_name,
                file=file,
                kind=type(e).__name__,
                e=e,
                names=", ".join(offered),
            )
        ) from None
