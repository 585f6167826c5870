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

from ..i18n import t

__all__ = ["init_distributed", "rank_and_world", "all_reduce_sum", "barrier", "shutdown"]


def rank_and_world() -> tuple[int, int]:
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def init_distributed(device: str = "auto") -> tuple[int, int]:
    """Join the process group when launched by torchrun; (rank, world size).

    The backend follows the training device (``train.device``): NCCL when it resolves to CUDA,
    gloo otherwise, so ``--device cpu`` on a GPU machine trains on the CPUs. NCCL needs a GPU
    of its own per process on a machine; more processes than GPUs is a user error.
    """
    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not dist.is_initialized():
        from .device import resolve_device

        backend = "nccl" if resolve_device(device).type == "cuda" else "gloo"
        if backend == "nccl":
            local_rank, gpus = int(os.environ.get("LOCAL_RANK", "0")), torch.cuda.device_count()
            if local_rank >= gpus:
                from ..errors import ConfigError

                procs = os.environ.get("LOCAL_WORLD_SIZE", str(local_rank + 1))
                raise ConfigError(
                    t(
                        "error.training.distributed.torchrun_started_processes",
                        procs=procs,
                        gpus=gpus,
                    )
                )
            torch.cuda.set_device(local_rank)
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
