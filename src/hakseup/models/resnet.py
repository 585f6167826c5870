"""Image models: a small ResNet (the default for images) and the curriculum's LeNet-style CNN.

``ResNet`` is the residual network of the fast CIFAR-10 training work (D. Page's ResNet-9, the
DAWNBench entry that reached 94 % in minutes, and the airbench line after it): a 3x3 stem, three
stages that each double the width and halve the size (conv → max-pool → BatchNorm → ReLU), a
residual pair of convolutions after the first and last stage, global max-pooling and a linear
head whose logits are scaled by 1/8 (which keeps early training stable at high learning
rates). ``width`` is the stem's channels: 64 is Page's network (6.6 M parameters); the default
32 has a quarter of the compute, for CPUs.

``LeNet`` is the curriculum's CIFAR-10 network, layer for layer: ``Conv2d(3, 64, 5) → ReLU →
MaxPool(2) → Conv2d(64, 30, 5) → ReLU → MaxPool(2) → Linear(30·5·5, 10)``.

Example:
    >>> ResNet(3, 10, width=8)(torch.zeros(2, 3, 32, 32)).shape
    torch.Size([2, 10])
    >>> LeNet(3, 10, (32, 32))(torch.zeros(2, 3, 32, 32)).shape
    torch.Size([2, 10])
"""

from __future__ import annotations

import torch
from torch import nn

from ..i18n import t
from .layers import activation

__all__ = ["ResNet", "LeNet"]


def _conv_bn(c_in: int, c_out: int, act: str, pool: bool = False) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False)]
    if pool:  # pooling before BatchNorm: the norm and activation run on 4x fewer values
        layers.append(nn.MaxPool2d(2, ceil_mode=True))
    layers += [nn.BatchNorm2d(c_out), activation(act)]
    return nn.Sequential(*layers)


class _Residual(nn.Module):
    def __init__(self, channels: int, act: str):
        super().__init__()
        self.body = nn.Sequential(
            _conv_bn(channels, channels, act), _conv_bn(channels, channels, act)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class ResNet(nn.Module):
    """ResNet-9-style network for (B, C, H, W) images of any size of at least 8x8."""

    def __init__(
        self,
        in_channels: int,
        n_outputs: int,
        width: int = 32,
        activation: str = "relu",
        dropout: float = 0.0,
        scale: float = 0.125,
    ):
        super().__init__()
        w = width
        self.stem = _conv_bn(in_channels, w, activation)
        self.stage1 = nn.Sequential(
            _conv_bn(w, 2 * w, activation, pool=True), _Residual(2 * w, activation)
        )
        self.stage2 = _conv_bn(2 * w, 4 * w, activation, pool=True)
        self.stage3 = nn.Sequential(
            _conv_bn(4 * w, 8 * w, activation, pool=True), _Residual(8 * w, activation)
        )
        self.pool = nn.AdaptiveMaxPool2d(1)
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(dropout), nn.Linear(8 * w, n_outputs))
        self.scale = scale

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) → (B, 8·width): the backbone, without the head."""
        return self.pool(self.stage3(self.stage2(self.stage1(self.stem(x)))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x)) * self.scale  # (B, n_outputs)

    @classmethod
    def from_schema(cls, cfg, schema) -> ResNet:
        width = cfg.channels[0] if cfg.channels else 32
        return cls(schema.input_shape[0], schema.n_outputs, width, cfg.activation, cfg.dropout)


class LeNet(nn.Module):
    """Two unpadded 5x5 convolutions, each with ReLU and 2x2 max-pooling, and a linear head
    (``channels`` = (64, 30) is the curriculum's network)."""

    def __init__(
        self,
        in_channels: int,
        n_outputs: int,
        size: tuple[int, int],
        channels: tuple[int, int] = (64, 30),
        activation_name: str = "relu",
    ):
        super().__init__()
        c1, c2 = channels
        self.conv1 = nn.Conv2d(in_channels, c1, 5)
        self.act1 = activation(activation_name)
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(c1, c2, 5)
        self.act2 = activation(activation_name)
        self.pool2 = nn.MaxPool2d(2)
        h, w = size
        h, w = ((h - 4) // 2 - 4) // 2, ((w - 4) // 2 - 4) // 2  # 32 → 28 → 14 → 10 → 5
        if h < 1 or w < 1:
            from ..errors import ConfigError

            raise ConfigError(
                t("error.models.resnet.model_lenet_needs", size=size[0], size2=size[1])
            )
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(c2 * h * w, n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool1(self.act1(self.conv1(x)))  # (B, 64, 14, 14) for 32x32
        x = self.pool2(self.act2(self.conv2(x)))  # (B, 30, 5, 5)
        return self.fc(self.flatten(x))  # (B, n_outputs)

    @classmethod
    def from_schema(cls, cfg, schema) -> LeNet:
        channels = tuple(cfg.channels[:2]) if len(cfg.channels) >= 2 else (64, 30)
        return cls(
            schema.input_shape[0],
            schema.n_outputs,
            tuple(schema.input_shape[1:3]),
            channels,
            cfg.activation,
        )
