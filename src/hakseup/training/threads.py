"""How many threads a run uses: chosen per run from the work's size and the CPUs it may use.

PyTorch starts as many intra-op (OpenMP) threads as the machine has cores. Those threads
spin while they wait for each other at the end of every parallel operator; when another
process holds one of the cores, each operator waits for the thread that is not running, and a
small model's steps — thousands of tiny operators — became up to 26x slower on a busy 2-core
machine (issue 25). Tiny models gain nothing from intra-op threads even on an idle machine:
an operator on a 64-row batch is over before a second thread has woken up.

The rule (``choose_threads``), measured with ``benchmarks/threads.py``:

* ``OMP_NUM_THREADS`` / ``MKL_NUM_THREADS`` set by the user always win, then ``train.threads``
  when it is a number; otherwise (``auto``):
* the CPUs this process may really use: its affinity mask, lowered to a container's cgroup CPU
  quota (``cpu.max`` of cgroup v2, ``cpu.cfs_quota_us`` of v1);
* minus what the 1-minute load average says other processes take of them: a CPU that someone
  else is running on makes every parallel operator wait for it;
* one thread unless the largest operator of a training step is large (convolutions over
  images, wide matrix products: ``LARGE_OP_MACS``), then as many as the free CPUs.

DataLoader workers follow the same share (``dataloader_workers``): never cores x processes.

Example:
    >>> cpus = CpuInfo(affinity=8, quota=None, load=0.2, cpu_count=8, user=None)
    >>> choose_threads(Work(params=20_000, batch=64, kind="linear", op_macs=1e6), cpus).intra_op
    1
    >>> choose_threads(Work(params=2e6, batch=64, kind="conv", op_macs=5e8), cpus).intra_op
    8
    >>> choose_threads(None, CpuInfo(8, None, 0.0, 8, user=3)).intra_op  # OMP_NUM_THREADS=3
    3
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..i18n import t

__all__ = ["CpuInfo", "Work", "ThreadChoice", "ThreadPolicy", "read_cpus", "cgroup_quota",
           "user_threads", "measure_work", "choose_threads", "dataloader_workers",
           "parse_threads", "LARGE_OP_MACS", "MAX_WORKERS"]

# Multiply-accumulates of one operator of a training step (forward) above which a second
# intra-op thread pays for waking it: measured with benchmarks/threads.py --kernels (a LeNet
# convolution on 64 28x28 images, ~2e7-6e8 MACs an operator, gained 1.3-1.6x from 2 threads on
# an idle machine; the table, digits, series and LSTM models, 1e4-1e6 MACs, gained nothing).
LARGE_OP_MACS = 2e7
MAX_WORKERS = 8           # DataLoader workers beyond this only add memory


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
            n = min(n, max(1, int(self.quota)))      # 1.5 CPUs: a second thread is throttled
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


@dataclass(frozen=True)
class Work:
    """The size of one training step: parameters, batch, the kind of layers (``conv``,
    ``recurrent`` or ``linear``) and ``op_macs``, the multiply-accumulates of its largest
    single operator (what intra-op threads split)."""

    params: int
    batch: int
    kind: str
    op_macs: float


@dataclass
class ThreadChoice:
    """Threads for a run and why: ``reason`` is the catalog key, ``fields`` its values."""

    intra_op: int
    inter_op: int
    workers: int | None
    source: str                      # env, config, auto
    reason_key: str
    fields: dict = field(default_factory=dict)
    applied: dict = field(default_factory=dict)   # what could be set (inter-op may not)

    @property
    def reason(self) -> str:
        return t(self.reason_key, **self.fields)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["reason"] = self.reason
        return d


# --------------------------------------------------------------------------- the machine


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
        if (controller is None and parts[0] == "0" and parts[1] == "") or \
                (controller is not None and controller in parts[1].split(",")):
            rel = parts[2]
    if rel is None:
        rel = "/"
    out, p = [], Path(rel.strip("/"))
    while True:
        out.append(root / p)
        if str(p) in ("", "."):
            return out
        p = p.parent


def cgroup_quota(root: str | os.PathLike = "/sys/fs/cgroup",
                 proc_cgroup: str | None = None) -> float | None:
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
    for d in _cgroup_dirs(root, None, proc_cgroup):                      # v2
        try:
            quota, period = (d / "cpu.max").read_text().split()[:2]
        except (OSError, ValueError):
            continue
        if quota != "max" and int(period) > 0:
            quotas.append(int(quota) / int(period))
    for mount in ("cpu", "cpu,cpuacct", "cpuacct,cpu"):                # v1
        for d in _cgroup_dirs(root / mount, "cpu", proc_cgroup):
            try:
                quota = _first_int((d / "cpu.cfs_quota_us").read_text())
                period = _first_int((d / "cpu.cfs_period_us").read_text())
            except OSError:
                continue
            if quota is not None and period and quota > 0:
                quotas.append(quota / period)
    return min(quotas) if quotas else None


def user_threads(environ: dict | None = None) -> tuple[int | None, str | None]:
    """(threads, variable) the user fixed with ``OMP_NUM_THREADS`` (or else
    ``MKL_NUM_THREADS``); (None, None) when neither holds a positive number. OpenMP reads
    ``4,2`` as nested levels: the first counts."""
    environ = os.environ if environ is None else environ
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        raw = str(environ.get(var, "")).split(",")[0].strip()
        if raw.isdigit() and int(raw) > 0:
            return int(raw), var
    return None, None


def read_cpus(environ: dict | None = None, root: str | os.PathLike = "/sys/fs/cgroup"
              ) -> CpuInfo:
    """The CPUs this process may use now (``CpuInfo``)."""
    try:
        affinity = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):           # macOS, Windows: no affinity masks
        affinity = os.cpu_count() or 1
    try:
        load: float | None = os.getloadavg()[0]
    except (AttributeError, OSError):           # Windows
        load = None
    user, var = user_threads(environ)
    return CpuInfo(affinity=max(1, affinity), quota=cgroup_quota(root), load=load,
                   cpu_count=os.cpu_count() or affinity, user=user, user_var=var,
                   running=_others_running())


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


# --------------------------------------------------------------------------- the work


def _conv_macs(module, out) -> float:
    import torch

    if not isinstance(out, torch.Tensor):
        return 0.0
    w = module.weight
    # Each output value takes (in_channels / groups) x kernel MACs.
    return float(out.numel()) * float(w[0].numel())


def measure_work(model, inputs: tuple, batch: int) -> Work:
    """The ``Work`` of training ``model`` on batches of ``batch`` samples, from one forward
    pass of ``inputs`` (a few samples, batched) with hooks on the linear and convolution
    layers; recurrent layers (``nn.LSTM``, ours) are sized by their hidden-to-hidden product,
    the operator each time step repeats."""
    import torch
    from torch import nn

    n = max(1, int(inputs[0].shape[0])) if inputs else 1
    largest, kinds = [0.0], set()

    def hook(module, args, out):
        if isinstance(module, nn.Linear):
            rows = out.numel() / max(1, module.out_features) if isinstance(
                out, torch.Tensor) else n
            macs = rows * module.in_features * module.out_features
        else:
            macs = _conv_macs(module, out)
            kinds.add("conv")
        largest[0] = max(largest[0], macs * batch / n)

    convs = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d)
    handles = [m.register_forward_hook(hook) for m in model.modules()
               if isinstance(m, (nn.Linear,) + convs)]
    for name, p in model.named_parameters():
        if "weight_hh" in name:                  # (gates x H, H): one step's product
            kinds.add("recurrent")
            largest[0] = max(largest[0], float(p.numel()) * batch)
    was_training = model.training
    try:
        with torch.no_grad():
            model.eval()(*inputs)
    except Exception:           # the dry run reports a model that cannot run: not our concern
        pass
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()
    kind = "conv" if "conv" in kinds else "recurrent" if "recurrent" in kinds else "linear"
    params = sum(p.numel() for p in model.parameters())
    return Work(params=int(params), batch=int(batch), kind=kind, op_macs=float(largest[0]))


# --------------------------------------------------------------------------- the rule


def parse_threads(value: Any) -> str:
    """``train.threads`` checked: ``auto`` or a positive whole number (returned as text).

    >>> parse_threads(" 4 "), parse_threads("AUTO")
    ('4', 'auto')
    """
    from ..errors import ConfigError

    text = str(value).strip().lower()
    if text == "auto":
        return "auto"
    try:
        n = int(text)
    except ValueError:
        raise ConfigError(t("error.threads.not_a_number", value=value)) from None
    if n < 1:
        raise ConfigError(t("error.threads.not_positive", value=value))
    return str(n)


def choose_threads(work: Work | None, cpus: CpuInfo, requested: str | int = "auto"
                   ) -> ThreadChoice:
    """The threads for a run (``ThreadChoice``): see the module for the rule. ``work`` None:
    not known yet (before the model is built), which counts as small work."""
    if cpus.user is not None:
        return ThreadChoice(cpus.user, 1, None, "env", "threads.reason.env",
                            {"var": cpus.user_var, "n": cpus.user})
    if str(requested) != "auto":
        return ThreadChoice(int(requested), 1, None, "config", "threads.reason.config",
                            {"n": int(requested)})
    usable, free = cpus.usable, cpus.free
    busy = cpus.others_load
    base = {"usable": usable, "free": free, "load": "?" if busy is None else f"{busy:.1f}"}
    if usable == 1:
        return ThreadChoice(1, 1, None, "auto", "threads.reason.one_cpu", base)
    if work is None or work.op_macs < LARGE_OP_MACS:
        macs = 0 if work is None else work.op_macs
        return ThreadChoice(1, 1, None, "auto", "threads.reason.small_work",
                            {**base, "macs": f"{macs:.1e}"})
    if free == 1:
        return ThreadChoice(1, 1, None, "auto", "threads.reason.busy", base)
    return ThreadChoice(free, 1, None, "auto", "threads.reason.large_work",
                        {**base, "n": free, "macs": f"{work.op_macs:.1e}"})


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


# --------------------------------------------------------------------------- applying it


class ThreadPolicy:
    """The thread choice of one run, applied to this process and undone by ``restore``.

    ``start`` applies the choice for work not yet known (data loading, the forked helpers
    get one thread unless the user said otherwise); ``refine`` the final one once the model
    and batch are known, before training; ``restore`` puts back the thread count the process
    had (a notebook is left as it was). The inter-op pool can be sized only before any
    inter-op work ran in the process and never changed back: it is set only where the
    process is hakseup's own (``own_process``), and left as it is otherwise.
    """

    own_process = False      # set by the ``hakseup`` command's entry point

    def __init__(self, requested: str | int = "auto", cpus: CpuInfo | None = None):
        self.requested = requested
        self.cpus = cpus
        self.choice: ThreadChoice | None = None
        self._previous: int | None = None

    def start(self) -> "ThreadPolicy":
        import torch

        self.cpus = self.cpus or read_cpus()
        self._previous = torch.get_num_threads()
        self._apply(choose_threads(None, self.cpus, self.requested))
        return self

    def refine(self, work: Work, lazy: bool = False) -> ThreadChoice:
        """The final choice for ``work`` (applied), with its DataLoader workers."""
        choice = choose_threads(work, self.cpus or read_cpus(), self.requested)
        choice.workers = dataloader_workers(self.cpus or read_cpus(), choice.intra_op, lazy)
        choice.fields.setdefault("macs", f"{work.op_macs:.1e}")
        self._apply(choice)
        return choice

    def _apply(self, choice: ThreadChoice) -> None:
        import torch

        if torch.get_num_threads() != choice.intra_op:
            torch.set_num_threads(choice.intra_op)
        choice.applied = {"intra_op": torch.get_num_threads(),
                          "inter_op": _set_interop(choice.inter_op, type(self).own_process)}
        self.choice = choice

    def restore(self) -> None:
        """Back to the thread count the process had before ``start``."""
        import torch

        if self._previous is not None and torch.get_num_threads() != self._previous:
            torch.set_num_threads(self._previous)
        self._previous = None


def _set_interop(n: int, allowed: bool) -> int:
    """Set the inter-op pool's size where allowed and still possible; the size in force."""
    import torch

    current = torch.get_num_interop_threads()
    if not allowed or current == n:
        return current
    try:
        torch.set_num_interop_threads(n)     # RuntimeError once inter-op work has started
    except RuntimeError:
        return current
    return torch.get_num_interop_threads()
