"""How many threads a run uses: chosen per run from the work's size and the CPUs it may use.

PyTorch starts one intra-op (OpenMP) thread per core. The threads spin while they wait for
each other at the end of every parallel operator; when another process holds one of the cores,
every operator waits for the thread that is not running, and a small model's steps became up
to 26x slower on a busy 2-core machine (issue 25). Tiny models gain nothing from intra-op
threads even on an idle machine: an operator on a 64-row batch is over before a second thread
has woken up. The rule (``choose_threads``; measured with ``benchmarks/threads.py``):

* ``OMP_NUM_THREADS`` / ``MKL_NUM_THREADS`` set by the user always win, then ``train.threads``
  when it is a number; otherwise (``auto``):
* the CPUs this process may use: its affinity mask, lowered to a container's cgroup CPU quota;
* less those other processes keep busy (the load average, or the tasks running right now);
* one thread unless the largest operator of a training step is large (``LARGE_OP_MACS``:
  convolutions over images, wide products), then as many as the free CPUs.

DataLoader workers take the same share (``dataloader_workers``): never cores x processes.

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

from dataclasses import asdict, dataclass, field
from typing import Any

from ..i18n import t
from ..monitor.cpus import (
    MAX_WORKERS,
    CpuInfo,
    cgroup_quota,
    dataloader_workers,
    read_cpus,
    user_threads,
)

__all__ = [
    "thread_checks",
    "CpuInfo",
    "Work",
    "ThreadChoice",
    "ThreadPolicy",
    "read_cpus",
    "cgroup_quota",
    "user_threads",
    "measure_work",
    "choose_threads",
    "dataloader_workers",
    "LARGE_OP_MACS",
    "MAX_WORKERS",
]

# Multiply-accumulates of a training step's largest operator from which a second thread may
# pay (benchmarks/threads.py --kernels): the default table, digits, series and LSTM models
# (1e4-4e6) lost with 2 threads; the sequence FCN (8e7) and the LeNet on 28x28 images (2e8)
# lie above. Only an idle machine with free CPUs ever gets more than one thread.
LARGE_OP_MACS = 2e7


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
    source: str  # env, config, auto
    reason_key: str
    fields: dict = field(default_factory=dict)
    applied: dict = field(default_factory=dict)  # what could be set (inter-op may not)

    @property
    def reason(self) -> str:
        return t(self.reason_key, **self.fields)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["reason"] = self.reason
        return d


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
            rows = out.numel() / max(1, module.out_features) if isinstance(out, torch.Tensor) else n
            macs = rows * module.in_features * module.out_features
        else:
            macs = _conv_macs(module, out)
            kinds.add("conv")
        largest[0] = max(largest[0], macs * batch / n)

    convs = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d)
    handles = [
        m.register_forward_hook(hook)
        for m in model.modules()
        if isinstance(m, (nn.Linear,) + convs)
    ]
    for name, p in model.named_parameters():
        if "weight_hh" in name:  # (gates x H, H): one step's product
            kinds.add("recurrent")
            largest[0] = max(largest[0], float(p.numel()) * batch)
    was_training = model.training
    try:
        with torch.no_grad():
            model.eval()(*inputs)
    except Exception:  # the dry run reports a model that cannot run: not our concern
        pass
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()
    kind = "conv" if "conv" in kinds else "recurrent" if "recurrent" in kinds else "linear"
    params = sum(p.numel() for p in model.parameters())
    return Work(params=int(params), batch=int(batch), kind=kind, op_macs=float(largest[0]))


# --------------------------------------------------------------------------- the rule


def choose_threads(work: Work | None, cpus: CpuInfo, requested: str | int = "auto") -> ThreadChoice:
    """The threads for a run (``ThreadChoice``): see the module for the rule. ``work`` None:
    not known yet (before the model is built), which counts as small work."""
    if cpus.user is not None:
        return ThreadChoice(
            cpus.user, 1, None, "env", "threads.reason.env", {"var": cpus.user_var, "n": cpus.user}
        )
    if str(requested) != "auto":
        return ThreadChoice(
            int(requested), 1, None, "config", "threads.reason.config", {"n": int(requested)}
        )
    usable, free = cpus.usable, cpus.free
    busy = cpus.others_load
    base = {"usable": usable, "free": free, "load": "?" if busy is None else f"{busy:.1f}"}
    if usable == 1:
        return ThreadChoice(1, 1, None, "auto", "threads.reason.one_cpu", base)
    if work is None or work.op_macs < LARGE_OP_MACS:
        macs = 0 if work is None else work.op_macs
        return ThreadChoice(
            1, 1, None, "auto", "threads.reason.small_work", {**base, "macs": f"{macs:.1e}"}
        )
    if free == 1:
        return ThreadChoice(1, 1, None, "auto", "threads.reason.busy", base)
    return ThreadChoice(
        free,
        1,
        None,
        "auto",
        "threads.reason.large_work",
        {**base, "n": free, "macs": f"{work.op_macs:.1e}"},
    )


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

    own_process = False  # set by the ``hakseup`` command's entry point

    def __init__(self, requested: str | int = "auto", cpus: CpuInfo | None = None):
        self.requested = requested
        self.cpus = cpus
        self.choice: ThreadChoice | None = None
        self._previous: int | None = None
        self._blas = None  # threadpoolctl's limits: the BLAS pools' counts before

    def start(self) -> ThreadPolicy:
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

        # NumPy's and SciPy's BLAS (OpenBLAS, MKL) have pools of their own that spin alike:
        # the data preparation, the forecast baselines and the metrics get the same share.
        # First: an OpenMP build of OpenBLAS reads (and restores) OpenMP's count, torch's too.
        limits = _limit_blas(choice.intra_op)
        self._blas = self._blas or limits
        if torch.get_num_threads() != choice.intra_op:
            torch.set_num_threads(choice.intra_op)
        choice.applied = {
            "intra_op": torch.get_num_threads(),
            "inter_op": _set_interop(choice.inter_op, type(self).own_process),
        }
        self.choice = choice

    def __enter__(self) -> ThreadPolicy:
        """``with ThreadPolicy():`` applies the choice for work not known in advance (one
        thread unless the user said otherwise, or the machine is idle and the work large)
        and restores the process's count after: what ``predict`` and ``evaluate`` run in."""
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.restore()

    def restore(self) -> None:
        """Back to the thread count the process had before ``start``."""
        import torch

        if self._blas is not None:
            self._blas.restore_original_limits()
        if self._previous is not None and torch.get_num_threads() != self._previous:
            torch.set_num_threads(self._previous)
        self._previous = self._blas = None


def _limit_blas(n: int):
    """Limit the loaded BLAS libraries to ``n`` threads (``threadpoolctl``, which comes with
    scikit-learn); the limits object that restores them, or None without threadpoolctl."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return None
    return threadpool_limits(limits=n, user_api="blas")


def _set_interop(n: int, allowed: bool) -> int:
    """Set the inter-op pool's size where allowed and still possible; the size in force."""
    import torch

    current = torch.get_num_interop_threads()
    if not allowed or current == n:
        return current
    try:
        torch.set_num_interop_threads(n)  # RuntimeError once inter-op work has started
    except RuntimeError:
        return current
    return torch.get_num_interop_threads()


def _default_run_macs() -> float:
    """The largest operator of the default run's step: the digits MLP (64 inputs, the
    default config's widths, 10 classes) on one batch — known without loading anything."""
    from ..config.load import load_config
    from ..config.resolve import GENERIC

    cfg = load_config(None)
    widths = [64, *cfg.model.hidden, 10]
    pairs = zip(widths, widths[1:], strict=False)
    batch = cfg.train.batch_size
    batch = batch if isinstance(batch, int) else GENERIC["train.batch_size"]  # auto: a table's
    return float(batch * max(a * b for a, b in pairs))


def thread_checks(cpus=None) -> list[tuple[str, str, str, str]]:
    """``doctor``'s rows about CPU threads: the usable CPUs and quota, the load, and the
    threads a default run (a small model) and a large CNN would get now."""
    cpus = cpus or read_cpus()
    quota = t("doctor.row.no_quota") if cpus.quota is None else f"{cpus.quota:g}"
    rows = [
        (
            t("doctor.row.cpus"),
            "ok",
            t(
                "doctor.row.cpus_found",
                usable=cpus.usable,
                affinity=cpus.affinity,
                count=cpus.cpu_count,
                quota=quota,
            ),
            "",
        )
    ]
    if cpus.load is None:
        rows.append((t("doctor.row.load"), "info", t("doctor.row.unknown"), ""))
    else:
        busy = cpus.free < cpus.usable
        rows.append(
            (
                t("doctor.row.load"),
                "info",
                t(
                    "doctor.row.load_found",
                    load=f"{cpus.load:.2f}",
                    usable=cpus.usable,
                    running="?" if cpus.others_busy is None else f"{cpus.others_busy:.1f}",
                ),
                t("doctor.row.load_busy") if busy else "",
            )
        )
    fix = t("doctor.row.threads_env", var=cpus.user_var) if cpus.user is not None else ""
    for key, macs in (
        ("doctor.row.threads_default", _default_run_macs()),
        ("doctor.row.threads_large", 10 * LARGE_OP_MACS),
    ):
        choice = choose_threads(Work(0, 64, "linear" if not macs else "conv", macs), cpus)
        rows.append(
            (
                t(key),
                "info",
                t("doctor.row.threads_found", n=choice.intra_op, reason=choice.reason),
                fix,
            )
        )
    return rows
