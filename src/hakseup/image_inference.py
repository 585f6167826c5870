"""Predicting images with a trained image run: a folder, one file, or a CSV of paths.

New files are decoded exactly as the training images were (the size, channels and crop/pad
saved in ``preprocessing.json``) and normalised with the training statistics. The output CSV
has one row per readable image: its path, the predicted class and every class's probability;
unreadable files are skipped and counted in a warning.

Example:
    >>> predict_image_files("runs/<id>", "new_photos/", "predictions.csv")   # doctest: +SKIP
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from .errors import DataError, HakseupError
from .fileio import atomic_write_text
from .i18n import t

__all__ = ["is_image_run", "image_files_of", "predict_images", "predict_image_files"]


def is_image_run(run: str | Path) -> bool:
    """Whether ``run`` was trained on images (its saved preprocessing says so)."""
    from .runs import require_run

    try:
        pre = json.loads((require_run(run) / "preprocessing.json").read_text())
        return pre.get("kind") == "image"
    except (OSError, ValueError, HakseupError):
        return False


def image_files_of(data: str | Path, image_col: str | None) -> tuple[list[Path], list[str]]:
    """(files, how each is shown in the output) for a folder, an image file or a CSV."""
    from .data.image_decode import is_image_file
    from .data.image_folder import list_images, scan_table

    p = Path(data)
    if p.is_dir():
        files = list_images(p)
        return files, [f.relative_to(p).as_posix() for f in files]
    if not p.exists():
        raise DataError(t("error.image_inference.found_folder_images", data=data))
    if is_image_file(p):
        return [p], [p.name]
    files, _, df = scan_table(p, image_col or "path", None, need_target=False)
    return files, [str(v) for v in df[image_col or "path"]]


def _decode_settings(pre, schema) -> tuple[tuple[int, int], int, str]:
    d = pre.decode or {}
    size = tuple(d.get("size") or schema.input_shape[1:3])
    return (int(size[0]), int(size[1])), int(d.get("channels") or schema.input_shape[0]), \
        d.get("fit", "crop")


def predict_images(run: str | Path, data: str | Path) -> pd.DataFrame:
    """path, predicted class, and each class's probability, for every readable image."""
    from .data.image_decode import decode_all, warn_unreadable
    from .experiment import Experiment

    exp = Experiment.from_run(run)
    cfg, schema, pre, model = exp.cfg, exp.schema_, exp.preprocessor_, exp.model_
    files, shown = image_files_of(data, cfg.data.image_col)
    if not files:
        raise DataError(t("error.image_inference.image_files_looked", data=data))
    size, channels, fit = _decode_settings(pre, schema)
    names = [str(f) for f in files]
    images, ok = decode_all(names, size, channels, fit, cache="auto",
                            cache_root=Path(cfg.data.cache_dir) if cfg.data.cache_dir else None)
    warn_unreadable(names, ok)
    keep = np.flatnonzero(ok)
    device = next(model.parameters()).device
    probs = []
    with torch.no_grad():
        for i in range(0, len(keep), 256):
            x = torch.from_numpy(np.asarray(images[keep[i:i + 256]]))
            # A run trained on other pixel ranges (the 0..16 digits) sees them the same way.
            x = x.float() * (pre.max_value / 255.0) if pre.max_value != 255.0 else x
            probs.append(torch.softmax(model(pre.normalise(x).to(device)).float(), 1).cpu())
    proba = torch.cat(probs).numpy() if probs else np.zeros((0, schema.n_outputs))
    out = pd.DataFrame({f"prob_{c}": proba[:, j] for j, c in enumerate(schema.class_names)})
    out.insert(0, f"predicted_{schema.target}",
               np.asarray(schema.class_names, dtype=object)[proba.argmax(1)] if len(proba)
               else [])
    out.insert(0, "path", [shown[i] for i in keep])
    return out


def predict_image_files(run: str | Path, data: str | Path, output: str | Path) -> Path:
    """Write ``predict_images`` as a UTF-8 CSV (class names in any language)."""
    out = Path(output)
    atomic_write_text(out, predict_images(run, data).to_csv(index=False))
    return out
