"""``hakseup.fit``: one call from data to a trained, evaluated model — in a notebook as in a
script — through the same lifecycle as ``hakseup train`` (an ``Experiment`` in a ``Run``).

``data`` is a CSV path (or an image folder, or a built-in dataset's name), a pandas DataFrame,
or feature rows (a NumPy array or a tensor) with ``target`` their labels or values. A
DataFrame or arrays are written as ``data.csv`` into the run folder, and the saved config
points at it: ``hakseup evaluate``, ``predict`` and ``--resume`` work on the run as on any.
Settings are config keys, by their short names (``lr``, ``epochs``, ``batch_size``,
``model``, ``task``, ``hidden``, ``time_col``, ...) or dotted (``**{"train.lr": 0.01}``).

Example:
    >>> import numpy as np
    >>> x = np.linspace(-1, 1, 200).reshape(-1, 1)
    >>> result = fit(x, 2 * x[:, 0] + 1, epochs=3, quiet=True)         # doctest: +SKIP
    >>> result.history.shape[0], result.predict(np.array([[0.5]])).shape   # doctest: +SKIP
    (3, (1, 1))
    >>> setting_key("lr"), setting_key("batch_size"), setting_key("train__seed")
    ('train.lr', 'train.batch_size', 'train.seed')
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ConfigError, DataError
from .i18n import Section, t

__all__ = ["fit", "setting_key", "SHORT_NAMES"]

# The column name given to arrays' target (their features are x0, x1, ...: models/forward.py).
TARGET_NAME = "y"
TEXT = Section("error.learn")   # the messages, in the language chosen (i18n catalogs)


def _short_names() -> dict[str, str]:
    """Short name → dotted key: the CLI flags' names first (``model`` is model.name,
    ``name`` output.name, ``data`` data.path), then every key whose name is unique."""
    from .config import RunConfig
    from .config.flags import FLAGS, SWITCHES

    names: dict[str, str] = {}
    for flag, key, *_ in FLAGS + SWITCHES:
        name = flag.removeprefix("--").removeprefix("no-").replace("-", "_")
        if key != "train.verbosity":         # quiet=True, verbose=True: see fit()
            names.setdefault(name, key)
    seen: dict[str, list[str]] = {}
    for section in ("data", "model", "train", "output", "evaluation"):
        cls = type(getattr(RunConfig(), section))
        for f in dataclasses.fields(cls):
            seen.setdefault(f.name, []).append(f"{section}.{f.name}")
    for name, keys in seen.items():
        if len(keys) == 1:
            names.setdefault(name, keys[0])
    return names


SHORT_NAMES = _short_names()


def setting_key(name: str) -> str:
    """The dotted config key a setting names: ``lr`` → ``train.lr``; ``train.lr`` and
    ``train__lr`` as they are. An unknown name is one error listing the valid ones."""
    from .config import set_key
    from .errors import closest

    dotted = name.replace("__", ".")
    if "." in dotted:
        set_key({}, dotted, None)              # checks that the key exists
        return dotted
    if name in SHORT_NAMES:
        return SHORT_NAMES[name]
    near = closest(name, SHORT_NAMES, n=3)
    raise ConfigError(TEXT["unknown"].format(
        name=name, near=" or ".join(f"'{n}'" for n in near) if near
        else t("error.learn.none_of_them"),
        valid=", ".join(sorted(SHORT_NAMES))))


def _stage(data: Any, target: Any, flags: dict) -> tuple[Path | None, dict]:
    """The CSV a DataFrame or arrays become (a temporary file until the run folder exists),
    and the data keys that read it."""
    import pandas as pd

    if isinstance(data, (str, os.PathLike)):
        from .data.datasets import list_datasets

        name = str(data)
        if not Path(name).exists() and name in [d.name for d in list_datasets()]:
            return None, {"data.dataset": name, "data.target": target}
        return None, {"data.path": str(Path(name).resolve()), "data.target": target}
    if isinstance(data, pd.DataFrame):
        frame, stem = data, "frame"
    elif hasattr(data, "shape") or isinstance(data, (list, tuple)):
        if target is None:
            raise DataError(TEXT["no_target"])
        frame, stem = _array_table(data, target, flags)
        target = TARGET_NAME
    else:
        raise DataError(TEXT["not_data"].format(kind=type(data).__name__))
    fd, tmp = tempfile.mkstemp(prefix="hakseup-", suffix=".csv")
    os.close(fd)
    frame.to_csv(tmp, index=False)
    keys = {"data.path": tmp, "data.target": target}
    if "output.name" not in flags:
        keys["output.name"] = stem
    return Path(tmp), keys


def _array_table(x: Any, y: Any, flags: dict):
    if hasattr(y, "detach"):
        y = y.detach().cpu().numpy()
    y = np.asarray(y).reshape(len(y), -1)
    a = x.detach().cpu().numpy() if hasattr(x, "detach") else np.asarray(x)
    if len(a) != len(y):
        raise DataError(TEXT["lengths"].format(n_x=len(a), n_y=len(y)))
    if a.ndim == 3 and "data.layout" not in flags:   # (rows, steps, features): a sequence
        flags["data.layout"] = "sequence"
        flags.setdefault("data.sequence_shape", f"{a.shape[1]}x{a.shape[2]}")
    from .models.forward import array_frame

    frame = array_frame(a)
    frame[TARGET_NAME] = y[:, 0] if y.shape[1] == 1 else list(y)
    return frame, "arrays"


def fit(data: Any = "digits", target: Any = None, *, callbacks: list | None = None,
        **settings: Any):
    """Train and evaluate one model; returns a ``RunResult`` (``model``, ``history``,
    ``metrics``, ``references``, ``predict(new_data)``, ``plot()``).

    Args:
        data: a CSV path, a built-in dataset's name, a DataFrame, or feature rows.
        target: the target column's name (a path or DataFrame), or the labels/values of the
            feature rows; left out for a table, the last column is used (and said so).
        callbacks: extra training callbacks.
        settings: config keys by short name (``epochs=5, lr=0.01, model="tabular"``);
            ``quiet=True`` / ``verbose=True`` set ``train.verbosity``.
    """
    from .config.load import load_config
    from .experiment.experiment import train

    for switch in ("quiet", "verbose"):        # fit(..., quiet=True): train.verbosity
        if settings.pop(switch, False):
            settings["verbosity"] = switch
    flags = {setting_key(k): v for k, v in settings.items()}
    staged, keys = _stage(data, target, flags)
    try:
        flags.update({k: v for k, v in keys.items() if v is not None})
        cfg = load_config(flags=flags)
        return train(cfg, callbacks=callbacks, stage_data=staged)
    finally:
        if staged is not None and staged.exists():
            staged.unlink()
