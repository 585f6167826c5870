"""Several processes: ``torchrun --nproc-per-node N -m hakseup train ...``.

``torchrun`` sets RANK, WORLD_SIZE, LOCAL_RANK and the rendezvous address; ``init_distributed``
joins the process group (NCCL on GPUs, gloo on CPUs). ``train.batch_size`` is the global batch:
each rank takes ``batch_size / world_size`` samples from its shard of the shared epoch order, so
the ranks' batches together are exactly the batch one process would take.

Example:
    >>> rank, world = init_distributed()      # (0, 1) when not launched by torchrun
"""

from __future__ import annotations

import os

import torch
import torch.distributed as dist

__all__ = ["init_distributed", "rank_and_world", "all_reduce_sum", "barrier", "shutdown"]


def rank_and_world() -> tuple[int, int]:
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def init_distributed() -> tuple[int, int]:
    """Join the process group when launched by torchrun; (rank, world size)."""
    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not dist.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        if backend == "nccl":
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        dist.init_process_group(backend=backend)
    return rank_and_world()


def all_reduce_sum(t: torch.Tensor) -> torch.Tensor:
    if rank_and_world()[1] > 1:
        dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return t


def barrier() -> None:
    if rank_and_world()[1] > 1:
        dist.barrier()


def shutdown() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
