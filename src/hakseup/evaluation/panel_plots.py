"""The forecast figure of a panel: a few series, each with its history, the test block's
actual values, the default forecast and the best reference — the worst series first (the
report names it), then the best and a typical one, so that one picture shows the range.

Example:
    >>> plot_panel(series, run / "plots" / "forecast.png", "value")   # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np

from .plots import plot_text, save_figure, subplots

__all__ = ["panel_figure_series", "plot_panel"]

SHOWN = 6  # series in the figure at most


def panel_figure_series(
    metrics: dict,
    bundle,
    forecast: np.ndarray,
    reference: np.ndarray,
) -> list[dict]:
    """The series to draw: the three worst by MASE, the best two and the median one (at most
    ``SHOWN``, each once), with their values, times and test forecasts."""
    p = bundle.info["panel"]
    mase = np.array([r["mase"] for r in metrics["per_series"]])
    order = list(np.argsort(-mase))
    picks = order[:3] + [order[len(order) // 2]] + order[-2:]
    chosen = list(dict.fromkeys(int(i) for i in picks))[:SHOWN]
    return [
        {
            "id": p["ids"][i],
            "times": p["times"][i],
            "y": p["y"][i],
            "forecast": forecast[i],
            "reference": reference[i],
            "mase": float(mase[i]),
        }
        for i in chosen
    ]


def plot_panel(series: list[dict], path, target: str = "value", reference: str = "reference"):
    """A grid of small plots, one per series: history, test actuals, forecast, reference."""
    cols = 3 if len(series) > 2 else len(series)
    rows = int(np.ceil(len(series) / cols))
    fig, axes = subplots(rows, cols, figsize=(4 * cols, 2.8 * rows), squeeze=False)
    for ax, s in zip(axes.ravel(), series):
        h = len(s["forecast"])
        ax.plot(s["times"], s["y"], color="black", linewidth=1, label=plot_text("plot.actual"))
        ax.plot(
            s["times"][-h:],
            s["forecast"],
            color="tab:blue",
            marker=".",
            label=plot_text("plot.forecast"),
        )
        ax.plot(
            s["times"][-h:],
            s["reference"],
            color="tab:orange",
            linewidth=0.9,
            linestyle="--",
            label=reference,
        )
        ax.axvline(s["times"][-h], color="grey", linestyle=":", linewidth=0.8)
        ax.set_title(f"{s['id']} (MASE {s['mase']:.2f})", fontsize=9)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    for ax in axes.ravel()[len(series) :]:
        ax.set_visible(False)
    axes.ravel()[0].legend(fontsize=7)
    fig.suptitle(plot_text("plot.panel_title", target=target), fontsize=10)
    fig.subplots_adjust(hspace=0.45)
    return save_figure(fig, path)
