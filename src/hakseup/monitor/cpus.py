"""The CPUs this process may really use, and how busy they are: its affinity mask, a
container's cgroup CPU quota (v2 ``cpu.max``, v1 ``cpu.cfs_quota_us``), the load average and
the tasks running right now, and the threads the user fixed with ``OMP_NUM_THREADS`` /
``MKL_NUM_THREADS``. ``training.threads`` chooses a run's threads from them; ``doctor`` and
every run's ``environment.json`` report them.

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
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

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
    with ``OMP_NUM_THREADS``/``MKL_NUM_THREADS`` (None: not set); ``running``: other tasks
    runnable right now (``procs_running`` of ``/proc/stat`` less this one) — the load average
    lags a minute behind jobs that have just started."""

    affinity: int
    quota: float | None
    load: float | None
    cpu_count: int
    user: int | None = None
    user_var: str | None = None
    running: int | None = None

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
        loads = [x for x in (self.load, self.running) if x is not None]
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


def _cgroup_dirs(root: Path, controller: str | None, proc_cgroup: str) -> list[Path]:
    """The folders of this process's cgroup and its ancestors (innermost first)."""
    rel = None
    for line in proc_cgroup.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        if (controller is None and parts[0] == "0" and parts[1] == "") or (
            controller is not None and controller in parts[1].split(",")
        ):
            rel = parts[2]
    if rel is None:
        rel = "/"
    out, p = [], Path(rel.strip("/"))
    while True:
        out.append(root / p)
        if str(p) in ("", "."):
            return out
        p = p.parent


def cgroup_quota(
    root: str | os.PathLike = "/sys/fs/cgroup", proc_cgroup: str | None = None
) -> float | None:
    """The CPU quota of this process's cgroup (the tightest along its ancestors) in CPUs, or
    None when there is none: cgroup v2's ``cpu.max`` (``max 100000`` or ``200000 100000``),
    else v1's ``cpu.cfs_quota_us`` / ``cpu.cfs_period_us`` (-1: none)."""
    root = Path(root)
    if proc_cgroup is None:
        try:
            proc_cgroup = Path("/proc/self/cgroup").read_text()
        except OSError:
            proc_cgroup = ""
    quotas = []
    for d in _cgroup_dirs(root, None, proc_cgroup):  # v2
        try:
            quota, period = (d / "cpu.max").read_text().split()[:2]
        except (OSError, ValueError):
            continue
        if quota != "max" and int(period) > 0:
            quotas.append(int(quota) / int(period))
    for mount in ("cpu", "cpu,cpuacct", "cpuacct,cpu"):  # v1
        for d in _cgroup_dirs(root / mount, "cpu", proc_cgroup):
            try:
                quota_us = _first_int((d / "cpu.cfs_quota_us").read_text())
                period_us = _first_int((d / "cpu.cfs_period_us").read_text())
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
        running=_others_running(),
    )


def _others_running() -> int | None:
    """Tasks runnable now besides this thread (Linux ``/proc/stat``), else None."""
    try:
        with open("/proc/stat") as f:
            for line in f:
                if line.startswith("procs_running"):
                    return max(0, int(line.split()[1]) - 1)
    except (OSError, ValueError, IndexError):
        pass
    return None


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
