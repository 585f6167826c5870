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

from .errors import ArgumentError, ArgumentTypeError, ConfigError
from .i18n import Section, t

__all__ = ["fit", "setting_key", "SHORT_NAMES"]

# The column name given to arrays' target (their features are x0, x1, ...: models/forward.py).
TARGET_NAME = "y"
TEXT = Section("error.learn")  # the messages, in the language chosen (i18n catalogs)


def _short_names() -> dict[str, str]:
    """Short name → dotted key: the CLI flags' names first (``model`` is model.name,
    ``name`` output.name, ``data`` data.path), then every key whose name is unique."""
    from .config import RunConfig
    from .config.flags import FLAGS, SWITCHES

    names: dict[str, str] = {}
    for flag, key, *_ in FLAGS + SWITCHES:
        name = flag.removeprefix("--").removeprefix("no-").replace("-", "_")
        if key != "train.verbosity":  # quiet=True, verbose=True: see fit()
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
        set_key({}, dotted, None)  # checks that the key exists
        return dotted
    if name in SHORT_NAMES:
        return SHORT_NAMES[name]
    near = closest(name, SHORT_NAMES, n=3)
    raise ConfigError(
        TEXT["unknown"].format(
            name=name,
            near=" or ".join(f"'{n}'" for n in near) if near else t("error.learn.none_of_them"),
            valid=", ".join(sorted(SHORT_NAMES)),
        )
    )


def _stage(data: Any, target: Any, flags: dict) -> tuple[Path | None, dict]:
    """The CSV a DataFrame or arrays become (a temporary file until the run folder exists),
    and the data keys that read it."""
    import pandas as pd

    if isinstance(data, (str, os.PathLike)):
        from .data.datasets import list_datasets

        _check_column_name(target)
        name = str(data)
        if not Path(name).exists() and name in [d.name for d in list_datasets()]:
            return None, {"data.dataset": name, "data.target": target}
        return None, {"data.path": str(Path(name).resolve()), "data.target": target}
    if isinstance(data, pd.DataFrame):
        frame, stem = data, "frame"
        if target is not None and not isinstance(target, str):  # fit(X_df, y): y joins X
            frame, target = _frame_with_target(data, target)
    elif hasattr(data, "shape") or isinstance(data, (list, tuple)):
        if target is None:
            raise ArgumentError(TEXT["no_target"])
        frame, stem = _array_table(data, target, flags)
        target = TARGET_NAME
    else:
        raise ArgumentTypeError(TEXT["not_data"].format(kind=type(data).__name__))
    return _write_staged(frame), {
        "data.path": None,
        "data.target": target,
        **({} if "output.name" in flags else {"output.name": stem}),
    }


def _write_staged(frame) -> Path:
    """The frame as a temporary CSV, removed again if writing it fails (a full disk)."""
    fd, tmp = tempfile.mkstemp(prefix="hakseup-", suffix=".csv")
    os.close(fd)
    try:
        frame.to_csv(tmp, index=False)
    except BaseException:
        os.unlink(tmp)
        raise
    return Path(tmp)


def _check_column_name(target: Any) -> None:
    if target is not None and not isinstance(target, str):
        raise ArgumentTypeError(TEXT["target_name"].format(kind=type(target).__name__))


def _frame_with_target(x, y):
    """``fit(X_df, y)``: the labels or values ``y`` (a Series, an array, a list) become the
    target column of a copy of ``X_df`` (named after the Series, else ``y``)."""
    name = getattr(y, "name", None)
    name = name if isinstance(name, str) and name and name not in x.columns else TARGET_NAME
    if name in x.columns:
        raise ArgumentError(TEXT["target_clash"].format(name=name))
    values = _target_values(y)
    if len(values) != len(x):
        raise ArgumentError(TEXT["lengths"].format(n_x=len(x), n_y=len(values)))
    frame = x.copy()
    frame[name] = values[:, 0] if values.shape[1] == 1 else list(values)
    return frame, name


def _target_values(y: Any) -> np.ndarray:
    if isinstance(y, str):
        raise ArgumentTypeError(TEXT["target_is_name"].format(name=y[:40]))
    if hasattr(y, "detach"):
        y = y.detach().cpu().numpy()
    if hasattr(y, "to_numpy"):
        y = y.to_numpy()
    a = np.asarray(y)
    if a.ndim == 0:
        raise ArgumentTypeError(TEXT["target_scalar"].format(kind=type(y).__name__))
    return a.reshape(len(a), -1) if a.size else a.reshape(len(a), 1)


def _array_table(x: Any, y: Any, flags: dict):
    a = x.detach().cpu().numpy() if hasattr(x, "detach") else np.asarray(x)
    if a.ndim == 0 or len(a) == 0:
        raise ArgumentError(TEXT["no_rows"].format(shape=tuple(a.shape)))
    y = _target_values(y)
    if len(a) != len(y):
        raise ArgumentError(TEXT["lengths"].format(n_x=len(a), n_y=len(y)))
    if a.ndim == 3 and "data.layout" not in flags:  # (rows, steps, features): a sequence
        flags["data.layout"] = "sequence"
        flags.setdefault("data.sequence_shape", f"{a.shape[1]}x{a.shape[2]}")
    from .models.forward import array_frame

    frame = array_frame(a)
    frame[TARGET_NAME] = y[:, 0] if y.shape[1] == 1 else list(y)
    return frame, "arrays"


def fit(
    data: Any = "digits", target: Any = None, *, callbacks: list | None = None, **settings: Any
):
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
    from .training.callbacks import check_callbacks

    check_callbacks(callbacks, "hakseup.fit")
    for switch in ("quiet", "verbose"):  # fit(..., quiet=True): train.verbosity
        if settings.pop(switch, False):
            settings["verbosity"] = switch
    flags = {setting_key(k): v for k, v in settings.items()}
    staged, keys = _stage(data, target, flags)
    if staged is not None:
        keys["data.path"] = str(staged)
    try:
        flags.update({k: v for k, v in keys.items() if v is not None})
        cfg = load_config(flags=flags)
        return train(cfg, callbacks=callbacks, stage_data=staged)
    finally:
        if staged is not None and staged.exists():
            staged.unlink()
