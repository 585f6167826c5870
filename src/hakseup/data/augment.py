"""Image augmentation on the whole batch ``(B, C, H, W)`` with torch ops, on the batch's device.

Each op draws its randomness per image from the global torch RNG (so a resumed run draws the
same augmentations) and works on normalised inputs: ops that need pixel values (colour jitter)
undo the normalisation with the training mean and std, and redo it.

Example:
    >>> aug = Augmenter(["flip", "cutout"])
    >>> aug((torch.zeros(4, 3, 8, 8), torch.zeros(4)))[0].shape
    torch.Size([4, 3, 8, 8])
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F

from ..errors import ConfigError, unknown_choice

__all__ = ["Augmenter", "AUGMENTATIONS"]

AUGMENTATIONS = ["affine", "crop", "cutout", "flip", "jitter", "resized_crop"]


class Augmenter:
    """The ops named in ``data.augment``, applied in the order given.

    - ``affine``: rotation (±``degrees``), shift (±``translate`` of the size), scale.
    - ``crop``: pad by ``pad`` pixels (replicated edge) and crop back at a random offset.
    - ``resized_crop``: a random region (``area`` of the image, aspect 3:4..4:3) resized back.
    - ``flip``: horizontal flip with probability ``flip_p`` (not for digits or text).
    - ``jitter``: brightness, contrast and saturation each scaled by 1 ± ``jitter``.
    - ``cutout``: a random square of side ``cutout`` × size set to the mean colour.
    """

    def __init__(
        self,
        ops: Sequence[str],
        degrees: float = 10.0,
        translate: float = 0.1,
        scale: tuple[float, float] = (0.9, 1.1),
        pad: int = 2,
        flip_p: float = 0.5,
        area: tuple[float, float] = (0.35, 1.0),
        jitter: float = 0.2,
        cutout: float = 0.25,
        mean: Sequence[float] | float = 0.0,
        std: Sequence[float] | float = 1.0,
    ):
        for op in ops:
            if op not in AUGMENTATIONS:
                raise ConfigError(unknown_choice("augmentation", op, AUGMENTATIONS))
        self.ops = list(ops)
        self.degrees, self.translate, self.scale = degrees, translate, scale
        self.pad, self.flip_p, self.area = pad, flip_p, area
        self.jitter, self.cutout = jitter, cutout
        self.mean = torch.as_tensor(mean, dtype=torch.float32).reshape(-1)
        self.std = torch.as_tensor(std, dtype=torch.float32).reshape(-1)

    def __call__(self, inputs: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, ...]:
        x = inputs[0]
        if x.ndim != 4:
            return inputs
        for op in self.ops:
            x = getattr(self, f"_{op}")(x)
        return (x, *inputs[1:])

    @staticmethod
    def _warp(x: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
        grid = F.affine_grid(theta.to(x.dtype), list(x.shape), align_corners=False)
        return F.grid_sample(x, grid, padding_mode="border", align_corners=False)

    def _affine(self, x: torch.Tensor) -> torch.Tensor:
        b = x.shape[0]
        angle = (torch.rand(b, device=x.device) * 2 - 1) * math.radians(self.degrees)
        s = torch.empty(b, device=x.device).uniform_(*self.scale)
        t = (torch.rand(b, 2, device=x.device) * 2 - 1) * self.translate * 2
        cos, sin = torch.cos(angle) / s, torch.sin(angle) / s
        theta = torch.stack(
            [torch.stack([cos, -sin, t[:, 0]], 1), torch.stack([sin, cos, t[:, 1]], 1)], 1
        )  # (B, 2, 3)
        return self._warp(x, theta)

    def _resized_crop(self, x: torch.Tensor) -> torch.Tensor:
        b = x.shape[0]
        area = torch.empty(b, device=x.device).uniform_(*self.area)
        log_ratio = torch.empty(b, device=x.device).uniform_(math.log(3 / 4), math.log(4 / 3))
        ratio = torch.exp(log_ratio)
        sw = torch.sqrt(area * ratio).clamp(max=1.0)  # region's share of the width
        sh = torch.sqrt(area / ratio).clamp(max=1.0)
        cx = (torch.rand(b, device=x.device) * 2 - 1) * (1 - sw)  # centre, inside the image
        cy = (torch.rand(b, device=x.device) * 2 - 1) * (1 - sh)
        zero = torch.zeros_like(sw)
        theta = torch.stack(
            [torch.stack([sw, zero, cx], 1), torch.stack([zero, sh, cy], 1)], 1
        )  # (B, 2, 3)
        return self._warp(x, theta)

    def _crop(self, x: torch.Tensor) -> torch.Tensor:
        b, _, h, w = x.shape
        p = self.pad
        padded = F.pad(x, (p, p, p, p), mode="replicate")
        dy = torch.randint(0, 2 * p + 1, (b,), device=x.device)
        dx = torch.randint(0, 2 * p + 1, (b,), device=x.device)
        rows = (dy[:, None] + torch.arange(h, device=x.device))[:, None, :, None]  # (B,1,H,1)
        cols = (dx[:, None] + torch.arange(w, device=x.device))[:, None, None, :]  # (B,1,1,W)
        bi = torch.arange(b, device=x.device)[:, None, None, None]
        ci = torch.arange(x.shape[1], device=x.device)[None, :, None, None]
        return padded[bi, ci, rows, cols]

    def _flip(self, x: torch.Tensor) -> torch.Tensor:
        mask = torch.rand(x.shape[0], device=x.device) < self.flip_p
        return torch.where(mask[:, None, None, None], x.flip(-1), x)

    def _stats(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        c = x.shape[1]
        mean = (
            self.mean.to(x.device, x.dtype).expand(c)
            if self.mean.numel() == 1
            else self.mean.to(x.device, x.dtype)
        )
        std = (
            self.std.to(x.device, x.dtype).expand(c)
            if self.std.numel() == 1
            else self.std.to(x.device, x.dtype)
        )
        return mean[None, :, None, None], std[None, :, None, None]

    def _jitter(self, x: torch.Tensor) -> torch.Tensor:
        b, c = x.shape[:2]
        mean, std = self._stats(x)
        px = x * std + mean  # back to pixels in [0, 1]

        def factor():
            return (
                1 + (torch.rand(b, 1, 1, 1, device=x.device, dtype=x.dtype) * 2 - 1) * self.jitter
            )

        px = px * factor()  # brightness
        grey = (
            px.mean(1, keepdim=True)
            if c != 3
            else (0.299 * px[:, :1] + 0.587 * px[:, 1:2] + 0.114 * px[:, 2:])
        )
        px = grey.mean((2, 3), keepdim=True) + (px - grey.mean((2, 3), keepdim=True)) * factor()
        if c == 3:  # saturation: towards grey
            grey = 0.299 * px[:, :1] + 0.587 * px[:, 1:2] + 0.114 * px[:, 2:]
            px = grey + (px - grey) * factor()
        return (px.clamp(0, 1) - mean) / std

    def _cutout(self, x: torch.Tensor) -> torch.Tensor:
        b, _, h, w = x.shape
        side_h, side_w = max(1, round(h * self.cutout)), max(1, round(w * self.cutout))
        top = torch.randint(0, h - side_h + 1, (b, 1, 1), device=x.device)
        left = torch.randint(0, w - side_w + 1, (b, 1, 1), device=x.device)
        r = torch.arange(h, device=x.device)[None, :, None]
        col = torch.arange(w, device=x.device)[None, None, :]
        hole = (r >= top) & (r < top + side_h) & (col >= left) & (col < left + side_w)
        return x.masked_fill(hole[:, None], 0.0)  # 0 = the mean colour once normalised
