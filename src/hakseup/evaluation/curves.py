"""The report's pictures and tables of a classifier or a curve: the main metric per epoch, ROC
and precision-recall curves (two classes), the confusion matrix normalised per true class, and
the per-class precision/recall/F1/support table.

Example:
    >>> per_class_table({"per_class_precision": [1.0, 0.5], "per_class_recall": [0.5, 1.0],
    ...                  "per_class_support": [2, 1]}, ["a", "b"])[0]
    ('a', '1.0000', '0.5000', '0.6667', '2')
"""

from __future__ import annotations

import os

import numpy as np

from .plots import save_figure, subplots

__all__ = [
    "plot_metric",
    "plot_roc_pr",
    "plot_confusion_normalized",
    "per_class_table",
    "PER_CLASS_HEADER",
    "test_probabilities",
]

PER_CLASS_HEADER = ("class", "precision", "recall", "f1", "support")


class _Labels:
    """Titles and axis labels, from the message catalog (``plot.*`` in hakseup/i18n/*.json),
    read when drawn (``plots.plot_text``: English where no font has the language's letters)."""

    def __getitem__(self, key: str) -> str:
        from .plots import plot_text

        return plot_text(f"plot.{key}")


LABELS = _Labels()


def plot_metric(
    history: list[dict], key: str, path: str | os.PathLike, best_epoch: int | None = None
):
    """The validation main metric (accuracy, MAE) per epoch, with the best epoch marked: the
    same one as on the loss plot (``best_epoch``, the checkpoint's; by default the lowest
    validation loss) — the epoch of the highest accuracy is often another one, and two
    "best epochs" on one report contradict each other."""
    epochs = [h["epoch"] for h in history]
    values = [h.get(key, np.nan) for h in history]
    fig, ax = subplots(figsize=(6.4, 4))
    ax.plot(epochs, values, marker=".", color="tab:green", label=key)
    val = np.asarray([h.get("val_loss", np.nan) for h in history], dtype=float)
    if best_epoch is None and np.isfinite(val).any():
        best_epoch = epochs[int(np.nanargmin(val))]
    if best_epoch is not None:
        ax.axvline(
            best_epoch, color="grey", linestyle=":", label=LABELS["best"].format(epoch=best_epoch)
        )
    ax.set_xlabel(LABELS["epoch"])
    ax.set_ylabel(key)
    ax.set_title(LABELS["metric_title"].format(name=key))
    ax.grid(alpha=0.3)
    ax.legend()
    return save_figure(fig, path)


def test_probabilities(model, bundle) -> tuple[np.ndarray, np.ndarray]:
    """(true labels, class probabilities) on the test split."""
    import torch

    from ..data.bundle import is_lazy
    from ..models.forward import predict, predict_split

    part = bundle.test
    if is_lazy(part):
        out, target = predict_split(model, part)
    else:
        out, target = predict(model, part.inputs), part.target
    return target.numpy().astype(int), torch.softmax(out.float(), 1).numpy()


def plot_roc_pr(
    y_true: np.ndarray, score: np.ndarray, path: str | os.PathLike, positive: str = "1"
):
    """ROC and precision-recall curves of the positive class's score, with their areas and
    the chance level (the diagonal; the positives' share)."""
    from sklearn import metrics as skm

    fig, (a1, a2) = subplots(1, 2, figsize=(10, 4))
    fpr, tpr, _ = skm.roc_curve(y_true, score)
    a1.plot(fpr, tpr, label=f"AUC {skm.auc(fpr, tpr):.3f}")
    a1.plot([0, 1], [0, 1], color="grey", linestyle=":", label=LABELS["chance"])
    a1.set_xlabel(LABELS["fpr"])
    a1.set_ylabel(LABELS["tpr"])
    a1.set_title(LABELS["roc"])
    precision, recall, _ = skm.precision_recall_curve(y_true, score)
    ap = skm.average_precision_score(y_true, score)
    a2.step(recall, precision, where="post", label=f"AP {ap:.3f} ('{positive}')")
    share = float(np.mean(y_true == 1))
    a2.axhline(share, color="grey", linestyle=":", label=LABELS["prevalence"].format(p=share))
    a2.set_xlabel(LABELS["recall"])
    a2.set_ylabel(LABELS["precision"])
    a2.set_title(LABELS["pr"])
    for ax in (a1, a2):
        ax.set_xlim(-0.02, 1.02)
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right" if ax is a1 else "lower left")
    return save_figure(fig, path)


def plot_confusion_normalized(cm: list[list[int]], class_names: list[str], path: str | os.PathLike):
    """Each row (true class) as shares of its test rows: the diagonal is each class's recall."""
    counts = np.asarray(cm, dtype=float)
    share = counts / np.maximum(counts.sum(1, keepdims=True), 1)
    n = len(class_names)
    size = min(10, 2.5 + 0.45 * n)
    fig, ax = subplots(figsize=(size, size * 0.85))
    im = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    fig.colorbar(im, ax=ax, fraction=0.046)
    ax.set_xticks(range(n), class_names, rotation=45 if n > 6 else 0)
    ax.set_yticks(range(n), class_names)
    ax.set_xlabel(LABELS["predicted"])
    ax.set_ylabel(LABELS["true"])
    ax.set_title(LABELS["cm_title"])
    if n <= 20:
        for i in range(n):
            for j in range(n):
                ax.text(
                    j,
                    i,
                    f"{share[i, j]:.2f}",
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if share[i, j] > 0.5 else "black",
                )
    return save_figure(fig, path)


def per_class_table(metrics: dict, class_names: list[str]) -> list[tuple[str, ...]]:
    """(class, precision, recall, F1, support) per class, from the test metrics."""
    p = metrics.get("per_class_precision")
    r = metrics.get("per_class_recall")
    support = metrics.get("per_class_support")
    if not (p and r and support):
        return []
    rows: list[tuple[str, ...]] = []
    for name, pi, ri, si in zip(class_names, p, r, support):
        f1 = 2 * pi * ri / (pi + ri) if pi + ri else 0.0
        rows.append((str(name), f"{pi:.4f}", f"{ri:.4f}", f"{f1:.4f}", str(si)))
    return rows
