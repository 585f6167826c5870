"""Progress that suits where it goes: a live bar on a terminal or in a notebook, and one line
per epoch with the epoch's numbers everywhere (Keras' ``verbose=2`` when nothing is a terminal).

- On a terminal (stderr is a TTY): a tqdm bar on stderr while the epoch runs, erased when it
  ends, then the epoch's line on stdout, wrapped at the terminal's width (never cut).
- In a Jupyter notebook: one bar for the whole fit, updated in place (the ipywidgets bar,
  ``tqdm.notebook``, when ipywidgets is importable, else the plain text bar — on stdout, so no
  cell shows a stderr stream), and the epoch lines. One widget per epoch once made a saved
  notebook 496 KB.
- Anywhere else (a log file, CI, ``| tee``): no bar and no carriage return, only the lines.

``train.progress: false`` (``--no-progress``) turns the bar off and keeps the epoch lines;
``train.verbosity``: ``quiet`` shows nothing per epoch; ``verbose`` adds every logged value.

Example:
    >>> format_epoch({"epoch": 2, "train_loss": 0.5, "val_loss": 0.6, "val_accuracy": 0.9,
    ...               "lr": 0.001, "time": 3.0}, epochs=10, previous_time=1.0)
    'epoch 2/10  train_loss 0.5000  val_loss 0.6000  val_accuracy 0.9000  lr 0.001  2.0s'
    >>> wrap_fields(["epoch 1/3", "train_loss 0.5000", "val_loss 0.6000"], width=30)
    ['epoch 1/3  train_loss 0.5000', '  val_loss 0.6000']
"""

from __future__ import annotations

import math
import shutil
import sys

from ..i18n import t
from ..monitor.bars import in_notebook, tqdm_class
from .callbacks import Callback

__all__ = [
    "ProgressBar",
    "format_epoch",
    "wrap_fields",
    "in_notebook",
    "shows_progress",
    "progress_callbacks",
]

# The values a normal epoch line shows, in this order (``verbose`` adds the rest).
SHOWN = ("train_loss", "val_loss", "val_accuracy", "val_mae", "lr")
NOT_SHOWN = ("epoch", "time")


def shows_progress(config) -> bool:
    """Whether a fit with this ``TrainConfig`` reports each epoch (a line each, with or
    without the live bar ``train.progress`` asks for)."""
    return getattr(config, "verbosity", "normal") != "quiet"


def _value(v) -> str:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)  # nan, inf: said as they are
    if isinstance(v, int):
        return str(v)
    return f"{v:.4f}" if 1e-3 <= abs(v) < 1e4 or v == 0 else f"{v:.4g}"


def epoch_fields(
    logs: dict, epochs: int, previous_time: float = 0.0, verbose: bool = False
) -> list[str]:
    """The epoch's numbers as ``name value`` fields."""
    fields = [t("progress.epoch", epoch=logs.get("epoch", "?"), epochs=epochs)]
    names = [k for k in SHOWN if k in logs]
    if verbose:
        names += [k for k in logs if k not in SHOWN and k not in NOT_SHOWN]
    for k in names:
        v = logs[k]
        fields.append(
            f"{k} {v:.3g}"
            if k == "lr" and isinstance(v, float) and math.isfinite(v)
            else f"{k} {_value(v)}"
        )
    if isinstance(logs.get("time"), (int, float)):
        fields.append(f"{logs['time'] - previous_time:.1f}s")
    return fields


def format_epoch(logs: dict, epochs: int, previous_time: float = 0.0, verbose: bool = False) -> str:
    """One line: the epoch, its losses and main metric, the learning rate, its seconds."""
    return "  ".join(epoch_fields(logs, epochs, previous_time, verbose))


def wrap_fields(fields: list[str], width: int | None) -> list[str]:
    """Fields joined by two spaces into lines of at most ``width`` characters (continuation
    lines indented by two); ``width=None``: one line. A field is never cut."""
    if not width:
        return ["  ".join(fields)]
    lines: list[str] = []
    line = ""
    for f in fields:
        candidate = f"{line}  {f}" if line else f
        if line and len(candidate) > width:
            lines.append(line)
            candidate = f"  {f}"
        line = candidate
    return lines + ([line] if line else [])


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class ProgressBar(Callback):
    """A live bar per epoch where one can be drawn, and one line per epoch (see the module).

    Args:
        file: where the bar is drawn (default: stderr on a terminal, stdout in a notebook).
        log_file: where the epoch lines go (default: stdout).
        verbose: every logged value in the lines, not only losses, main metric and lr.
        bar: ``True``/``False`` forces the bar on or off (default: decided by the stream).
    """

    order = 90

    def __init__(self, file=None, log_file=None, verbose: bool = False, bar: bool | None = None):
        self.file, self.log_file, self.verbose, self.want_bar = file, log_file, verbose, bar
        self.bar = None
        self._previous_time = 0.0
        self._whole_fit = False  # a notebook: one bar over every epoch

    def _bar_class(self):
        """(tqdm class, stream) for the live bar, or (None, None) where none belongs."""
        notebook = in_notebook()
        stream = self.file or (sys.stdout if notebook else sys.stderr)
        wanted = self.want_bar if self.want_bar is not None else (notebook or _isatty(stream))
        if not wanted:
            return None, None
        return tqdm_class(widgets=self.file is None), stream

    def on_fit_begin(self, trainer):
        history = getattr(trainer, "history", None) or []
        self._previous_time = float(history[-1].get("time", 0.0)) if history else 0.0

    def on_epoch_begin(self, trainer):
        s = trainer.state
        desc = t("progress.epoch", epoch=s.epoch + 1, epochs=s.epochs)
        if self.bar is not None and self._whole_fit:
            self.bar.set_description(desc, refresh=False)
            return
        tqdm, stream = self._bar_class()
        if tqdm is None:
            return
        self._whole_fit = in_notebook() and self.file is None
        steps = s.steps_per_epoch
        total, done = (
            (s.epochs * steps, s.epoch * steps + s.batch_in_epoch)
            if self._whole_fit
            else (steps, s.batch_in_epoch)
        )
        self.bar = tqdm(
            total=total,
            initial=done,
            desc=desc,
            file=stream,
            leave=self._whole_fit,
            dynamic_ncols=True,
            unit="batch",
            mininterval=0.2,
        )

    def on_train_batch_end(self, trainer, logs):
        if self.bar is not None:
            self.bar.update(1)

    def on_epoch_end(self, trainer, logs):
        if not self._whole_fit:
            self._close()
        out = self.log_file or sys.stdout
        width = shutil.get_terminal_size().columns if _isatty(out) else None
        fields = epoch_fields(logs, trainer.state.epochs, self._previous_time, self.verbose)
        self._previous_time = float(logs.get("time", self._previous_time))
        for line in wrap_fields(fields, width):
            print(line, file=out, flush=True)

    def on_fit_end(self, trainer):
        self._close()

    def _close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def progress_callbacks(config, rank: int, given: list) -> list[Callback]:
    """The ``ProgressBar`` a trainer adds to a fit: none when ``train.verbosity`` is quiet, on
    ranks other than 0, or when one is among ``given``; without its live bar when
    ``train.progress`` is off (the epoch lines stay)."""
    if rank != 0 or not shows_progress(config) or any(isinstance(cb, ProgressBar) for cb in given):
        return []
    return [
        ProgressBar(
            verbose=getattr(config, "verbosity", "normal") == "verbose",
            bar=None if config.progress else False,
        )
    ]
