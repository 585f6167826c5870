"""Starting from pretrained weights: torchvision/timm backbones, or a local weights file.

``--model torchvision:resnet18`` (or ``timm:convnext_atto``) builds that package's network with
a new linear head for this data's classes; ``--pretrained`` loads the package's own published
weights (its download and cache), ``--pretrained FILE`` (``model.weights``) loads a local file
instead — for any model, ours included. Files are read without pickle where possible
(safetensors), else with ``torch.load(weights_only=True)``. Layers whose shapes differ (the
head, for another number of classes) keep their fresh initialisation, and are named.

Example:
    >>> model = build_backbone("torchvision:resnet18", cfg, schema)    # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..errors import ConfigError
from ..i18n import t

__all__ = ["build_backbone", "load_start_weights", "read_weights", "EXTRAS"]

EXTRAS = {"torchvision": "vision", "timm": "timm"}


def _import(package: str):
    try:
        return __import__(package)
    except ImportError:
        raise ConfigError(
            t(
                "error.models.pretrained.model_needs_package",
                package=package,
                extras=EXTRAS[package],
            )
        ) from None


class _GreyToRGB(nn.Module):
    """Grey images into a network made for colour: the channel is repeated three times."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.expand(-1, 3, -1, -1) if x.shape[1] == 1 else x)


def _replace_head(net: nn.Module, n_outputs: int) -> nn.Module:
    """The network's last ``nn.Linear`` replaced by one with ``n_outputs`` outputs."""
    found: tuple[str, nn.Linear] | None = None
    for name, module in net.named_modules():
        if isinstance(module, nn.Linear):
            found = (name, module)
    if found is None:
        raise ConfigError(t("error.models.pretrained.torchvision_model_linear"))
    last, old = found
    parent = net.get_submodule(last.rsplit(".", 1)[0]) if "." in last else net
    setattr(parent, last.rsplit(".", 1)[-1], nn.Linear(old.in_features, n_outputs))
    return net


def build_backbone(name: str, cfg, schema) -> nn.Module:
    """``torchvision:ARCH`` or ``timm:ARCH`` for this data's channels and classes."""
    package, arch = name.split(":", 1)
    lib = _import(package)
    download = bool(cfg.pretrained) and not cfg.weights
    channels = schema.input_shape[0]
    try:
        if package == "timm":
            net = lib.create_model(
                arch, pretrained=download, num_classes=schema.n_outputs, in_chans=channels
            )
        else:
            import torchvision.models as tvm

            net = tvm.get_model(arch, weights="DEFAULT" if download else None)
            net = _replace_head(net, schema.n_outputs)
            net = _GreyToRGB(net) if channels == 1 else net
    except (ValueError, KeyError, RuntimeError) as e:
        raise ConfigError(
            t(
                "error.models.pretrained.model_weights_could",
                package=package,
                arch=arch,
                e=str(e).splitlines()[0],
            )
        ) from None
    return load_start_weights(net, cfg, published=True)


def read_weights(path: str | Path) -> dict[str, torch.Tensor]:
    """A state dict from ``.safetensors`` (no pickle) or ``.pt``/``.pth``/``.bin``
    (``torch.load`` with ``weights_only=True``); a checkpoint's ``state_dict``/``model`` entry
    is taken when the file holds one."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(t("error.models.pretrained.weights_file_found", path=path))
    state: Any  # a file's contents: checked below
    try:
        if p.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(str(p))
        else:
            state = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - any unreadable file is the user's to fix
        if _holds_code(e):  # never relay PyTorch's advice to load it unsafely
            raise ConfigError(t("error.models.pretrained.holds_code", path=path)) from None
        raise ConfigError(
            t(
                "error.models.pretrained.could_read_weights",
                path=path,
                kind=type(e).__name__,
                value=str(e).splitlines()[0] if str(e) else "",
            )
        ) from None
    for key in ("state_dict", "model", "model_state_dict"):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ConfigError(t("error.models.pretrained.does_hold_state", path=path))
    return state


def _holds_code(e: BaseException) -> bool:
    """Whether ``torch.load(weights_only=True)`` refused the file because its pickle names
    code (classes, functions) rather than only tensors and plain values."""
    import pickle

    return isinstance(e, pickle.UnpicklingError) or "weights_only" in str(e)


def load_start_weights(model: nn.Module, cfg, published: bool = False) -> nn.Module:
    """``model`` with the weights of ``cfg.weights`` loaded where names and shapes match
    (``start_weights.start_from_file``: one line says what was loaded and what was not);
    ``published``: the model's package has its own weights (already loaded if asked for)."""
    if not cfg.weights:
        if cfg.pretrained and not published:
            raise ConfigError(
                t("error.models.pretrained.model_pretrained_published", name=cfg.name)
            )
        return model
    from .start_weights import start_from_file

    return start_from_file(model, cfg.weights, cfg.name, read_weights)
