"""The DataLoader path: for lazy datasets, and for tensors too large for the training device.

The in-memory batcher (``batches.py``) is the default whenever the data fits on the device.
Otherwise batches come from a ``torch.utils.data.DataLoader`` with worker processes, pinned host
memory and persistent workers, in the *same order* as the in-memory batcher would give them
(``shard_indices``): switching paths never changes the result, a resumed run skips to the batch
it stopped at without reading the skipped ones, and each rank of a distributed run reads only
its own shard.

Example:
    >>> ds = torch.utils.data.TensorDataset(torch.arange(10.), torch.arange(10))
    >>> b = LoaderBatcher(DatasetSplit(ds), batch_size=4, shuffle=False, workers=0)
    >>> [x.tolist() for x, y in b.batches(epoch=0)]
    [[0.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0], [8.0, 9.0]]
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler, default_collate

from ..i18n import t
from .batches import EpochOrder, InMemoryBatcher, OrderOptions
from .bundle import DatasetSplit, Split, is_lazy

if TYPE_CHECKING:
    from typing import Unpack

__all__ = [
    "split_targets",
    "LoaderBatcher",
    "TensorRows",
    "default_workers",
    "choose_loader",
    "make_batcher",
    "fits_on_device",
    "iterate_split",
]


def default_workers(lazy: bool) -> int:
    """Worker processes for the DataLoader: none for tensors already in memory (a batch is one
    index per tensor; a worker would only add an inter-process copy); for a lazy dataset whose
    items are read or decoded one by one, the free CPUs that the training threads leave
    (``monitor.cpus.dataloader_workers``: never cores x processes)."""
    if not lazy:
        return 0
    from ..monitor.cpus import dataloader_workers, read_cpus

    return dataloader_workers(read_cpus(), torch.get_num_threads(), lazy=True)


class TensorRows(Dataset):
    """Tensors (same first dimension) as a map-style dataset that serves whole batches:
    ``__getitems__`` takes a batch of indices in one ``index_select`` per tensor, so the
    DataLoader path never runs per-sample Python for data that is already tensors."""

    def __init__(self, tensors: Sequence[torch.Tensor]):
        self.tensors = tuple(tensors)

    def __len__(self) -> int:
        return int(self.tensors[0].shape[0])

    def __getitem__(self, i: int) -> tuple[torch.Tensor, ...]:
        return tuple(t[i] for t in self.tensors)

    def __getitems__(self, indices: list[int]) -> tuple[torch.Tensor, ...]:
        idx = torch.as_tensor(indices, dtype=torch.long)
        return tuple(t.index_select(0, idx) for t in self.tensors)


def _already_batched(batch):
    return batch  # TensorRows.__getitems__ returned a batch


class _EpochBatches(Sampler):
    """A ``LoaderBatcher``'s batches of sample indices for one epoch; ``epoch`` and ``start`` are
    set before each pass (like ``DistributedSampler.set_epoch``) so a persistent DataLoader can
    be reused."""

    def __init__(self, batcher: LoaderBatcher):
        # A weak reference: batcher → DataLoader → sampler → batcher would be a cycle, and a
        # persistent DataLoader's worker processes would then live until the garbage
        # collector happened to run, not end when the batcher is dropped.
        self.batcher = weakref.proxy(batcher)
        self.epoch = self.start = 0

    def __len__(self) -> int:
        return len(self.batcher) - self.start

    def __iter__(self) -> Iterator[list[int]]:
        b = self.batcher
        idx = b.indices(self.epoch).tolist()
        for k in range(self.start, len(b)):
            lo, hi = b.bounds(k)
            yield idx[lo:hi]


class LoaderBatcher(EpochOrder):
    """Batches of a split through a ``DataLoader``, moved to ``device``; same interface and the
    same batch order as ``InMemoryBatcher``.

    Args:
        split: a ``DatasetSplit`` (items ``(input, ..., target)``) or a tensor ``Split`` kept on
            the host.
        workers: DataLoader worker processes (``None``: ``default_workers``).
        device: where batches go; pinned memory and non-blocking copies when it is CUDA.
        order: the epoch order's settings (``OrderOptions``), as ``InMemoryBatcher`` takes them.
    """

    def __init__(
        self,
        split: Split | DatasetSplit,
        batch_size: int,
        *,
        workers: int | None = None,
        device: torch.device | str = "cpu",
        **order: Unpack[OrderOptions],
    ):
        super().__init__(batch_size, **order)
        self.split = split
        self.workers = workers
        self.device = torch.device(device)
        self._loader: DataLoader | None = None

    @property
    def n(self) -> int:
        return len(self.split)

    @property
    def loader(self) -> DataLoader:
        """The DataLoader, built on first use and kept (its workers persist across epochs)."""
        if self._loader is None:
            lazy = is_lazy(self.split)
            workers = default_workers(lazy) if self.workers is None else self.workers
            if is_lazy(self.split):
                dataset, collate = self.split.dataset, default_collate
            else:
                dataset = TensorRows(self.split.inputs + (self.split.target,))
                collate = _already_batched
            self._sampler = _EpochBatches(self)
            # Its own generator: worker seeds are drawn from it, not from the global RNG, so
            # the training RNG stream is the same on both paths and after a resume.
            self._generator = torch.Generator()
            self._loader = DataLoader(
                dataset,
                batch_sampler=self._sampler,
                num_workers=workers,
                collate_fn=collate,
                pin_memory=self.device.type == "cuda",
                persistent_workers=workers > 0,
                generator=self._generator,
                multiprocessing_context="spawn" if workers > 0 and _forked_unsafe() else None,
            )
        return self._loader

    def batches(self, epoch: int, start: int = 0) -> Iterator[tuple[torch.Tensor, ...]]:
        """Batches of ``epoch``, skipping the first ``start`` without reading them."""
        loader = self.loader
        self._sampler.epoch, self._sampler.start = epoch, start
        self._generator.manual_seed((self.seed * 1_000_003 + epoch) * 4099 + self.rank)
        non_blocking = self.device.type == "cuda"
        for batch in loader:
            yield tuple(t.to(self.device, non_blocking=non_blocking) for t in batch)


def _forked_unsafe() -> bool:
    # CUDA cannot be used in a forked child once initialised in the parent.
    return torch.cuda.is_available() and torch.cuda.is_initialized()


def fits_on_device(
    split: Split | DatasetSplit, device: torch.device, fraction: float = 0.5
) -> bool:
    """Whether a tensor split fits in ``fraction`` of the device's free memory (always, for the
    CPU: the tensors are already in host memory)."""
    if is_lazy(split):
        return False
    if device.type != "cuda":
        return True
    nbytes = sum(t.numel() * t.element_size() for t in split.inputs + (split.target,))
    free, _ = torch.cuda.mem_get_info(device)
    return nbytes <= fraction * free


def choose_loader(split: Split | DatasetSplit, loader: str, device: torch.device | str) -> str:
    """``memory`` or ``dataloader`` for ``split`` on ``device``, given train.loader: ``auto``
    keeps tensors in memory when they fit on the device; a lazy dataset always streams."""
    if loader == "memory" and is_lazy(split):
        from ..errors import ConfigError

        raise ConfigError(t("error.data.loader.train_loader_memory"))
    if loader == "auto":
        return "memory" if fits_on_device(split, torch.device(device)) else "dataloader"
    return loader


def make_batcher(
    split: Split | DatasetSplit,
    batch_size: int,
    *,
    loader: str = "auto",
    device: torch.device | str = "cpu",
    workers: int | None = None,
    **order: Unpack[OrderOptions],
) -> InMemoryBatcher | LoaderBatcher:
    """The training batcher ``choose_loader`` picks, in the epoch order that ``order`` sets
    (``OrderOptions``). The in-memory one slices the split's tensors on ``device`` (moved
    there once; no copy when they are there already). Either merges a last batch of one sample
    into the one before it (``EpochOrder``), so BatchNorm never sees a training batch of one
    unless ``batch_size`` is 1."""
    if choose_loader(split, loader, device) == "memory":
        # Never for a lazy split: choose_loader raises on train.loader=memory, else streams it.
        assert not is_lazy(split)
        split = split.to(device)
        return InMemoryBatcher(split.inputs + (split.target,), batch_size, **order)
    return LoaderBatcher(split, batch_size, workers=workers, device=device, **order)


def iterate_split(
    split: Split | DatasetSplit,
    batch_size: int,
    device: torch.device | str,
    workers: int | None = None,
) -> Iterator[tuple[torch.Tensor, ...]]:
    """All of ``split`` in order, ``(input, ..., target)`` batches on ``device``: for evaluating
    and predicting without holding a lazy split in memory."""
    if not is_lazy(split):
        for i in range(0, len(split), batch_size):
            yield tuple(t[i : i + batch_size].to(device) for t in split.inputs + (split.target,))
        return
    yield from LoaderBatcher(
        split, batch_size, shuffle=False, workers=workers, device=device, merge_last=False
    ).batches(0)


def split_targets(split) -> np.ndarray:
    """A split's targets: its tensor, a lazy dataset's ``labels``, or read batch by batch."""
    if not is_lazy(split):
        return split.target.numpy()
    labels = getattr(split.dataset, "labels", None)
    if labels is None:
        import torch

        labels = torch.cat([b[-1] for b in iterate_split(split, 4096, "cpu")])
    return np.asarray(labels)
