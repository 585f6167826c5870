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

from torch import nn

from ..errors import ConfigError

__all__ = ["load_custom_model"]


def load_custom_model(spec: str, schema) -> nn.Module:
    file, _, cls_name = spec.rpartition(":")
    path = Path(file)
    if not path.is_file():
        raise ConfigError(f"Model file '{file}' not found. Expected --model path/to/file.py:Class "
                          f"with the path relative to the current folder (or the config file).")
    mod_name = f"hakseup_user_model_{abs(hash(str(path.resolve())))}"
    module_spec = importlib.util.spec_from_file_location(mod_name, path)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[mod_name] = module
    try:
        module_spec.loader.exec_module(module)
    except Exception as e:  # the user's code: report it as their error, in one line
        raise ConfigError(f"Importing model file '{file}' failed: {type(e).__name__}: {e}. "
                          f"Fix the file and try again.") from None
    classes = [n for n, v in vars(module).items() if isinstance(v, type) and
               issubclass(v, nn.Module) and v.__module__ == mod_name]
    cls = getattr(module, cls_name, None)
    if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
        raise ConfigError(f"'{cls_name}' is not an nn.Module class in '{file}'. "
                          f"Choose one of: {', '.join(sorted(classes)) or '(none defined)'}.")
    offered = {"input_shape": tuple(schema.input_shape),
               "in_features": math.prod(schema.input_shape),
               "n_outputs": schema.n_outputs, "n_classes": schema.n_outputs, "schema": schema}
    params = inspect.signature(cls.__init__).parameters
    kwargs = {k: v for k, v in offered.items() if k in params}
    try:
        return cls(**kwargs)
    except Exception as e:
        raise ConfigError(f"Constructing {cls_name} from '{file}' failed: {type(e).__name__}: "
                          f"{e}. It may accept any of: {', '.join(offered)}.") from None
