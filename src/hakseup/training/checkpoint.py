"""Checkpoints: weights in safetensors, everything else as tensors + JSON. Never pickle.

A checkpoint is a folder::

    model.safetensors    the model's state_dict (loadable by any safetensors reader)
    state.safetensors    every tensor of the training state (optimizer moments, RNG states)
    state.json           the rest of the training state, with the tensors' places marked,
                         and the SHA-256 of both safetensors files

It is written into a temporary folder beside its destination, fsynced (inside a live run
folder: when the run ends, or before the checkpoint that it replaced is deleted:
``fileio.replace_dir``), and swapped into place; the previous checkpoint stays as
``<name>.prev`` until the next swap. ``load_checkpoint``
verifies the checksums and falls back to ``<name>.prev`` with a warning when the newest one is
damaged.

Example:
    >>> last = run / "checkpoints" / "last"                              # doctest: +SKIP
    >>> save_checkpoint(last, model.state_dict(), {"epoch": 3})        # doctest: +SKIP
    >>> weights, state = load_checkpoint(last)                           # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..errors import CheckpointError
from ..i18n import t
from ..io.files import atomic_write_json, make_durable, replace_dir

__all__ = ["save_checkpoint", "load_checkpoint", "load_weights", "flatten_state", "unflatten_state"]

FORMAT = "hakseup-checkpoint/1"


def flatten_state(obj: Any, tensors: dict[str, torch.Tensor], path: str = "s") -> Any:
    """Replace tensors (and NumPy arrays) by references into ``tensors``; keep JSON-able rest."""
    if isinstance(obj, torch.Tensor):
        tensors[path] = obj.detach().cpu().contiguous().clone()
        return {"__tensor__": path}
    if isinstance(obj, np.ndarray):
        tensors[path] = torch.from_numpy(
            np.ascontiguousarray(obj).astype(np.int64 if obj.dtype.kind in "ui" else obj.dtype)
        )
        return {"__ndarray__": path, "dtype": str(obj.dtype)}
    if isinstance(obj, dict):
        if all(isinstance(k, str) for k in obj):
            return {k: flatten_state(v, tensors, f"{path}.{k}") for k, v in obj.items()}
        return {
            "__dict__": [
                [k, flatten_state(v, tensors, f"{path}.{i}")]
                for i, (k, v) in enumerate(obj.items())
            ]
        }
    if isinstance(obj, tuple):
        return {"__tuple__": [flatten_state(v, tensors, f"{path}.{i}") for i, v in enumerate(obj)]}
    if isinstance(obj, list):
        return [flatten_state(v, tensors, f"{path}.{i}") for i, v in enumerate(obj)]
    if isinstance(obj, (np.integer, np.floating)):
        return obj.item()
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"cannot store {type(obj).__name__} in a checkpoint")


def unflatten_state(obj: Any, tensors: dict[str, torch.Tensor]) -> Any:
    if isinstance(obj, dict):
        if "__tensor__" in obj:
            return tensors[obj["__tensor__"]]
        if "__ndarray__" in obj:
            return tensors[obj["__ndarray__"]].numpy().astype(obj["dtype"])
        if "__dict__" in obj:
            return {k: unflatten_state(v, tensors) for k, v in obj["__dict__"]}
        if "__tuple__" in obj:
            return tuple(unflatten_state(v, tensors) for v in obj["__tuple__"])
        return {k: unflatten_state(v, tensors) for k, v in obj.items()}
    if isinstance(obj, list):
        return [unflatten_state(v, tensors) for v in obj]
    return obj


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _save_tensors(tensors: dict[str, torch.Tensor], path: Path) -> None:
    from safetensors.torch import save_file

    save_file(tensors, str(path))


def save_checkpoint(
    dest: str | os.PathLike,
    model_state: dict[str, torch.Tensor],
    state: dict[str, Any] | None = None,
    meta: dict | None = None,
) -> Path:
    """Write a checkpoint folder at ``dest`` crash-safely (see module docstring)."""
    from ..errors import check_type

    check_type(dest, (str, os.PathLike), "hakseup.save_checkpoint", "dest", "a folder path")
    check_type(
        model_state,
        dict,
        "hakseup.save_checkpoint",
        "model_state",
        "a state dict (model.state_dict())",
    )
    for value in model_state.values():
        check_type(
            value,
            torch.Tensor,
            "hakseup.save_checkpoint",
            "model_state",
            "a state dict of tensors (model.state_dict())",
        )
    check_type(state, (dict, type(None)), "hakseup.save_checkpoint", "state", "a dict")
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    for stale in dest.parent.glob(f".{dest.name}.tmp-*"):  # left by a killed process
        shutil.rmtree(stale, ignore_errors=True)
    tmp = dest.with_name(f".{dest.name}.tmp-{os.getpid()}")
    tmp.mkdir()
    try:
        weights = {k: v.detach().cpu().contiguous().clone() for k, v in model_state.items()}
        _save_tensors(weights, tmp / "model.safetensors")
        tensors: dict[str, torch.Tensor] = {}
        skeleton = flatten_state(state or {}, tensors)
        _save_tensors(tensors, tmp / "state.safetensors")
        atomic_write_json(
            tmp / "state.json",
            {
                "format": FORMAT,
                "meta": meta or {},
                "state": skeleton,
                "sha256": {
                    "model.safetensors": _sha256(tmp / "model.safetensors"),
                    "state.safetensors": _sha256(tmp / "state.safetensors"),
                },
            },
        )
        make_durable(tmp)  # safetensors writes in place: on disk before the swap
        replace_dir(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest


def _is_count(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 1 << 62


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


# state.json's fields and what each must be (a hand-edited or damaged manifest is refused
# here, before anything is built from it: the previous checkpoint is then tried).
_MANIFEST_FIELDS: list[tuple[str, str, Callable[[Any], bool], str]] = [
    (
        "",
        "sha256",
        lambda v: (
            isinstance(v, dict)
            and all(isinstance(k, str) and isinstance(d, str) for k, d in v.items())
        ),
        "type.mapping",
    ),
    ("", "meta", lambda v: isinstance(v, dict), "type.mapping"),
    ("", "state", lambda v: isinstance(v, dict), "type.mapping"),
    ("meta", "epoch", _is_count, "type.integer"),
    ("meta", "global_step", _is_count, "type.integer"),
    ("state", "epoch", _is_count, "type.integer"),
    ("state", "global_step", _is_count, "type.integer"),
    ("state", "batch_in_epoch", _is_count, "type.integer"),
    ("state", "seen", _is_number, "type.number"),
    ("state", "elapsed", _is_number, "type.number"),
    ("state", "stop_training", lambda v: isinstance(v, bool), "type.bool"),
    ("state", "history", lambda v: isinstance(v, list), "type.list"),
    ("state", "callbacks", lambda v: isinstance(v, dict), "type.mapping"),
]


def _check_manifest(manifest: dict, path: Path) -> None:
    """Every field of state.json that is present has its type and range."""
    for section, key, ok, what in _MANIFEST_FIELDS:
        holder = manifest.get(section) if section else manifest
        if isinstance(holder, dict) and key in holder and not ok(holder[key]):
            shown = repr(holder[key])
            words = t(what, of="...") if what == "type.list" else t(what)
            raise CheckpointError(
                t(
                    "error.training.checkpoint.manifest_field",
                    path=path,
                    key=f"{section}.{key}" if section else key,
                    value=shown if len(shown) <= 40 else shown[:37] + "...",
                    type=words,
                )
            )


def _read(folder: Path) -> tuple[dict, dict, dict]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    manifest_path = folder / "state.json"
    if not manifest_path.is_file():
        raise CheckpointError(t("error.training.checkpoint.state_json", folder=folder))
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise CheckpointError(
            t("error.training.checkpoint.valid_json", manifest_path=manifest_path, e=e)
        ) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise CheckpointError(
            t(
                "error.training.checkpoint.hakseup_checkpoint_format",
                folder=folder,
                value=manifest.get("format") if isinstance(manifest, dict) else "?",
            )
        )
    _check_manifest(manifest, manifest_path)
    for name, digest in manifest.get("sha256", {}).items():
        f = folder / name
        if not f.is_file() or _sha256(f) != digest:
            raise CheckpointError(t("error.training.checkpoint.missing_damaged_checksum", f=f))
    try:
        weights = load_file(str(folder / "model.safetensors"))
        tensors = load_file(str(folder / "state.safetensors"))
    except (SafetensorError, OSError, ValueError) as e:
        raise CheckpointError(
            t("error.training.checkpoint.could_read", folder=folder, e=e)
        ) from None
    return weights, unflatten_state(manifest["state"], tensors), manifest.get("meta", {})


def load_checkpoint(
    folder: str | os.PathLike,
    fallback: bool = True,
    check: Callable[[dict, dict], None] | None = None,
) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """(model weights, training state) from a checkpoint folder; if it is damaged, the previous
    good one (``<name>.prev``) is used with a warning. ``check(weights, state)`` may reject a
    readable checkpoint (e.g. wrongly shaped tensors) by raising; the previous one is tried."""
    from ..errors import check_type

    check_type(
        folder,
        (str, os.PathLike),
        "hakseup.load_checkpoint",
        "folder",
        "a checkpoint folder's path",
    )
    if not str(folder).strip() or not Path(folder).name:
        from ..errors import ArgumentError

        raise ArgumentError(
            t("error.api.empty_path", function="hakseup.load_checkpoint", name="folder")
        )
    folder = Path(folder)
    candidates = [folder, folder.with_name(folder.name + ".prev")] if fallback else [folder]
    errors = []
    for i, cand in enumerate(candidates):
        if not cand.exists():
            errors.append(f"'{cand}' does not exist")
            continue
        try:
            weights, state, _ = _read(cand)
            if check is not None:
                check(weights, state)
        except CheckpointError as e:
            errors.append(str(e))
            continue
        except (RuntimeError, ValueError, KeyError, TypeError) as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            errors.append(f"'{cand}' does not fit this model ({first})")
            continue
        if i > 0:
            warnings.warn(
                t(
                    "warn.training.checkpoint.checkpoint_could_loaded",
                    folder=folder,
                    errors=errors[0],
                    cand=cand,
                ),
                stacklevel=2,
            )
        return weights, state
    raise CheckpointError(
        t(
            "error.training.checkpoint.usable_checkpoint_train",
            folder=folder,
            names="; ".join(errors),
        )
    )


def load_weights(folder: str | os.PathLike) -> dict[str, torch.Tensor]:
    return load_checkpoint(folder)[0]


def replace_weights(folder: str | os.PathLike, model_state: dict[str, torch.Tensor]) -> Path:
    """Rewrite a checkpoint folder's model weights, keeping its training state and meta (the
    tabular ridge blend, solved after training, into the checkpoint ``evaluate`` loads)."""
    folder = Path(folder)
    _, state, meta = _read(folder)
    return save_checkpoint(folder, model_state, state, meta)
