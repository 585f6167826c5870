"""Loggers: callbacks that report a run — progress bars (``progress.py``), the metrics file,
TensorBoard and GPU statistics. They use only the trainer's documented surface (see
``callbacks.py``).

Example:
    >>> MetricsLogger("runs/x/metrics.jsonl").path.name
    'metrics.jsonl'
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import torch

from ..i18n import t
from .callbacks import Callback
from .progress import ProgressBar  # the bar and epoch lines live in progress.py

__all__ = ["ProgressBar", "MetricsLogger", "TensorBoardLogger", "GPUStats"]


class MetricsLogger(Callback):
    """One JSON line per epoch in ``metrics.jsonl``, rewritten atomically each epoch (temp file,
    fsync, rename) so a kill never leaves a torn line."""

    order = 60

    def __init__(self, path: str | os.PathLike):
        from ..errors import check_type

        check_type(path, (str, os.PathLike), "MetricsLogger", "path", "a file path")
        self.path = Path(path)
        self.lines: list[str] = []

    def on_fit_begin(self, trainer):
        # On resume, keep only the epochs the checkpoint contains (the rest will be redone).
        self.lines = []
        if self.path.exists():
            self.lines = [
                ln
                for ln in self.path.read_text(encoding="utf-8").splitlines()
                if ln.strip() and _epoch_of(ln) is not None and _epoch_of(ln) <= trainer.state.epoch
            ]
        from ..io.files import atomic_write_text

        atomic_write_text(self.path, "".join(ln + "\n" for ln in self.lines))

    def on_epoch_end(self, trainer, logs):
        from ..io.files import atomic_write_text

        self.lines.append(json.dumps(logs))
        atomic_write_text(self.path, "".join(ln + "\n" for ln in self.lines))


def _epoch_of(line: str) -> int | None:
    try:
        return int(json.loads(line)["epoch"])
    except (ValueError, KeyError, TypeError):
        return None


HISTOGRAM_BINS = 64


class TensorBoardLogger(Callback):
    """Scalars per epoch, the model graph once, weight histograms per epoch.

    TensorBoard's writer appends to its event file as it goes; so that a kill never leaves a
    half-written file in the run folder, it writes into a hidden staging folder beside
    ``log_dir`` and each epoch's end publishes the event files into ``log_dir`` by copy to a
    temporary file, fsync and rename (``fileio.atomic_write``).
    """

    order = 70

    def __init__(self, log_dir: str | os.PathLike, histograms: bool = True, graph: bool = True):
        from ..errors import check_type

        check_type(log_dir, (str, os.PathLike), "TensorBoardLogger", "log_dir", "a folder path")
        self.log_dir, self.histograms, self.graph = str(log_dir), histograms, graph
        self.writer = None

    @property
    def staging_dir(self) -> Path:
        log_dir = Path(self.log_dir)
        return log_dir.with_name(f".{log_dir.name}-staging")

    def on_fit_begin(self, trainer):
        from torch.utils.tensorboard import SummaryWriter

        # A killed run's staging folder was published up to its last epoch: drop it, and any
        # temporary file a kill left mid-publish (its name contains "tfevents").
        shutil.rmtree(self.staging_dir, ignore_errors=True)
        for stale in Path(self.log_dir).glob(".*.tmp"):
            stale.unlink(missing_ok=True)
        self._earlier = _latest_event_file(Path(self.log_dir))  # a resumed run's last segment
        self.writer = SummaryWriter(
            str(self.staging_dir),
            purge_step=trainer.state.epoch + 1 if trainer.state.epoch else None,
        )
        # A model can leave its graph out (``tensorboard_graph = False``): drawing it traces
        # the model, twice with the tracer's check.
        drawn = getattr(trainer.model, "tensorboard_graph", True)
        if self.graph and drawn and trainer.state.epoch == 0:
            import warnings

            try:
                example = trainer.example_inputs()
                was_training = trainer.model.training
                with warnings.catch_warnings():  # tracer chatter is not the user's concern
                    warnings.simplefilter("ignore")
                    self.writer.add_graph(trainer.model.eval(), example)
                trainer.model.train(was_training)
            except Exception:  # tracing fails for some user models; the graph is a nicety
                pass

    def on_epoch_end(self, trainer, logs):
        step = logs["epoch"]
        for k, v in logs.items():
            if k != "epoch" and isinstance(v, (int, float)):
                group = "loss" if k.endswith("loss") else "metrics"
                self.writer.add_scalar(f"{group}/{k}", v, step)
        if self.histograms:
            # 64 equal-width buckets: TensorBoard re-bins every histogram to 30 buckets for
            # display, and torch's default ("tensorflow": ~1,500 exponential edges) cost
            # ~4x as much per epoch (benchmarks/startup.py).
            for name, p in trainer.model.named_parameters():
                self.writer.add_histogram(
                    f"weights/{name}", p.detach().float().cpu(), step, bins=HISTOGRAM_BINS
                )
        self.writer.flush()
        self._publish()

    def on_fit_end(self, trainer):
        if self.writer is not None:
            self.writer.close()
            self._publish()
            shutil.rmtree(self.staging_dir, ignore_errors=True)

    def _publish(self) -> None:
        from ..io.files import atomic_write

        for src in self.staging_dir.iterdir():
            with open(src, "rb") as f:
                name = _after(src.name, getattr(self, "_earlier", None))
                atomic_write(Path(self.log_dir) / name, lambda out: shutil.copyfileobj(f, out))


def _latest_event_file(log_dir: Path) -> str | None:
    """The name of the last event file a writer left in ``log_dir`` (TensorBoard reads them
    in name order); the HParams session's file, named to sort last (``tracking.hparams``),
    aside. None if there is none."""
    names = sorted(
        p.name
        for p in log_dir.glob("events.out.tfevents.*")
        if not p.name.startswith("events.out.tfevents.9999999999.")
    )
    return names[-1] if names else None


def _after(name: str, earlier: str | None) -> str:
    """``name`` (``events.out.tfevents.<10-digit time>.<host>.<pid>.<n>``), its time moved
    past ``earlier``'s where it would sort before it: TensorBoard reads a folder's event files
    in name order, and a run resumed within the second of its first segment, in a process
    that had made ten writers (``.10`` sorts before ``.9``), was read resumed epochs first.

    >>> _after("events.out.tfevents.0000000005.h.1.10", "events.out.tfevents.0000000005.h.1.9")
    'events.out.tfevents.0000000006.h.1.10'
    """
    prefix = "events.out.tfevents."
    if earlier is None or name > earlier or not name.startswith(prefix):
        return name
    time_field, _, rest = name[len(prefix) :].partition(".")
    before = earlier[len(prefix) :].partition(".")[0]
    if not (time_field.isdigit() and before.isdigit()):
        return name
    return f"{prefix}{int(before) + 1:010d}.{rest}"


class GPUStats(Callback):
    """Per epoch on CUDA: GPU memory (PyTorch's and NVML's view) and utilisation into the logs
    (so TensorBoard and metrics.jsonl get them), and a warning before memory runs out."""

    order = 55

    def __init__(self, warn_fraction: float = 0.9, nvml=None):
        self.warn_fraction, self.nvml, self.warned = warn_fraction, nvml, False

    def on_fit_begin(self, trainer):
        if self.nvml is None and trainer.state.device.type == "cuda":
            try:
                from ..monitor.gpu import load_nvml

                self.nvml = load_nvml()
            except Exception:  # NVML missing: PyTorch's own counters still work
                self.nvml = None

    def on_epoch_end(self, trainer, logs):
        if trainer.state.device.type == "cuda":
            index = trainer.state.device.index or 0
            logs["gpu_max_allocated_mib"] = torch.cuda.max_memory_allocated(index) / 2**20
            torch.cuda.reset_peak_memory_stats(index)
        else:
            index = 0
        if self.nvml is None:
            return
        h = self.nvml.nvmlDeviceGetHandleByIndex(index)
        mem = self.nvml.nvmlDeviceGetMemoryInfo(h)
        logs["gpu_memory_used_mib"] = mem.used / 2**20
        logs["gpu_utilization_percent"] = float(self.nvml.nvmlDeviceGetUtilizationRates(h).gpu)
        if mem.used > self.warn_fraction * mem.total and not self.warned:
            import warnings

            self.warned = True
            warnings.warn(
                t(
                    "warn.training.loggers.gpu_memory_full",
                    index=index,
                    value=mem.used / mem.total,
                    value2=mem.used / 2**20,
                    value3=mem.total / 2**20,
                )
            )
