"""The in-memory batcher: whole-tensor batches by index, no per-sample Python.

When a dataset fits in memory (on the training device), a batch is one ``index_select`` per
tensor instead of ``batch_size`` calls to ``Dataset.__getitem__`` plus a collate. The order of
epoch ``e`` depends only on ``(seed, e)``, so a resumed run sees exactly the batches an
uninterrupted one would, and ranks of a distributed run can take disjoint shards of it.

A last batch of a single sample is merged into the one before it (9 samples in batches of 4
give 4 + 5, not 4 + 4 + 1): BatchNorm cannot normalise one sample in training mode, and
merging loses no sample, unlike ``drop_last``.

Example:
    >>> b = InMemoryBatcher((torch.arange(10.),), batch_size=4, shuffle=False)
    >>> [x[0].tolist() for x in b.batches(epoch=0)]
    [[0.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0], [8.0, 9.0]]
    >>> b = InMemoryBatcher((torch.arange(9.),), batch_size=4, shuffle=False)
    >>> [x[0].tolist() for x in b.batches(epoch=0)]
    [[0.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0, 8.0]]
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, TypedDict

import torch

if TYPE_CHECKING:
    from typing import Unpack

__all__ = [
    "EpochOrder",
    "InMemoryBatcher",
    "OrderOptions",
    "batch_bounds",
    "epoch_permutation",
    "shard_indices",
    "steps_per_epoch",
]


def epoch_permutation(
    n: int, seed: int, epoch: int, device: torch.device | str = "cpu"
) -> torch.Tensor:
    """The shuffled order of epoch ``epoch``: a pure function of (n, seed, epoch)."""
    g = torch.Generator(device="cpu")
    g.manual_seed(seed * 1_000_003 + epoch)
    return torch.randperm(n, generator=g).to(device)


def shard_indices(
    n: int,
    seed: int,
    epoch: int,
    shuffle: bool = True,
    rank: int = 0,
    world_size: int = 1,
    device: torch.device | str = "cpu",
) -> torch.Tensor:
    """One rank's sample indices for ``epoch``, in order: shared by the in-memory batcher and
    the DataLoader path, so both see the same batches and each sample once per epoch.

    With several ranks every rank gets the same number of samples (DDP needs equal step
    counts): the order is padded by wrapping around, then every ``world_size``-th index is
    taken, as ``torch.utils.data.DistributedSampler`` does.
    """
    idx = epoch_permutation(n, seed, epoch, device) if shuffle else torch.arange(n, device=device)
    if world_size > 1:
        per_rank = -(-n // world_size)
        total = per_rank * world_size
        if total > n:
            idx = torch.cat([idx, idx[: total - n]])
        idx = idx[rank:total:world_size]
    return idx


def steps_per_epoch(
    n: int, batch_size: int, drop_last: bool, world_size: int = 1, merge_last: bool = True
) -> int:
    """Batches one rank takes per epoch. With ``merge_last`` a last batch of one sample is
    merged into the one before it, so it is not a step of its own."""
    per_rank = -(-n // world_size)
    if drop_last:
        return per_rank // batch_size
    steps = -(-per_rank // batch_size)
    lone = merge_last and steps > 1 and per_rank % batch_size == 1
    return steps - 1 if lone else steps


def batch_bounds(
    n: int, batch_size: int, drop_last: bool, world_size: int, b: int, merge_last: bool = True
) -> tuple[int, int]:
    """Where batch ``b`` starts and ends in one rank's order: ``batch_size`` samples each, the
    last one taking what is left (``batch_size + 1`` when a lone sample was merged into it)."""
    per_rank = -(-n // world_size)
    lo = b * batch_size
    last = b == steps_per_epoch(n, batch_size, drop_last, world_size, merge_last) - 1
    return lo, (per_rank if last and not drop_last else lo + batch_size)


class OrderOptions(TypedDict, total=False):
    """``EpochOrder``'s settings besides the batch size, as keywords: what every batcher (and
    ``loader.make_batcher``) passes on unchanged, declared once. Defaults: ``EpochOrder``."""

    shuffle: bool
    drop_last: bool
    seed: int
    rank: int
    world_size: int
    merge_last: bool


class EpochOrder:
    """What decides an epoch's batches — batch size, shuffling, seed, and this rank's shard —
    and the order it gives. Both batchers (in memory, and the DataLoader path in
    ``loader.py``) build on it, so switching paths never changes the batches.

    ``merge_last`` (the default, for training) merges a last batch of one sample into the one
    before it; ``False`` gives plain ``batch_size`` chunks (evaluation, where it is harmless).
    """

    def __init__(
        self,
        batch_size: int,
        shuffle: bool = True,
        drop_last: bool = False,
        seed: int = 0,
        rank: int = 0,
        world_size: int = 1,
        merge_last: bool = True,
    ):
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.seed = seed
        self.rank = rank
        self.world_size = world_size
        self.merge_last = merge_last

    @property
    def n(self) -> int:
        """Samples in the whole split (all ranks)."""
        raise NotImplementedError

    def indices(self, epoch: int, device: torch.device | str = "cpu") -> torch.Tensor:
        """This rank's sample indices for ``epoch``, in order."""
        return shard_indices(
            self.n, self.seed, epoch, self.shuffle, self.rank, self.world_size, device
        )

    def __len__(self) -> int:
        return steps_per_epoch(
            self.n, self.batch_size, self.drop_last, self.world_size, self.merge_last
        )

    def bounds(self, b: int) -> tuple[int, int]:
        """(start, end) of batch ``b`` in ``indices(epoch)``; the same on both paths."""
        return batch_bounds(
            self.n, self.batch_size, self.drop_last, self.world_size, b, self.merge_last
        )


class InMemoryBatcher(EpochOrder):
    """Yield batches of ``tensors`` (all with the same first dimension) by index slicing, in
    the epoch order that ``order`` sets (``OrderOptions``)."""

    def __init__(
        self, tensors: tuple[torch.Tensor, ...], batch_size: int, **order: Unpack[OrderOptions]
    ):
        super().__init__(batch_size, **order)
        self.tensors = tensors

    @property
    def n(self) -> int:
        return int(self.tensors[0].shape[0])

    def batches(self, epoch: int, start: int = 0) -> Iterator[tuple[torch.Tensor, ...]]:
        """Batches of ``epoch``, skipping the first ``start`` (for resuming mid-epoch)."""
        idx = self.indices(epoch, self.tensors[0].device)
        for b in range(start, len(self)):
            lo, hi = self.bounds(b)
            if self.shuffle or self.world_size > 1:
                sel = idx[lo:hi]
                yield tuple(t.index_select(0, sel) for t in self.tensors)
            else:  # contiguous: a view, no copy
                yield tuple(t[lo:hi] for t in self.tensors)
