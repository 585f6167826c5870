"""Plots written as PNG into the run folder (matplotlib, Agg backend, atomic writes).

Example:
    >>> plot_loss(history, run / "plots" / "loss.png")             # doctest: +SKIP
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np

from ..fileio import atomic_write

__all__ = ["plot_loss", "plot_confusion_matrix", "save_figure"]


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path: str | os.PathLike) -> Path:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    _plt().close(fig)
    return atomic_write(path, lambda f: f.write(buf.getvalue()))


def plot_loss(history: list[dict], path: str | os.PathLike, title: str = "Training curves"):
    """Training and validation loss per epoch; the best validation epoch marked. A widening
    gap between the curves is overfitting."""
    plt = _plt()
    epochs = [h["epoch"] for h in history]
    fig, ax = plt.subplots(figsize=(6.4, 4))
    ax.plot(epochs, [h["train_loss"] for h in history], label="train loss", marker=".")
    if history and "val_loss" in history[0]:
        val = [h["val_loss"] for h in history]
        ax.plot(epochs, val, label="validation loss", marker=".")
        best = int(np.nanargmin(val))
        ax.axvline(epochs[best], color="grey", linestyle=":", label=f"best epoch ({epochs[best]})")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    return save_figure(fig, path)


def plot_confusion_matrix(cm: list[list[int]], class_names: list[str],
                          path: str | os.PathLike, title: str = "Confusion matrix (test)"):
    plt = _plt()
    cm = np.asarray(cm)
    n = len(class_names)
    size = min(10, 2.5 + 0.45 * n)
    fig, ax = plt.subplots(figsize=(size, size * 0.85))
    im = ax.imshow(cm, cmap="Blues")
    fig.colorbar(im, ax=ax, fraction=0.046)
    ax.set_xticks(range(n), class_names, rotation=45 if n > 6 else 0)
    ax.set_yticks(range(n), class_names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    if n <= 20:
        thresh = cm.max() / 2 if cm.size else 0
        for i in range(n):
            for j in range(n):
                ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=8,
                        color="white" if cm[i, j] > thresh else "black")
    return save_figure(fig, path)
