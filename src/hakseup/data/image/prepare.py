"""Images: per-channel normalisation fitted on training images, splits, and the lazy path.

``image_bundle`` turns raw images (a built-in dataset, a class-folder tree, a CSV of paths) into
a ``DataBundle``: the splits (stratified, or the folder tree's train/val/test, or the dataset's
official test set), a per-channel mean and std fitted on the training images only, and the
augmentation. Images held in memory become float tensors (epochs batch whole tensors); images
in a memory-mapped cache stay there and are read, normalised, batch by batch through a
``DataLoader`` (``ImageArrayDataset``).

Example:
    >>> pre = ImagePreprocessor().fit(np.zeros((4, 3, 8, 8)) + [[[1.]], [[2.]], [[3.]]])
    >>> [round(m * 255) for m in pre.mean_]
    [1, 2, 3]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from ..augment import AUGMENTATIONS, Augmenter

__all__ = ["ImagePreprocessor", "ImageArrayDataset", "Augmenter", "AUGMENTATIONS", "image_bundle"]


class ImagePreprocessor:
    """Scale raw pixels to [0, 1] and standardise each channel with the training mean and std.

    ``decode`` (size, channels, fit) records how image files were decoded, so that new files
    given to ``predict`` are decoded the same way."""

    kind = "image"
    mean_: list[float]  # per channel, on the [0, 1] scale; set by fit / from_dict
    std_: list[float]

    def __init__(
        self, max_value: float = 255.0, normalize: bool = True, decode: dict | None = None
    ):
        self.max_value = max_value
        self.normalize = normalize
        self.decode = dict(decode or {})

    def fit(self, images: np.ndarray | _RowView, chunk: int = 4096) -> ImagePreprocessor:
        """Per-channel mean and std of ``images`` ((N, H, W) or (N, C, H, W)), summed in chunks
        in float64 so a memory-mapped array is never loaded whole."""
        n = len(images)
        shape = images.shape if hasattr(images, "shape") else np.shape(images)
        c = 1 if len(shape) == 3 else int(shape[1])
        s = np.zeros(c)
        s2 = np.zeros(c)
        count = 0
        for i in range(0, n, chunk):
            x = np.asarray(images[i : i + chunk], dtype=np.float64) / self.max_value
            x = x.reshape(len(x), c, -1) if x.ndim == 4 else x.reshape(len(x), 1, -1)
            s += x.sum((0, 2))
            s2 += (x**2).sum((0, 2))
            count += x.shape[0] * x.shape[2]
        mean = s / max(count, 1)
        std = np.sqrt(np.maximum(s2 / max(count, 1) - mean**2, 0))
        self.mean_ = mean.tolist() if self.normalize else [0.0] * c
        self.std_ = [v if v > 1e-8 else 1.0 for v in std] if self.normalize else [1.0] * c
        return self

    def _check(self) -> None:
        if not hasattr(self, "mean_"):
            raise RuntimeError("ImagePreprocessor is not fitted; call fit() on training images.")

    def transform(self, images: np.ndarray) -> torch.Tensor:
        """(N, H, W) or (N, C, H, W) raw pixels → (N, C, H, W) float32."""
        self._check()
        x = torch.as_tensor(np.asarray(images), dtype=torch.float32)
        if x.ndim == 3:
            x = x.unsqueeze(1)
        return self.normalise(x)

    def normalise(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) raw pixels (any dtype) → normalised float32, in place when float."""
        mean = torch.tensor(self.mean_, dtype=torch.float32).reshape(1, -1, 1, 1)
        std = torch.tensor(self.std_, dtype=torch.float32).reshape(1, -1, 1, 1)
        x = x.float() if x.dtype != torch.float32 else x
        return x.div_(self.max_value).sub_(mean).div_(std)

    def pixels(self, x: torch.Tensor) -> torch.Tensor:
        """Normalised (N, C, H, W) back to [0, 1] pixels: for showing images."""
        self._check()
        mean = torch.tensor(self.mean_, dtype=x.dtype, device=x.device).reshape(1, -1, 1, 1)
        std = torch.tensor(self.std_, dtype=x.dtype, device=x.device).reshape(1, -1, 1, 1)
        return (x * std + mean).clamp(0, 1)

    def inverse_target(self, values: np.ndarray) -> np.ndarray:
        return values  # class indices need no inversion

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "max_value": self.max_value,
            "normalize": self.normalize,
            "mean": self.mean_,
            "std": self.std_,
            "decode": self.decode,
        }

    @classmethod
    def from_dict(cls, d: dict) -> ImagePreprocessor:
        self = cls(d["max_value"], d["normalize"], d.get("decode"))
        # Runs saved before per-channel statistics hold one number for all channels.
        self.mean_ = d["mean"] if isinstance(d["mean"], list) else [d["mean"]]
        self.std_ = d["std"] if isinstance(d["std"], list) else [d["std"]]
        return self


class ImageArrayDataset(Dataset):
    """Rows ``rows`` of a (memory-mapped) uint8 array, normalised on reading: item ``i`` is
    ``(image (C, H, W) float32, label)``. ``__getitems__`` reads a whole batch in one sorted
    fancy index (sequential on disk) instead of one read per image."""

    def __init__(
        self, images: np.ndarray, rows: np.ndarray, labels: np.ndarray, pre: ImagePreprocessor
    ):
        self.images, self.rows = images, np.asarray(rows)
        self.labels = torch.as_tensor(np.asarray(labels), dtype=torch.long)
        self.pre = pre

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int):
        return self.__getitems__([i])[0]

    def __getitems__(self, indices: list[int]) -> list[tuple[torch.Tensor, torch.Tensor]]:
        rows = self.rows[np.asarray(indices)]
        order = np.argsort(rows, kind="stable")
        block = np.empty((len(rows),) + self.images.shape[1:], dtype=self.images.dtype)
        block[order] = self.images[rows[order]]
        x = self.pre.normalise(torch.from_numpy(block))
        return [(x[k], self.labels[i]) for k, i in enumerate(indices)]


def _split_rows(raw, cfg, seed: int, indices) -> dict[str, np.ndarray]:
    """Sample indices of train, val and test: given, from the folder tree, the dataset's
    official test set, or a stratified hold-out."""
    from ..splits import holdout_indices

    labels = np.asarray(raw.labels)
    if indices is not None:
        return dict(zip(("train", "val", "test"), (np.asarray(i) for i in indices)))
    split = getattr(raw, "split", None)
    if split is not None:
        parts = {k: np.flatnonzero(split == k) for k in ("train", "val", "test")}
        tr = parts["train"]
        val_n = 0 if len(parts["val"]) else cfg.val_size
        test_n = 0 if len(parts["test"]) else cfg.test_size
        if val_n or test_n:  # what the tree lacks is carved from train/, stratified
            a, b, c = holdout_indices(len(tr), val_n, test_n, seed, stratify=labels[tr])
            parts["train"] = tr[a]
            parts["val"] = parts["val"] if len(parts["val"]) else tr[b]
            parts["test"] = parts["test"] if len(parts["test"]) else tr[c]
        return parts
    if raw.test_images is not None:
        tr, va, _ = holdout_indices(len(labels), cfg.val_size, 0, seed, stratify=labels)
        return {"train": tr, "val": va}
    tr, va, te = holdout_indices(len(labels), cfg.val_size, cfg.test_size, seed, stratify=labels)
    return {"train": tr, "val": va, "test": te}


def image_bundle(raw, cfg, seed: int, indices: tuple[np.ndarray, ...] | None = None):
    """A ``DataBundle`` of ``raw`` (``ImageData``) for the data config ``cfg``."""
    from ..bundle import DataBundle, DatasetSplit, Split

    parts = _split_rows(raw, cfg, seed, indices)
    labels = np.asarray(raw.labels)
    rows = getattr(raw, "rows", None)
    lazy = isinstance(raw.images, np.memmap)
    pre = ImagePreprocessor(
        max_value=raw.max_value, normalize=cfg.normalize, decode=getattr(raw, "decode", None)
    )
    train_rows = parts["train"] if rows is None else rows[parts["train"]]
    pre.fit(raw.images[np.sort(train_rows)] if not lazy else _RowView(raw.images, train_rows))
    splits: dict[str, Split | DatasetSplit] = {}
    for k, ix in parts.items():
        rix = ix if rows is None else rows[ix]
        if lazy:
            splits[k] = DatasetSplit(ImageArrayDataset(raw.images, rix, labels[ix], pre))
        else:
            splits[k] = Split(
                (pre.transform(raw.images[rix]),), torch.as_tensor(labels[ix], dtype=torch.long)
            )
    if "test" not in splits:
        splits["test"] = Split(
            (pre.transform(raw.test_images),),
            torch.as_tensor(np.asarray(raw.test_labels), dtype=torch.long),
        )
    info = _bundle_info(raw, parts, splits, labels, pre, lazy)
    augment = Augmenter(cfg.augment, mean=pre.mean_, std=pre.std_) if cfg.augment else None
    return DataBundle(
        splits["train"],
        splits["val"],
        splits["test"],
        _image_schema(raw),
        pre,
        info,
        augment=augment,
    )


def _image_schema(raw) -> Any:
    """The bundle ``Schema`` of ``raw``: image input shape (channel first) and its classes."""
    from ..bundle import Schema

    shape = (
        tuple(raw.images.shape[1:])
        if np.ndim(raw.images) == 4
        else (1,) + tuple(raw.images.shape[1:])
    )
    n_classes = len(raw.class_names)
    return Schema(
        task="binary" if n_classes == 2 else "multiclass",
        input_kind="image",
        input_shape=shape,
        n_outputs=n_classes,
        target="label",
        class_names=list(raw.class_names),
    )


def _bundle_info(
    raw,
    parts: dict[str, np.ndarray],
    splits: dict[str, Any],
    labels: np.ndarray,
    pre: ImagePreprocessor,
    lazy: bool,
) -> dict[str, Any]:
    """The bundle's ``info``: rows per split, training class counts, and for a folder of
    files the file paths per split and a decoding summary for the run report."""
    info: dict[str, Any] = {
        "rows": {k: len(v) for k, v in splits.items()},
        "class_counts": {
            raw.class_names[c]: int(n)
            for c, n in zip(*np.unique(labels[parts["train"]], return_counts=True))
        },
    }
    if getattr(raw, "paths", None):
        info["paths"] = {k: [raw.paths[i] for i in ix] for k, ix in parts.items()}
        d = pre.decode
        info["summary"] = {
            "images": f"{d['size'][0]}x{d['size'][1]}, {d['channels']} channel(s), {d['fit']}",
            "image cache": "memory-mapped file" if lazy else "in memory",
        }
        stats = getattr(raw, "stats", None) or {}
        if stats.get("seconds"):  # near zero when a memory-mapped cache was reused
            info["summary"]["decoding (once, before training)"] = (
                f"{stats['files']:,} files in {stats['seconds']:.1f} s "
                f"({stats['files'] / stats['seconds']:,.0f} images/s)"
            )
    return info


class _RowView:
    """Rows of an array, read in sorted chunks: ``ImagePreprocessor.fit`` on a memmap."""

    def __init__(self, images: np.ndarray, rows: np.ndarray):
        self.images, self.rows = images, np.sort(np.asarray(rows))
        self.shape = (len(self.rows),) + tuple(images.shape[1:])

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, s: slice) -> np.ndarray:
        return self.images[self.rows[s]]
