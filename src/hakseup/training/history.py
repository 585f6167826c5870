"""The history of a fit: one dict of logs per epoch, as a list, a table and a plot.

Example:
    >>> h = History([{"epoch": 1, "train_loss": 0.9}, {"epoch": 2, "train_loss": 0.5}])
    >>> h[-1]["train_loss"], h.to_frame().shape
    (0.5, (2, 2))
    >>> h["train_loss"]
    [0.9, 0.5]
"""

from __future__ import annotations

from typing import Any

__all__ = ["History"]


class History(list):
    """A list of per-epoch logs (what ``Trainer.fit`` returns), like Keras' ``History``:
    ``history["val_loss"]`` is one metric over the epochs, ``to_frame()`` a DataFrame and
    ``plot()`` the curves."""

    def __getitem__(self, key: Any):
        if isinstance(key, str):
            return [row.get(key) for row in self]
        return super().__getitem__(key)

    def keys(self) -> list[str]:
        """Every logged name, in first-seen order."""
        seen: dict[str, None] = {}
        for row in self:
            seen.update(dict.fromkeys(row))
        return list(seen)

    def to_frame(self):
        """A pandas DataFrame, one row per epoch."""
        import pandas as pd

        return pd.DataFrame(list(self), columns=self.keys())

    def plot(self, metrics: list[str] | None = None, ax=None):
        """Loss curves (and the given metrics) over the epochs; returns the matplotlib axes.
        The axis label is in the language chosen (``hakseup.i18n.set_language``)."""
        from ..evaluation.plots import plot_text

        if ax is None:
            import matplotlib.pyplot as plt

            _, ax = plt.subplots(figsize=(6.4, 4))
        names = metrics or [k for k in self.keys() if k.endswith("loss")]
        epochs = self["epoch"]
        for name in names:
            ax.plot(epochs, self[name], marker="o", markersize=3, label=name)
        ax.set_xlabel(plot_text("plot.epoch"))
        ax.grid(alpha=0.3)
        ax.legend()
        return ax
