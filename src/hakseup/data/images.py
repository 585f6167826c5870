"""Images: normalisation fitted on training pixels, and on-the-fly augmentation in torch ops.

Example:
    >>> pre = ImagePreprocessor().fit(train_images)            # doctest: +SKIP
    >>> x = pre.transform(test_images)                         # doctest: +SKIP
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import ConfigError, unknown_choice

__all__ = ["ImagePreprocessor", "Augmenter", "AUGMENTATIONS"]

AUGMENTATIONS = ["affine", "crop", "flip"]


class ImagePreprocessor:
    """Scale raw pixels to [0, 1] and standardise with the training mean and std."""

    kind = "image"

    def __init__(self, max_value: float = 255.0, normalize: bool = True):
        self.max_value = max_value
        self.normalize = normalize

    def fit(self, images: np.ndarray) -> "ImagePreprocessor":
        x = np.asarray(images, dtype=np.float64) / self.max_value
        self.mean_ = float(x.mean()) if self.normalize else 0.0
        self.std_ = float(x.std()) if self.normalize else 1.0
        self.std_ = self.std_ if self.std_ > 0 else 1.0
        return self

    def transform(self, images: np.ndarray) -> torch.Tensor:
        """(N, H, W) or (N, C, H, W) raw pixels → (N, C, H, W) float32."""
        if not hasattr(self, "mean_"):
            raise RuntimeError("ImagePreprocessor is not fitted; call fit() on training images.")
        x = torch.as_tensor(np.asarray(images), dtype=torch.float32)
        if x.ndim == 3:
            x = x.unsqueeze(1)
        return (x / self.max_value - self.mean_) / self.std_

    def inverse_target(self, values: np.ndarray) -> np.ndarray:
        return values  # class indices need no inversion

    def to_dict(self) -> dict:
        return {"kind": self.kind, "max_value": self.max_value, "normalize": self.normalize,
                "mean": self.mean_, "std": self.std_}

    @classmethod
    def from_dict(cls, d: dict) -> "ImagePreprocessor":
        self = cls(d["max_value"], d["normalize"])
        self.mean_, self.std_ = d["mean"], d["std"]
        return self


class Augmenter:
    """Random affine (rotation, shift, scale), random crop (pad and crop back) and horizontal
    flip, applied to a whole batch ``(B, C, H, W)`` at once with the global torch RNG (so a
    resumed run draws the same augmentations)."""

    def __init__(self, ops: list[str], degrees: float = 10.0, translate: float = 0.1,
                 scale: tuple[float, float] = (0.9, 1.1), pad: int = 2, flip_p: float = 0.5):
        for op in ops:
            if op not in AUGMENTATIONS:
                raise ConfigError(unknown_choice("augmentation", op, AUGMENTATIONS))
        self.ops = list(ops)
        self.degrees, self.translate, self.scale = degrees, translate, scale
        self.pad, self.flip_p = pad, flip_p

    def __call__(self, inputs: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, ...]:
        x = inputs[0]
        if x.ndim != 4:
            return inputs
        for op in self.ops:
            x = getattr(self, f"_{op}")(x)
        return (x, *inputs[1:])

    def _affine(self, x: torch.Tensor) -> torch.Tensor:
        b = x.shape[0]
        angle = (torch.rand(b, device=x.device) * 2 - 1) * math.radians(self.degrees)
        s = torch.empty(b, device=x.device).uniform_(*self.scale)
        t = (torch.rand(b, 2, device=x.device) * 2 - 1) * self.translate * 2
        cos, sin = torch.cos(angle) / s, torch.sin(angle) / s
        theta = torch.stack([torch.stack([cos, -sin, t[:, 0]], 1),
                             torch.stack([sin, cos, t[:, 1]], 1)], 1)          # (B, 2, 3)
        grid = F.affine_grid(theta.to(x.dtype), list(x.shape), align_corners=False)
        return F.grid_sample(x, grid, padding_mode="border", align_corners=False)

    def _crop(self, x: torch.Tensor) -> torch.Tensor:
        b, _, h, w = x.shape
        p = self.pad
        padded = F.pad(x, (p, p, p, p), mode="replicate")
        dy = torch.randint(0, 2 * p + 1, (b,), device=x.device)
        dx = torch.randint(0, 2 * p + 1, (b,), device=x.device)
        rows = (dy[:, None] + torch.arange(h, device=x.device))[:, None, :, None]   # (B,1,H,1)
        cols = (dx[:, None] + torch.arange(w, device=x.device))[:, None, None, :]   # (B,1,1,W)
        bi = torch.arange(b, device=x.device)[:, None, None, None]
        ci = torch.arange(x.shape[1], device=x.device)[None, :, None, None]
        return padded[bi, ci, rows, cols]

    def _flip(self, x: torch.Tensor) -> torch.Tensor:
        mask = torch.rand(x.shape[0], device=x.device) < self.flip_p
        return torch.where(mask[:, None, None, None], x.flip(-1), x)
