"""What an image classifier gets wrong: the misclassified test images, per-class accuracy, speed.

``image_sections`` adds to a run's report a grid of the most confidently misclassified test
images (true and predicted class, and the probability given to the wrong one), a per-class
table (test images, accuracy, the class each is most often taken for) and the training speed
in images per second, first epoch and later ones.

Example:
    >>> sections = image_sections(run_dir, model, bundle, metrics, history)   # doctest: +SKIP
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

__all__ = ["image_sections", "plot_misclassified", "per_class_rows", "images_per_second"]


def _test_outputs(model, bundle) -> tuple[torch.Tensor, torch.Tensor]:
    from ..data.bundle import is_lazy
    from ..models.forward import predict, predict_split

    part = bundle.test
    if is_lazy(part):
        return predict_split(model, part)
    return predict(model, part.inputs), part.target


def _test_images(bundle, idx: np.ndarray) -> torch.Tensor:
    """Test images ``idx`` as [0, 1] pixels (B, C, H, W)."""
    from ..data.bundle import is_lazy

    part = bundle.test
    if is_lazy(part):
        x = torch.stack([part.dataset[int(i)][0] for i in idx])
    else:
        x = part.inputs[0][torch.as_tensor(idx, dtype=torch.long)]
    return bundle.preprocessor.pixels(x.float())


def plot_misclassified(
    images: torch.Tensor,
    true: list[str],
    pred: list[str],
    conf: list[float],
    path: str | os.PathLike,
    columns: int = 6,
):
    """A grid of images titled 'true → predicted (probability)'.

    The grid is one mosaic image on one axes with the titles as text: one axes per image (18
    of them in a digits run) cost half a second to lay out and draw, for the same picture."""
    from .plots import plot_text, save_figure, subplots

    n = len(images)
    rows = -(-n // columns)
    x = images.detach().float().cpu().clamp(0, 1).permute(0, 2, 3, 1).numpy()  # (N, H, W, C)
    h, w, c = x.shape[1:]
    pad, top = max(1, w // 8), int(np.ceil(h * 0.55 / 1.9)) + max(1, h // 8)  # title room
    cell_h, cell_w = h + top, w + pad
    mosaic = np.ones((rows * cell_h, columns * cell_w, c), dtype=np.float32)
    for k in range(n):
        r, col = divmod(k, columns)
        y0, x0 = r * cell_h + top, col * cell_w + pad // 2
        mosaic[y0 : y0 + h, x0 : x0 + w] = x[k]
    fig, ax = subplots(figsize=(1.9 * columns, 2.45 * rows))
    ax.imshow(
        mosaic[..., 0] if c == 1 else mosaic,
        cmap="gray" if c == 1 else None,
        vmin=0,
        vmax=1,
        interpolation="nearest",
    )
    ax.axis("off")
    for k in range(n):
        r, col = divmod(k, columns)
        ax.text(
            col * cell_w + cell_w / 2 - 0.5,
            r * cell_h + top - 0.5 - h * 0.03,
            plot_text("plot.misclassified_cell", true=true[k], pred=pred[k], conf=conf[k]),
            fontsize=8,
            color="#cf222e",
            ha="center",
            va="bottom",
        )
    ax.set_title(plot_text("plot.misclassified_title"), fontsize=10)
    return save_figure(fig, path)


def _call(fn, *args, **kwargs):
    return fn(*args, **kwargs)


def per_class_rows(cm: np.ndarray, names: list[str]) -> list[tuple]:
    """(class, test images, accuracy, most often predicted instead) per class."""
    rows = []
    for i, name in enumerate(names):
        total = int(cm[i].sum())
        off = cm[i].copy()
        off[i] = 0
        worst = f"{names[int(off.argmax())]} ({int(off.max())})" if off.max() > 0 else "—"
        rows.append((name, total, f"{cm[i, i] / total:.4f}" if total else "n/a", worst))
    return rows


def images_per_second(history: list[dict], n_train: int) -> tuple[float, float] | None:
    """Training images per second in the first epoch and (median) in later ones; an epoch's
    time includes its validation pass."""
    times = [h["time"] for h in history if "time" in h]
    if not times or n_train == 0:
        return None
    per_epoch = np.diff([0.0] + times)
    first = n_train / per_epoch[0] if per_epoch[0] > 0 else float("nan")
    later = n_train / float(np.median(per_epoch[1:])) if len(per_epoch) > 1 else float("nan")
    return first, later


def image_sections(
    run_dir: Path,
    model,
    bundle,
    metrics: dict,
    history: list[dict],
    plots: bool = True,
    max_images: int = 24,
    draw=None,
) -> list[tuple[str, str]]:
    """The report's image sections (and plots/misclassified.png, handed to
    ``draw(plot_function, *args)`` when given)."""
    names = bundle.schema.class_names
    out, target = _test_outputs(model, bundle)
    proba = torch.softmax(out.float(), 1)
    conf, pred = proba.max(1)
    target = target.cpu()
    mistakes = torch.nonzero(pred != target).ravel()
    wrong = mistakes[torch.argsort(conf[mistakes], descending=True)][:max_images].numpy()
    sections = []
    if plots and len(wrong):
        (draw or _call)(
            plot_misclassified,
            _test_images(bundle, wrong),
            [names[int(target[i])] for i in wrong],
            [names[int(pred[i])] for i in wrong],
            [float(conf[i]) for i in wrong],
            Path(run_dir) / "plots" / "misclassified.png",
        )
    cm = np.asarray(metrics.get("confusion_matrix", []))
    if cm.size:
        from .report import _md_table

        body = _md_table(
            ["class", "test images", "accuracy", "most often taken for"], per_class_rows(cm, names)
        )
        sections.append(("Per-class accuracy (test)", body))
    paths = bundle.info.get("paths", {}).get("test")
    if paths is not None and len(wrong):
        listed = "\n".join(
            f"- {paths[i]}: true {names[int(target[i])]}, predicted "
            f"{names[int(pred[i])]} ({float(conf[i]):.2f})"
            for i in wrong[:10]
        )
        sections.append(("Most confidently misclassified test files", listed))
    speed = images_per_second(history, len(bundle.train))
    if speed:
        sections.append(
            (
                "Training speed",
                f"First epoch: {speed[0]:,.0f} images/s; later "
                f"epochs (median): {speed[1]:,.0f} images/s "
                f"(each epoch's time includes validation).",
            )
        )
    return sections
