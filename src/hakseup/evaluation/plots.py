"""Plots written as PNG into the run folder (matplotlib, Agg backend, atomic writes).

Example:
    >>> plot_loss(history, run / "plots" / "loss.png")             # doctest: +SKIP
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np

from ..io.files import atomic_write

__all__ = [
    "plot_loss",
    "plot_confusion_matrix",
    "plot_forecast",
    "plot_residuals",
    "save_figure",
    "save_series_figure",
    "subplots",
    "pyplot",
    "hangul_font",
    "plot_text",
]

HANGUL_FAMILY = "NanumGothic"
_hangul: list[str | None] = []  # [] until looked for, then [family or None]


def hangul_font() -> str | None:
    """Register NanumGothic (SIL Open Font Licence), shipped by the optional package
    ``koreanize-matplotlib`` (``pip install hakseup[korean]``), as a fallback after
    DejaVu Sans: Latin text keeps its font and Hangul gets glyphs instead of empty boxes.
    The font file is found without importing the package, whose import would make
    NanumGothic the first font for everything. Returns the family, or None without it."""
    if _hangul:
        return _hangul[0]
    import importlib.util

    import matplotlib
    from matplotlib import font_manager

    family = None
    spec = importlib.util.find_spec("koreanize_matplotlib")
    if spec is not None and spec.submodule_search_locations:
        fonts = Path(list(spec.submodule_search_locations)[0]) / "fonts"
        for ttf in sorted(fonts.glob("NanumGothic*.ttf")):
            font_manager.fontManager.addfont(str(ttf))
            family = HANGUL_FAMILY
    if family and family not in matplotlib.rcParams["font.family"]:
        # matplotlib falls back along font.family (a generic name such as 'sans-serif' is
        # one font: DejaVu Sans), so the Hangul font goes after the families set.
        matplotlib.rcParams["font.family"] = [*matplotlib.rcParams["font.family"], family]
    _hangul.append(family)
    return family


def plot_text(key: str, /, **fields) -> str:
    """A plot's title or label from the catalog — in English when the language has letters
    no installed font can draw (Korean without the ``korean`` extra): a readable English
    plot rather than empty boxes."""
    from ..i18n import catalog, language, t

    if language() != "en" and hangul_font() is None:
        text = catalog("en")[key]
        return text.format(**fields) if fields else text
    return t(key, **fields)


_told_font: list[bool] = []


def _draw(fig, buf) -> None:
    """``fig.savefig`` into ``buf``; matplotlib's "Glyph … missing from font" warnings (one
    per letter, per figure: Hangul data without a Hangul font) become one line per process
    naming the extra that has the font. Other warnings pass through."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    missing = False
    for w in caught:
        if "missing from font" in str(w.message):
            missing = True
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if missing and not _told_font:
        from ..i18n import t

        _told_font.append(True)
        warnings.warn(
            t("warning.plot.no_hangul_font", extra='pip install "hakseup[korean]"'), stacklevel=2
        )


def pyplot():
    """matplotlib.pyplot on the Agg backend (files only; works without a display) — except
    in a notebook, whose inline backend stays (the run's figures are closed once saved)."""
    import matplotlib

    from ..monitor.bars import in_notebook

    if not in_notebook():
        matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    hangul_font()
    return plt


def subplots(*args, **kwargs):
    """``(figure, axes)`` as ``pyplot.subplots`` makes them, on an Agg canvas of their own:
    a run's figures are written to files and closed, so they need none of pyplot's figure
    management (whose import, with its backend set-up, cost ~0.1 s of a default run)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    hangul_font()
    fig = Figure(figsize=kwargs.pop("figsize", None))
    FigureCanvasAgg(fig)
    return fig, fig.subplots(*args, **kwargs)


def save_figure(fig, path: str | os.PathLike) -> Path:
    import sys

    buf = io.BytesIO()
    _draw(fig, buf)
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None and fig.canvas.manager is not None:  # made by pyplot: release it
        plt.close(fig)
    return atomic_write(path, lambda f: f.write(buf.getvalue()))


def save_series_figure(fig, ax, target: str, title: str, path: str | os.PathLike) -> Path:
    """The finish of a figure of a series over time: ``target`` on the y axis, ``title``,
    a light grid, the legend, slanted dates; saved to ``path``."""
    ax.set_ylabel(target)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.autofmt_xdate()
    return save_figure(fig, path)


def plot_loss(
    history: list[dict],
    path: str | os.PathLike,
    title: str | None = None,
    best_epoch: int | None = None,
):
    """Training and validation loss per epoch; the best epoch marked (``best_epoch``, the
    checkpoint's; by default the lowest validation loss). A widening gap between the curves
    is overfitting."""
    epochs = [h["epoch"] for h in history]
    fig, ax = subplots(figsize=(6.4, 4))
    ax.plot(
        epochs, [h["train_loss"] for h in history], label=plot_text("plot.train_loss"), marker="."
    )
    if history and "val_loss" in history[0]:
        val = [h["val_loss"] for h in history]
        ax.plot(epochs, val, label=plot_text("plot.val_loss"), marker=".")
        if best_epoch is None:
            best_epoch = epochs[int(np.nanargmin(val))]
    if best_epoch is not None:
        ax.axvline(
            best_epoch, color="grey", linestyle=":", label=plot_text("plot.best", epoch=best_epoch)
        )
    ax.set_xlabel(plot_text("plot.epoch"))
    ax.set_ylabel(plot_text("plot.loss"))
    ax.set_title(title or plot_text("plot.loss_title"))
    ax.grid(alpha=0.3)
    ax.legend()
    return save_figure(fig, path)


def plot_confusion_matrix(
    cm: list[list[int]],
    class_names: list[str],
    path: str | os.PathLike,
    title: str | None = None,
):
    """The test confusion matrix in counts (true class per row), each cell's count written
    in it up to 20 classes."""
    counts = np.asarray(cm)
    n = len(class_names)
    size = min(10, 2.5 + 0.45 * n)
    fig, ax = subplots(figsize=(size, size * 0.85))
    im = ax.imshow(counts, cmap="Blues")
    fig.colorbar(im, ax=ax, fraction=0.046)
    ax.set_xticks(range(n), class_names, rotation=45 if n > 6 else 0)
    ax.set_yticks(range(n), class_names)
    ax.set_xlabel(plot_text("plot.predicted"))
    ax.set_ylabel(plot_text("plot.true"))
    ax.set_title(title or plot_text("plot.cm_counts_title"))
    if n <= 20:
        thresh = counts.max() / 2 if counts.size else 0
        for i in range(n):
            for j in range(n):
                ax.text(
                    j,
                    i,
                    str(counts[i, j]),
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if counts[i, j] > thresh else "black",
                )
    return save_figure(fig, path)


def _time_axis(times, n: int):
    """Timestamps for the x axis, or positions when they cannot be drawn as dates."""
    import pandas as pd

    try:
        t = pd.DatetimeIndex(times)
        if len(t) == n and not t.isna().any():
            return t
    except (TypeError, ValueError, OverflowError):
        pass
    return np.arange(n)


def plot_forecast(
    times,
    y,
    starts_by_split: dict,
    preds_by_split: dict,
    train_end: int,
    path,
    target: str = "value",
    baselines: dict | None = None,
    bands: dict | None = None,
):
    """Actual series with one-step-ahead forecasts, in original units; the test period's
    baseline forecasts (naive, seasonal naive, ETS, Theta, ...) as thin lines; a dashed vertical
    line marks where the test period begins (and a dotted one the validation period)."""
    times = _time_axis(times, len(y))
    fig, ax = subplots(figsize=(9, 4))
    ax.plot(times, y, color="black", linewidth=1.2, label=plot_text("plot.actual"))
    colors = {"train": "tab:blue", "val": "tab:orange", "test": "tab:red"}
    for split, starts in starts_by_split.items():
        if split in preds_by_split and len(starts):
            ax.plot(
                times[starts],
                preds_by_split[split][:, 0],
                color=colors[split],
                linewidth=1,
                alpha=0.9,
                label=plot_text(f"plot.forecast_{split}"),
            )
    test_starts = starts_by_split.get("test")
    if test_starts is not None and len(test_starts):
        _draw_test_overlays(ax, times[test_starts], preds_by_split, bands, baselines)
    _mark_split_starts(ax, times, starts_by_split)
    title = plot_text("plot.forecast_title_units", target=target)
    return save_series_figure(fig, ax, target, title, path)


def _draw_test_overlays(
    ax, test_times, preds_by_split: dict, bands: dict | None, baselines: dict | None
) -> None:
    """On the test period: the prediction intervals around the test forecast (shaded, the
    wider one first) and the baselines' forecasts (thin lines, one style each)."""
    for level, half in sorted((bands or {}).items(), reverse=True):  # the wider one first
        mid = preds_by_split["test"][:, 0]
        ax.fill_between(
            test_times,
            mid - half,
            mid + half,
            color="tab:red",
            alpha=0.12,
            linewidth=0,
            label=plot_text("plot.interval", level=f"{level:.0%}"),
        )
    styles = ["--", ":", "-.", (0, (3, 1, 1, 1)), (0, (5, 2)), (0, (1, 1))]
    for k, (name, b) in enumerate((baselines or {}).items()):
        ax.plot(
            test_times,
            np.asarray(b)[:, 0],
            linewidth=0.8,
            alpha=0.8,
            linestyle=styles[k % len(styles)],
            label=name,
        )


def _mark_split_starts(ax, times, starts_by_split: dict) -> None:
    """Vertical lines where the test period (dashed) and the validation period (dotted)
    begin."""
    test_starts = starts_by_split.get("test")
    if test_starts is not None and len(test_starts):
        ax.axvline(
            times[test_starts[0]], color="grey", linestyle="--", label=plot_text("plot.test_begins")
        )
    val_starts = starts_by_split.get("val")
    if val_starts is not None and len(val_starts):
        ax.axvline(
            times[val_starts[0]], color="grey", linestyle=":", label=plot_text("plot.val_begins")
        )


def plot_residuals(times, residuals: np.ndarray, path, target: str = "value"):
    times = _time_axis(times, len(residuals))
    fig, (a1, a2) = subplots(1, 2, figsize=(9, 3.2), gridspec_kw={"width_ratios": [2, 1]})
    a1.axhline(0, color="grey", linewidth=0.8)
    a1.plot(times, residuals, marker=".", linewidth=0.8)
    a1.set_title(plot_text("plot.residuals_title", target=target))
    a1.grid(alpha=0.3)
    a2.hist(residuals, bins=20, color="tab:blue", alpha=0.8)
    a2.set_title(plot_text("plot.distribution"))
    fig.autofmt_xdate()
    return save_figure(fig, path)
