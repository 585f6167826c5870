"""Small shared building blocks for the built-in models."""

from __future__ import annotations

from torch import nn

from ..i18n import t

__all__ = ["activation", "mlp_stack", "numeric_only"]

_ACTIVATIONS = {
    "relu": nn.ReLU,
    "gelu": nn.GELU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "silu": nn.SiLU,
}


def activation(name: str) -> nn.Module:
    return _ACTIVATIONS[name]()


def mlp_stack(
    in_features: int, hidden: list[int], act: str, dropout: float, batch_norm: bool = False
) -> tuple[nn.Sequential, int]:
    """Linear → [BatchNorm] → activation → [Dropout] for each width; returns (stack, out width)."""
    layers: list[nn.Module] = []
    width = in_features
    for h in hidden:
        layers.append(nn.Linear(width, h))
        if batch_norm:
            layers.append(nn.BatchNorm1d(h))
        layers.append(activation(act))
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width = h
    return nn.Sequential(*layers), width


def numeric_only(schema, name: str) -> None:
    """Models that read one numeric tensor cannot embed categorical columns."""
    if schema.categorical_features:
        from ..errors import ConfigError

        raise ConfigError(
            t(
                "error.models.layers.model_reads_numbers",
                name=name,
                names=", ".join(schema.categorical_features[:5]),
            )
        )
