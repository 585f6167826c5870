"""Starting any model from a weights file (``--pretrained FILE``, ``model.weights``), partially.

The file is a ``.safetensors`` file, a PyTorch state dict (read with ``weights_only=True``:
tensors only, no code runs), or a hakseup run folder or checkpoint folder (its
``model.safetensors``). Tensors whose names and shapes match are loaded; the rest of the model
keeps its fresh initialisation, and one line says what was loaded, what was not and which
shapes differ. A file that fits nothing, or whose tensors hold NaN or infinity, is refused.

Example:
    >>> from hakseup.config import ModelConfig
    >>> from hakseup.data.bundle import Schema
    >>> from hakseup.models.registry import build_model
    >>> model = build_model(ModelConfig(name="mlp"), Schema("binary", "table", (3,), 1))
    >>> state = {"body.0.weight": torch.zeros(2, 3), "head.bias": torch.ones(1)}
    >>> plan = match_weights(model, state)
    >>> plan.loaded, plan.mismatched[:1]
    (['head.bias'], ['body.0.weight'])
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from ..errors import ConfigError
from ..i18n import t

__all__ = ["match_weights", "weights_path", "start_from_file", "WeightsPlan"]

# A run folder or a checkpoint folder: where its weights are, in order of preference.
_IN_FOLDER = (
    "model.safetensors",
    "checkpoints/best/model.safetensors",
    "checkpoints/last/model.safetensors",
)


@dataclasses.dataclass
class WeightsPlan:
    """What a weights file gives a model: the model's names loaded, kept fresh (absent from
    the file), with another shape in the file, and the file's names the model has no use for."""

    fit: dict[str, torch.Tensor]
    loaded: list[str]
    missing: list[str]
    mismatched: list[str]
    unused: list[str]
    shapes: dict[str, str]  # a mismatched name -> "file AxB, model CxD"


def _strip(key: str) -> str:
    for prefix in ("module.", "_orig_mod.", "net."):  # DDP, torch.compile, _GreyToRGB
        if key.startswith(prefix):
            key = key[len(prefix) :]
    return key


def _shape(s) -> str:
    return "x".join(str(n) for n in s) or "scalar"


def match_weights(model: nn.Module, state: dict[str, torch.Tensor]) -> WeightsPlan:
    """Match a file's tensors to the model's by name (prefixes of DDP, ``torch.compile`` and
    the grey-image wrapper ignored) and shape."""
    own = model.state_dict()
    by_name = {_strip(k): k for k in own}
    fit: dict[str, torch.Tensor] = {}
    mismatched, shapes, unused = [], {}, []
    for key, value in state.items():
        name = by_name.get(_strip(key))
        if name is None:
            unused.append(key)
        elif own[name].shape != value.shape:
            mismatched.append(name)
            shapes[name] = t(
                "warn.models.start_weights.shape_pair",
                file=_shape(value.shape),
                model=_shape(own[name].shape),
            )
        else:
            fit[name] = value
    missing = [k for k in own if k not in fit and k not in shapes]
    return WeightsPlan(fit, sorted(fit), missing, sorted(mismatched), sorted(unused), shapes)


def weights_path(path: str | Path) -> Path:
    """The weights file itself, or the ``model.safetensors`` of a run or checkpoint folder."""
    p = Path(path)
    if p.is_dir():
        for rel in _IN_FOLDER:
            if (p / rel).is_file():
                return p / rel
        raise ConfigError(t("error.models.start_weights.folder_has_no_weights", path=path))
    return p


def _check_format(path: Path, shown: object) -> str:
    """Only the two formats that hold tensors without code are read: safetensors (an 8-byte
    header length, then a JSON header) and PyTorch's zip archive (read with
    ``weights_only=True``). Anything else is refused before a reader sees it."""
    try:
        with open(path, "rb") as f:
            head = f.read(9)
    except OSError:
        return "other"  # read_weights reports it
    if len(head) == 9 and head[8:9] == b"{" and int.from_bytes(head[:8], "little") < 1 << 30:
        return "safetensors"
    if head[:4] == b"PK\x03\x04":
        return "zip"
    raise ConfigError(t("error.models.start_weights.not_a_weights_file", path=shown))


def _read_safetensors(path: Path) -> dict[str, torch.Tensor]:
    """A safetensors file whatever its name ends with (``w.pt`` saved by safetensors)."""
    from safetensors.torch import load_file

    try:
        return load_file(str(path))
    except Exception as e:  # noqa: BLE001 - any unreadable file is the user's to fix
        raise ConfigError(
            t(
                "error.models.pretrained.could_read_weights",
                path=path,
                kind=type(e).__name__,
                value=str(e).splitlines()[0][:160] if str(e) else "",
            )
        ) from None


def _check_finite(fit: dict[str, torch.Tensor], path: object) -> None:
    """A tensor holding NaN or infinity would make every prediction NaN: refused by name."""
    bad = [k for k, v in fit.items() if v.is_floating_point() and not bool(torch.isfinite(v).all())]
    if bad:
        raise ConfigError(
            t("error.models.start_weights.not_finite", path=path, names=_names(bad), n=len(bad))
        )


def _names(names: list[str], most: int = 3) -> str:
    return ", ".join(names[:most]) + (f", ... (+{len(names) - most})" if len(names) > most else "")


def _check_takes_weights(model: nn.Module, plan: WeightsPlan, name: str) -> None:
    """A model with nothing to learn, or whose start is fitted from the data (MiniRocket's
    transform), refuses a file that would be ignored or overwritten."""
    if not model.state_dict():
        raise ConfigError(t("error.models.start_weights.model_has_no_weights", name=name))
    # A transform fitted from data keeps a ``fitted`` flag (rocket's ``features.fitted``,
    # or ``features.raw.fitted`` and ``features.diff.fitted`` with MultiRocket's pooling).
    fitted = [k for k in model.state_dict() if k.rsplit(".", 1)[-1] == "fitted"]
    if fitted and not all(k in plan.fit and bool(plan.fit[k]) for k in fitted):
        raise ConfigError(t("error.models.start_weights.needs_fitted_transform", name=name))


def start_from_file(
    model: nn.Module,
    weights: str | Path,
    name: str,
    read_weights: Callable[[Path], dict[str, torch.Tensor]],
) -> nn.Module:
    """``model`` with the tensors of ``weights`` loaded where names and shapes match, and one
    line (a warning) that says what was loaded, what was not, and the shapes that differ;
    ``read_weights`` reads a PyTorch zip archive (``pretrained.read_weights``)."""
    path = weights_path(weights)
    state = (
        _read_safetensors(path)
        if path.is_file() and _check_format(path, weights) == "safetensors"
        else read_weights(path)
    )
    plan = match_weights(model, state)
    _check_takes_weights(model, plan, name)
    if not plan.fit:
        raise ConfigError(
            t(
                "error.models.pretrained.layer_fits_model",
                weights=weights,
                kind=type(model).__name__,
            )
        )
    _check_finite(plan.fit, weights)
    model.load_state_dict(plan.fit, strict=False)
    warnings.warn(_report(plan, weights, len(model.state_dict())), stacklevel=2)
    return model


def _report(plan: WeightsPlan, weights: object, n_model: int) -> str:
    """One line: loaded n of m; fresh layers; each shape that differs; the file's leftovers."""
    if not plan.missing and not plan.mismatched and not plan.unused:
        return t("warn.models.start_weights.loaded_all", n=n_model, weights=weights)
    parts = [
        t(
            "warn.models.start_weights.loaded_some",
            n_fit=len(plan.fit),
            n_model=n_model,
            weights=weights,
        )
    ]
    fresh = sorted({k.rsplit(".", 1)[0] for k in plan.missing + plan.mismatched})
    if fresh:
        parts.append(t("warn.models.start_weights.fresh", names=_names(fresh, 4)))
    if plan.mismatched:
        shown = [f"{k} ({plan.shapes[k]})" for k in plan.mismatched[:3]]
        parts.append(
            t("warn.models.start_weights.mismatched", names=_names(shown + plan.mismatched[3:], 3))
        )
    if plan.unused:
        parts.append(
            t("warn.models.start_weights.unused", n=len(plan.unused), names=_names(plan.unused, 3))
        )
    return "; ".join(parts) + "."
