"""The CPUs this process may really use, and how busy they are: its affinity mask, a
container's cgroup CPU quota (v2 ``cpu.max``, v1 ``cpu.cfs_quota_us``), the load average, the
CPU other processes used over the last moments (psutil), and the threads the user fixed with
``OMP_NUM_THREADS`` / ``MKL_NUM_THREADS``. ``training.threads`` chooses a run's threads from
them; ``doctor`` and every run's ``environment.json`` report them.

Example:
    >>> cpus = CpuInfo(affinity=8, quota=2.0, load=0.5, cpu_count=8)
    >>> cpus.usable, cpus.free
    (2, 2)
    >>> read_cpus().usable >= 1
    True
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import psutil

__all__ = [
    "dataloader_workers",
    "MAX_WORKERS",
    "CpuInfo",
    "cgroup_quota",
    "read_cpus",
    "user_threads",
]


@dataclass(frozen=True)
class CpuInfo:
    """The CPUs a process may use and how busy they are.

    ``affinity``: CPUs in its affinity mask; ``quota``: the cgroup CPU quota in CPUs (None:
    none); ``load``: the 1-minute load average of the machine (None: unknown); ``cpu_count``:
    the machine's CPUs (the load average counts all of them); ``user``: threads the user fixed
    with ``OMP_NUM_THREADS``/``MKL_NUM_THREADS`` (None: not set); ``others_busy``: CPUs other
    processes kept busy over the last moments (psutil's CPU times; the load average lags a
    minute behind jobs that have just started)."""

    affinity: int
    quota: float | None
    load: float | None
    cpu_count: int
    user: int | None = None
    user_var: str | None = None
    others_busy: float | None = None

    @property
    def usable(self) -> int:
        """CPUs this process can keep busy: the affinity mask, lowered to the quota."""
        n = self.affinity
        if self.quota is not None:
            n = min(n, max(1, int(self.quota)))  # 1.5 CPUs: a second thread is throttled
        return max(1, n)

    @property
    def others_load(self) -> float | None:
        """The load average's share on this process's CPUs: the machine's load scaled to the
        usable CPUs (a container's quota on a large host sees the host's load)."""
        loads = [x for x in (self.load, self.others_busy) if x is not None]
        if not loads:
            return None
        return max(loads) * self.usable / max(1, self.cpu_count, self.usable)

    @property
    def free(self) -> int:
        """Usable CPUs that other processes do not already keep busy (at least 1)."""
        load = self.others_load
        if load is None:
            return self.usable
        return max(1, min(self.usable, math.floor(self.usable - load + 0.5)))


def _first_int(text: str) -> int | None:
    try:
        return int(text.split()[0])
    except (ValueError, IndexError):
        return None


def cgroup_quota(root: str | os.PathLike = "/sys/fs/cgroup") -> float | None:
    """The CPU quota of the cgroup mounted at ``root`` in CPUs, or None when there is none:
    cgroup v2's ``cpu.max`` (``max 100000`` or ``200000 100000``), else v1's
    ``cpu.cfs_quota_us`` / ``cpu.cfs_period_us`` (-1: none).

    Why the mount point alone: a container (Docker, Podman, Kubernetes) sees its own cgroup
    there — its cgroup namespace makes it the root — and that is where a CPU limit is set
    for the machines hakseup runs on. A quota set on a slice of a host without namespaces
    (``systemd-run -p CPUQuota=``) is not seen; a run there may use one thread too many."""
    root = Path(root)
    quotas = []
    try:  # v2
        quota, period = (root / "cpu.max").read_text().split()[:2]
        if quota != "max" and int(period) > 0:
            quotas.append(int(quota) / int(period))
    except (OSError, ValueError):
        pass
    for mount in ("cpu", "cpu,cpuacct", "cpuacct,cpu"):  # v1
        try:
            quota_us = _first_int((root / mount / "cpu.cfs_quota_us").read_text())
            period_us = _first_int((root / mount / "cpu.cfs_period_us").read_text())
        except OSError:
            continue
        if quota_us is not None and period_us and quota_us > 0:
            quotas.append(quota_us / period_us)
    return min(quotas) if quotas else None


def user_threads(environ: Mapping[str, str] | None = None) -> tuple[int | None, str | None]:
    """(threads, variable) the user fixed with ``OMP_NUM_THREADS`` (or else
    ``MKL_NUM_THREADS``); (None, None) when neither holds a positive number. OpenMP reads
    ``4,2`` as nested levels: the first counts."""
    env = os.environ if environ is None else environ
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        raw = str(env.get(var, "")).split(",")[0].strip()
        if raw.isdigit() and int(raw) > 0:
            return int(raw), var
    return None, None


def read_cpus(environ: dict | None = None, root: str | os.PathLike = "/sys/fs/cgroup") -> CpuInfo:
    """The CPUs this process may use now (``CpuInfo``)."""
    try:
        affinity = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # macOS, Windows: no affinity masks
        affinity = os.cpu_count() or 1
    try:
        load: float | None = os.getloadavg()[0]
    except (AttributeError, OSError):  # Windows
        load = None
    user, var = user_threads(environ)
    return CpuInfo(
        affinity=max(1, affinity),
        quota=cgroup_quota(root),
        load=load,
        cpu_count=os.cpu_count() or affinity,
        user=user,
        user_var=var,
        others_busy=_others_busy(),
    )


@dataclass(frozen=True)
class _Sample:
    wall: float  # time.monotonic()
    busy: float  # CPU seconds the whole machine spent busy since boot
    own: float  # CPU seconds this process spent


def _sample() -> _Sample:
    times = psutil.cpu_times()
    # psutil's own rule for busy time: all but idle and iowait; on Linux guest time is
    # already counted inside user and nice.
    busy = sum(times) - times.idle - getattr(times, "iowait", 0.0)
    busy -= getattr(times, "guest", 0.0) + getattr(times, "guest_nice", 0.0)
    own = psutil.Process().cpu_times()
    return _Sample(time.monotonic(), busy, own.user + own.system)


MIN_WINDOW_S = 0.2  # the kernel counts CPU time in 10 ms ticks: 0.2 s on 2 CPUs is 40
MAX_WINDOW_S = 10.0  # an older baseline (a notebook imported hakseup long ago) is stale
_last: dict[str, object] = {}


def _others_busy() -> float | None:
    """CPUs the other processes kept busy lately: the machine's busy CPU time less this
    process's, per second, since this module was imported (a command's start-up: the
    imports take a second or more) or since the last reading — at least ``MIN_WINDOW_S``,
    waited for when shorter. Unlike the load average it sees jobs that started a moment
    ago. None where psutil cannot read the counters."""
    try:
        base = _last.get("base")
        if not isinstance(base, _Sample) or time.monotonic() - base.wall > MAX_WINDOW_S:
            base = _sample()  # a stale window: open a new one, forget the old answer
            _last.update(base=base, value=None)
        wait = MIN_WINDOW_S - (time.monotonic() - base.wall)
        if wait > 0:
            cached = _last.get("value")
            if isinstance(cached, float):
                return cached  # read moments ago: the same answer
            time.sleep(wait)
        now = _sample()
    except (OSError, AttributeError, psutil.Error):
        return None
    others = (now.busy - base.busy) - (now.own - base.own)
    # Tick rounding can give slightly less than nothing or more than every CPU.
    value = min(max(0.0, others / (now.wall - base.wall)), float(psutil.cpu_count() or 1))
    _last.update(base=now, value=value)
    return value


try:
    _last["base"] = _sample()  # the window opens when the command starts
except (OSError, AttributeError, psutil.Error):
    pass


MAX_WORKERS = 8  # DataLoader workers beyond this only add memory


def dataloader_workers(cpus: CpuInfo, intra_op: int, lazy: bool) -> int:
    """DataLoader worker processes beside ``intra_op`` training threads: none for tensors in
    memory (a batch is one index per tensor: a worker only adds a copy between processes);
    for a lazy dataset the free CPUs the training threads leave (each worker runs one
    thread), at least one where more than one CPU is usable, at most ``MAX_WORKERS``.

    >>> dataloader_workers(CpuInfo(8, None, 0.0, 8), intra_op=2, lazy=True)
    6
    >>> dataloader_workers(CpuInfo(2, None, 3.0, 2), intra_op=1, lazy=True)
    1
    """
    if not lazy or cpus.usable == 1:
        return 0
    return max(1, min(MAX_WORKERS, cpus.free - intra_op))
