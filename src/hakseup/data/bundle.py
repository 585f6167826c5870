"""What the data layer hands to models and the trainer: tensors, a schema, fitted preprocessing.

Example:
    >>> bundle = load_data(RunConfig().data, seed=0)          # doctest: +SKIP
    >>> bundle.schema.task, bundle.train.inputs[0].shape       # doctest: +SKIP
    ('multiclass', torch.Size([1257, 1, 8, 8]))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

if TYPE_CHECKING:  # typing-only: typing.TypeIs is 3.13+
    from typing_extensions import TypeIs

__all__ = ["Schema", "Split", "DatasetSplit", "DataBundle", "ImageData", "is_lazy", "first_samples"]


@dataclass
class Schema:
    """What a model needs to know about its inputs and outputs."""

    task: str  # binary | multiclass | regression | forecast
    input_kind: str  # image | table | sequence | series
    input_shape: tuple[int, ...]  # one sample's numeric input, e.g. (1, 8, 8)
    n_outputs: int  # classes, or predicted values per sample
    target: str = "target"
    class_names: list[str] = field(default_factory=list)
    numeric_features: list[str] = field(default_factory=list)
    categorical_features: list[str] = field(default_factory=list)
    cardinalities: list[int] = field(default_factory=list)  # per categorical, incl. unknown
    season: int = 1  # series: the season length (1: none)
    n_series: int = 0  # a panel: the series the model knows
    threshold: float | None = None  # binary: P(class 1) that labels a row 1
    # (chosen on validation for --metric; None: 0.5)
    future_channels: int = 0  # series: the last channels hold the values
    # known at the forecast steps (covariates.py)
    future_features: list[str] = field(default_factory=list)  # series: the covariates
    # among them (the calendar follows them)

    @property
    def is_classification(self) -> bool:
        return self.task in ("binary", "multiclass")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["input_shape"] = list(self.input_shape)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Schema:
        d = dict(d)
        d["input_shape"] = tuple(d["input_shape"])
        return cls(**d)


@dataclass
class Split:
    """One split: model inputs (a tuple, passed as ``model(*inputs)``) and the target."""

    inputs: tuple[torch.Tensor, ...]  # each (N, ...)
    target: torch.Tensor  # (N,) class indices, or (N, H) values

    def __len__(self) -> int:
        return int(self.target.shape[0])

    def to(self, device: torch.device | str) -> Split:
        return Split(tuple(x.to(device) for x in self.inputs), self.target.to(device))


@dataclass
class DatasetSplit:
    """A lazy split, for data that does not fit in memory: a ``torch.utils.data.Dataset`` whose
    item ``i`` is ``(input, ..., target)`` and is read on demand. The trainer feeds it through
    a ``DataLoader`` (workers, pinned memory) instead of the in-memory batcher.

    Example:
        >>> ds = torch.utils.data.TensorDataset(torch.randn(10, 3), torch.arange(10) % 2)
        >>> len(DatasetSplit(ds))
        10
    """

    dataset: Any  # torch.utils.data.Dataset with __len__

    def __len__(self) -> int:
        return len(self.dataset)

    def to(self, device: torch.device | str) -> DatasetSplit:
        return self  # read on demand; batches move, not the data


def is_lazy(split: Split | DatasetSplit) -> TypeIs[DatasetSplit]:
    """True when ``split`` is read on demand rather than held as tensors."""
    return isinstance(split, DatasetSplit)


def first_samples(
    split: Split | DatasetSplit, k: int = 2
) -> tuple[tuple[torch.Tensor, ...], torch.Tensor]:
    """(inputs, target) of the first ``k`` samples, batched: for dry runs and graph tracing."""
    if isinstance(split, Split):
        return tuple(x[:k] for x in split.inputs), split.target[:k]
    from torch.utils.data import default_collate

    *inputs, target = default_collate([split.dataset[i] for i in range(min(k, len(split)))])
    return tuple(inputs), target


@dataclass
class DataBundle:
    """Train/validation/test splits, the fitted preprocessing and the schema."""

    train: Split | DatasetSplit
    val: Split | DatasetSplit
    test: Split | DatasetSplit
    schema: Schema
    preprocessor: Any  # has to_dict(); fitted on training rows only
    info: dict = field(default_factory=dict)  # profile and notices for the report
    augment: Callable[[tuple[torch.Tensor, ...]], tuple[torch.Tensor, ...]] | None = None


@dataclass
class ImageData:
    """Raw images and labels as a loader returns them, before splitting and scaling."""

    images: np.ndarray  # (N, H, W) or (N, C, H, W), raw pixel values
    labels: np.ndarray  # (N,) integer classes
    class_names: list[str]
    max_value: float = 255.0
    test_images: np.ndarray | None = None  # an official test set, when the dataset has one
    test_labels: np.ndarray | None = None
