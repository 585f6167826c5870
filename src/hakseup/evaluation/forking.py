"""What the forked helpers of a run share: when a fork is safe, and how the child cuts its ties.

A default ``hakseup train`` forks two short-lived children right after the data is loaded,
each doing on the machine's other core what the training does not wait for: the classical
references (``references_worker``) and the figures (``figure_worker``). Both follow the
same rules, kept here: fork only on Linux, with no other thread running (a lock it held at
the fork would never be released in the child), no CUDA context or process group, and the
data on the CPU; in the child, Ctrl-C is the parent's to handle, every inherited descriptor
but the child's own pipe is closed (a copy of the run folder's lock would keep a killed run
locked) and the child dies with its parent.

Example:
    >>> forkable(None) in (True, False)
    True
"""

from __future__ import annotations

import sys
import threading

__all__ = ["forkable", "detach", "die_with_parent", "start", "stop", "ended", "usable_cpus",
           "STARTED", "STOP", "START_S"]

STARTED = b"started"     # a child's first message, sent once it runs its own code
STOP = b"stop"           # the parent's last message to a serving child (an EOF may never
                         # come: a process forked later, a DataLoader worker, holds a copy
                         # of the parent's end of the pipe)
START_S = 20.0           # how long after its answer is wanted a silent child is waited for


def forkable(bundle=None) -> bool:
    """Whether a child may be forked now (for work on ``bundle``, when given)."""
    if not sys.platform.startswith("linux") or threading.active_count() > 1:
        return False
    if bundle is not None and bundle.schema.task == "forecast":
        return False
    import torch

    # A CUDA context or a process group (their C++ threads) must not be forked.
    if torch.cuda.is_initialized() or (torch.distributed.is_available()
                                        and torch.distributed.is_initialized()):
        return False
    if bundle is None:
        return True
    tensors = [*getattr(bundle.train, "inputs", ()), getattr(bundle.train, "target", None)]
    return all(getattr(t, "device", None) is None or t.device.type == "cpu" for t in tensors)


def detach(keep) -> None:
    """In the child: leave Ctrl-C to the parent, end on SIGTERM/SIGHUP, close every
    descriptor the fork copied but ``keep`` (one, or several) and stdio — above all the run
    folder's lock: a copy held here would keep it locked after the parent is killed — and
    die with the parent."""
    import os
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in ("SIGTERM", "SIGHUP"):
        signal.signal(getattr(signal, name), signal.SIG_DFL)
    keep = {keep} if isinstance(keep, int) else set(keep)
    for fd in [int(f) for f in os.listdir("/proc/self/fd")]:
        if fd > 2 and fd not in keep:
            try:
                os.close(fd)
            except OSError:       # the listing's own descriptor, already closed
                pass
    die_with_parent()


def die_with_parent() -> None:
    """SIGKILL this process when its parent ends (Linux; cleared by each fork)."""
    import ctypes

    try:
        ctypes.CDLL(None).prctl(1, 9)   # PR_SET_PDEATHSIG, SIGKILL: no orphan keeps working
    except (OSError, AttributeError):
        pass


def start(proc) -> None:
    """``proc.start()`` (a fork) with the parent's objects frozen out of the garbage
    collector: the child's collections never walk them, so it copies far fewer of the
    parent's memory pages (~14,000 fewer page faults, ~0.15 s of CPU for a digits run's
    figure worker)."""
    import gc

    frozen_before = gc.get_freeze_count()     # frozen by someone else: left so
    gc.freeze()
    try:
        proc.start()
    finally:
        if not frozen_before:
            gc.unfreeze()


def usable_cpus() -> int:
    """The processors this process may run on (its affinity mask), at least 1."""
    import os

    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def ended(proc, timeout: float) -> bool:
    """Whether ``proc`` ends within ``timeout`` s (reaped if so). Not ``proc.join(timeout)``:
    that waits on the process's sentinel pipe, whose other end ``detach`` closed in the child
    — the sentinel then reads as ended at once and join blocks in ``waitpid`` until the child
    really ends (seen: a run waiting forever on a figure worker that still served)."""
    import time

    deadline = time.monotonic() + timeout
    while proc.is_alive():                     # waitpid(WNOHANG): never blocks
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.01)
    return True


def stop(proc, grace: float = 0.0) -> None:
    """End a child that may still run: ``grace`` s to end by itself, then SIGTERM, then
    SIGKILL if it did not stop (stuck before it reset its SIGTERM handler)."""
    if ended(proc, grace):
        return
    proc.terminate()
    if not ended(proc, 5):
        proc.kill()
        proc.join()          # SIGKILL cannot be ignored: this wait ends
