"""The forecast past a series' end, drawn: the latest history, the forecast and its
prediction intervals (``hakseup predict RUN --data FILE --plot forecast.png``).

Example:
    >>> plot_future(times, y, frame, "sales", "forecast.png")          # doctest: +SKIP
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from .plots import plot_text, save_series_figure, subplots

__all__ = ["plot_future"]

SHOWN = 5  # horizons of history shown before the forecast (at least 30 steps)


def plot_future(times, y: np.ndarray, frame: pd.DataFrame, target: str, path: str | os.PathLike):
    """The last values of the series (``times``, ``y``), then ``frame``'s forecast
    (``predicted_<target>``) and, shaded, its ``lower_*``/``upper_*`` intervals (the wider
    one lighter)."""
    steps = pd.DatetimeIndex(frame.iloc[:, 0])
    keep = max(30, SHOWN * len(frame))
    hist_t, hist_y = pd.DatetimeIndex(times)[-keep:], np.asarray(y)[-keep:]
    pred = frame[f"predicted_{target}"].to_numpy()
    fig, ax = subplots(figsize=(9, 4))
    ax.plot(hist_t, hist_y, color="black", linewidth=1.2, label=plot_text("plot.actual"))
    # joined to the last actual value, so the forecast reads as its continuation
    ax.plot(
        hist_t[-1:].append(steps),
        np.r_[hist_y[-1:], pred],
        color="tab:red",
        linewidth=1.4,
        label=plot_text("plot.forecast"),
    )
    levels = sorted(
        (c[len("lower_") :] for c in frame.columns if c.startswith("lower_")),
        key=float,
        reverse=True,
    )
    for k, level in enumerate(levels):
        ax.fill_between(
            steps,
            frame[f"lower_{level}"],
            frame[f"upper_{level}"],
            color="tab:red",
            alpha=0.12 + 0.1 * k,
            linewidth=0,
            label=plot_text("plot.interval", level=f"{level}%"),
        )
    ax.axvline(hist_t[-1], color="grey", linestyle="--", label=plot_text("plot.series_end"))
    title = plot_text("plot.future_title", target=target)
    return save_series_figure(fig, ax, target, title, path)
