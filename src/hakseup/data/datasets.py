"""The dataset registry and ``load_data``: from a name or a CSV file to a ``DataBundle``.

Example:
    >>> [d.name for d in list_datasets()][:2]
    ['car-evaluation', 'digits']
    >>> bundle = load_data(DataConfig(dataset="digits"), seed=0)   # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from ..config import DataConfig
from ..errors import DataError, unknown_choice
from .bundle import DataBundle, Schema, Split
from .images import Augmenter, ImagePreprocessor
from .splits import holdout_indices

__all__ = ["DatasetInfo", "ImageData", "register_dataset", "list_datasets", "get_dataset",
           "load_data", "image_bundle"]


@dataclass
class ImageData:
    """Raw images and labels as a loader returns them, before splitting and scaling."""

    images: np.ndarray                      # (N, H, W) or (N, C, H, W), raw pixel values
    labels: np.ndarray                      # (N,) integer classes
    class_names: list[str]
    max_value: float = 255.0
    test_images: np.ndarray | None = None   # an official test set, when the dataset has one
    test_labels: np.ndarray | None = None


@dataclass
class DatasetInfo:
    name: str
    description: str
    kind: str                                   # image | table | series
    loader: Callable[[DataConfig], Any]         # → ImageData, or a pandas DataFrame
    size: str = ""
    source: str = ""
    defaults: dict = field(default_factory=dict)  # data.* defaults (target, time_col, ...)
    offline: bool = False


_REGISTRY: dict[str, DatasetInfo] = {}


def register_dataset(info: DatasetInfo) -> DatasetInfo:
    _REGISTRY[info.name] = info
    return info


def list_datasets() -> list[DatasetInfo]:
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]


def get_dataset(name: str) -> DatasetInfo:
    if name not in _REGISTRY:
        raise DataError(unknown_choice("dataset", name, _REGISTRY) +
                        " Or pass a CSV file with --data FILE.")
    return _REGISTRY[name]


def _load_digits(cfg: DataConfig) -> ImageData:
    from sklearn.datasets import load_digits

    d = load_digits()
    return ImageData(images=d.images.astype(np.float32), labels=d.target.astype(np.int64),
                     class_names=[str(c) for c in d.target_names], max_value=16.0)


register_dataset(DatasetInfo(
    name="digits", kind="image", loader=_load_digits, offline=True,
    description="8x8 handwritten digits, 10 classes (ships with scikit-learn)",
    size="1,797 images", source="scikit-learn (UCI optical digits)"))


def image_bundle(raw: ImageData, cfg: DataConfig, seed: int) -> DataBundle:
    """Stratified split (or the official test set), normalisation fitted on train only."""
    labels = np.asarray(raw.labels)
    if raw.test_images is not None:
        n = len(labels)
        tr, va, _ = holdout_indices(n, cfg.val_size, 0, seed, stratify=labels)
        parts = {"train": (raw.images[tr], labels[tr]), "val": (raw.images[va], labels[va]),
                 "test": (raw.test_images, np.asarray(raw.test_labels))}
    else:
        tr, va, te = holdout_indices(len(labels), cfg.val_size, cfg.test_size, seed,
                                     stratify=labels)
        parts = {k: (raw.images[ix], labels[ix]) for k, ix in
                 (("train", tr), ("val", va), ("test", te))}
    pre = ImagePreprocessor(max_value=raw.max_value, normalize=cfg.normalize)
    pre.fit(parts["train"][0])
    splits = {k: Split((pre.transform(x),), torch.as_tensor(y, dtype=torch.long))
              for k, (x, y) in parts.items()}
    shape = tuple(splits["train"].inputs[0].shape[1:])
    n_classes = len(raw.class_names)
    schema = Schema(task="binary" if n_classes == 2 else "multiclass", input_kind="image",
                    input_shape=shape, n_outputs=n_classes, target="label",
                    class_names=list(raw.class_names))
    info = {"rows": {k: len(v) for k, v in splits.items()},
            "class_counts": {raw.class_names[c]: int(n) for c, n in
                             zip(*np.unique(parts["train"][1], return_counts=True))}}
    return DataBundle(splits["train"], splits["val"], splits["test"], schema, pre, info,
                      augment=Augmenter(cfg.augment) if cfg.augment else None)


def load_data(cfg: DataConfig, seed: int = 0) -> DataBundle:
    """Turn a data config (a built-in dataset or a CSV path) into a ``DataBundle``."""
    if cfg.path:
        from .tables import table_bundle_from_file  # CSV support lives in the data issue

        return table_bundle_from_file(cfg, seed)
    if not cfg.dataset:
        raise DataError("No data given: expected --dataset NAME or --data FILE.csv. "
                        "See `hakseup datasets` for the built-in ones.")
    info = get_dataset(cfg.dataset)
    raw = info.loader(cfg)
    if isinstance(raw, ImageData):
        return image_bundle(raw, cfg, seed)
    from .tables import table_bundle

    return table_bundle(raw, cfg, seed, defaults=info.defaults)
