"""A trained image model on new files: which files a path names, and the model's outputs
for the readable ones, decoded exactly as the run's training images were. Shared by
``hakseup predict``/``evaluate`` (predict.py) and ``RunResult.predict`` (the Python API).

Example:
    >>> files, shown = image_files_of("new_photos/", None)                       # doctest: +SKIP
    >>> logits, kept = image_logits(model, schema, pre, files, "new_photos/")    # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd
import torch

from ...errors import DataError
from ...i18n import t
from .decode import decode_all, is_image_file, warn_unreadable
from .folder import list_images, scan_table

__all__ = ["image_files_of", "decode_settings", "image_logits", "image_predictions"]


def image_files_of(data: str | Path, image_col: str | None) -> tuple[list[Path], list[str]]:
    """(files, how each is shown in the output) for a folder, an image file or a CSV."""
    p = Path(data)
    if p.is_dir():
        files = list_images(p)
        return files, [f.relative_to(p).as_posix() for f in files]
    if not p.exists():
        raise DataError(t("error.predict.images.found_folder_images", data=data))
    if is_image_file(p):
        return [p], [p.name]
    files, _, table = scan_table(p, image_col or "path", None, need_target=False)
    df = cast(pd.DataFrame, table)  # scan_table's table is a DataFrame (annotated ``object``)
    return files, [str(v) for v in df[image_col or "path"]]


def decode_settings(pre, schema) -> tuple[tuple[int, int], int, str]:
    """((H, W), channels, fit) the run's images were decoded with."""
    d = pre.decode or {}
    size = tuple(d.get("size") or schema.input_shape[1:3])
    return (
        (int(size[0]), int(size[1])),
        int(d.get("channels") or schema.input_shape[0]),
        d.get("fit", "crop"),
    )


def image_logits(
    model: torch.nn.Module, schema, pre, files: list[Path], data, cache_root: Path | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(the model's outputs for the readable files, their indices into ``files``); no file,
    or no readable one, is a ``DataError`` (as in train and evaluate)."""
    if not files:
        raise DataError(t("error.predict.images.image_files_looked", data=data))
    size, channels, fit = decode_settings(pre, schema)
    names = [str(f) for f in files]
    images, ok = decode_all(names, size, channels, fit, cache="auto", cache_root=cache_root)
    if not ok.any():  # one line, no warning before it
        raise DataError(
            t("error.data.image_folder.none_image_files", n_names=len(names), path=data)
        )
    warn_unreadable(names, ok)
    keep = np.flatnonzero(ok)
    device = next(model.parameters()).device
    outs = []
    with torch.no_grad():
        for i in range(0, len(keep), 256):
            x = torch.from_numpy(np.asarray(images[keep[i : i + 256]]))
            # A run trained on other pixel ranges (the 0..16 digits) sees them the same way.
            x = x.float() * (pre.max_value / 255.0) if pre.max_value != 255.0 else x
            outs.append(model(pre.normalise(x).to(device)).float().cpu())
    return torch.cat(outs).numpy(), keep


def image_predictions(
    model: torch.nn.Module, schema, pre, data, image_col: str | None, cache_root: Path | None = None
) -> pd.DataFrame:
    """path, predicted class, and each class's probability, for every readable image of
    ``data`` (a folder, one image, or a CSV of paths)."""
    files, shown = image_files_of(data, image_col)
    logits, keep = image_logits(model, schema, pre, files, data, cache_root)
    proba = torch.softmax(torch.from_numpy(logits), 1).numpy()
    out = pd.DataFrame({f"prob_{c}": proba[:, j] for j, c in enumerate(schema.class_names)})
    out.insert(
        0,
        f"predicted_{schema.target}",
        np.asarray(schema.class_names, dtype=object)[proba.argmax(1)],
    )
    out.insert(0, "path", [shown[i] for i in keep])
    return out
