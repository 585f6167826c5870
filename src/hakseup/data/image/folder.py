"""Your own images: a folder with one sub-folder per class, or a CSV of paths and labels.

``DIR/<class>/*.jpg`` (any depth below the class folder) or ``DIR/train|val|test/<class>/...``
(the sub-trees then define the splits; a missing val or test split is carved from train); or
``--data table.csv --image-col path --target label`` (paths relative to the CSV's folder).
Class names are the folder names (Unicode-normalised, so a Korean name typed on macOS and on
Linux is the same class). Everything ends as an ``ImageData`` of uint8 images, decoded once.

Example:
    >>> raw = read_image_source(DataConfig(path="photos/"))            # doctest: +SKIP
    >>> raw.class_names, raw.images.shape                               # doctest: +SKIP
    (['고양이', '강아지'], (120, 3, 128, 128))
"""

from __future__ import annotations

import os
import time
import unicodedata
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

import numpy as np

from ...config import DataConfig
from ...errors import DataError
from ...i18n import t
from ..bundle import ImageData
from .decode import decode_all, is_image_file, probe_images, warn_unreadable

__all__ = [
    "FolderImages",
    "is_image_source",
    "read_image_source",
    "scan_folder",
    "scan_table",
    "list_images",
    "image_settings",
    "SPLIT_NAMES",
]

# Sub-folder names that mean a split rather than a class.
SPLIT_NAMES = {
    "train": "train",
    "training": "train",
    "val": "val",
    "valid": "val",
    "validation": "val",
    "test": "test",
    "testing": "test",
}
DEFAULT_SIZE = 128


@dataclass
class FolderImages(ImageData):
    """``ImageData`` read from files: where each image came from and how it was decoded."""

    split: np.ndarray | None = None  # (N,) train | val | test, from the folder tree
    paths: list[str] = field(default_factory=list)
    rows: np.ndarray | None = None  # sample -> row of a memory-mapped ``images``
    decode: dict = field(default_factory=dict)  # size, channels, fit: reused by predict
    stats: dict = field(default_factory=dict)  # how long decoding took, for the report


def _nfc(name: str) -> str:
    return unicodedata.normalize("NFC", name)


def is_image_source(cfg: DataConfig) -> bool:
    """Whether ``data.path`` names images: a folder, or a table with ``data.image_col``."""
    if not cfg.path:
        return False
    return Path(cfg.path).is_dir() or bool(cfg.image_col)


# Folders that archivers and operating systems add beside the data: never a class or split.
_SKIPPED_FOLDERS = {"__MACOSX", "$RECYCLE.BIN", "System Volume Information"}


def _inside(path: str | Path, top: str) -> bool:
    real = os.path.realpath(path)
    return real == top or real.startswith(top.rstrip(os.sep) + os.sep)


def list_images(folder: Path, top: Path | None = None) -> list[Path]:
    """Every image file below ``folder`` that is a regular file inside ``top`` (default
    ``folder``) once links are resolved, in a stable (sorted) order. Linked folders are not
    walked (a link to /usr would be thousands of files, a link to ``..`` endless); a linked
    file leading outside ``top`` is skipped, with one warning."""
    base = os.path.realpath(top or folder)
    found, outside = [], 0
    for dirpath, dirs, files in os.walk(folder):  # followlinks=False
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in _SKIPPED_FOLDERS]
        for name in files:
            p = Path(dirpath) / name
            if not is_image_file(p):
                continue
            if not _inside(p, base):
                outside += 1
            elif p.is_file():  # a FIFO or device is never listed
                found.append(p)
    if outside:
        warnings.warn(t("warn.data.image.links_outside", n=outside, folder=folder), stacklevel=2)
    return sorted(found, key=lambda p: [_nfc(s) for s in p.parts])


def _class_folders(root: Path, top: Path | None = None) -> list[Path]:
    """The sub-folders of ``root`` (hidden ones and archivers' aside); one that is a link
    leading outside ``top`` (default ``root``) is refused: it is not part of the data."""
    base = os.path.realpath(top or root)
    subs = sorted(
        (
            d
            for d in root.iterdir()
            if d.is_dir() and not d.name.startswith(".") and d.name not in _SKIPPED_FOLDERS
        ),
        key=lambda d: _nfc(d.name),
    )
    for d in subs:
        if not _inside(d, base):
            raise DataError(
                t(
                    "error.data.image.folder_link_outside",
                    folder=d,
                    target=os.path.realpath(d),
                    root=top or root,
                )
            )
    return subs


def _scan_classes(root: Path, top: Path | None = None) -> tuple[list[Path], list[str]]:
    paths, labels = [], []
    for d in _class_folders(root, top):
        files = list_images(d, top or root)
        paths += files
        labels += [_nfc(d.name)] * len(files)
    return paths, labels


def scan_folder(root: str | Path) -> tuple[list[Path], list[str], list[str] | None]:
    """(files, class name per file, split per file or None) of a class-folder tree."""
    root = Path(root)
    subs = _class_folders(root)
    if not subs:
        n = len(list_images(root))
        raise DataError(
            t("error.data.image_folder.no_sub_folders_images", root=root, n=n)
            if n
            else t("error.data.image_folder.no_sub_folders", root=root)
        )
    names = {SPLIT_NAMES.get(d.name.lower()) for d in subs}
    paths: list[Path]
    labels: list[str]
    split: list[str] | None
    if "train" in names:
        # train/ (and val/, test/) beside other folders: the others are not a class "train"
        # is compared with; they are set aside, said once.
        extra = [d.name for d in subs if SPLIT_NAMES.get(d.name.lower()) is None]
        if extra:
            warnings.warn(
                t("warn.data.image.extra_folders", root=root, names=", ".join(extra[:5])),
                stacklevel=2,
            )
            subs = [d for d in subs if SPLIT_NAMES.get(d.name.lower()) is not None]
        paths, labels, split = [], [], []
        for d in subs:
            p, lab = _scan_classes(d, root)
            paths, labels = paths + p, labels + lab
            split += [SPLIT_NAMES[d.name.lower()]] * len(p)
        seen = {lab for lab, s in zip(labels, split) if s == "train"}
        extra = sorted({lab for lab, s in zip(labels, split) if s != "train"} - seen)
        if extra:
            raise DataError(
                t("error.data.image_folder.class_folder_appear", names=", ".join(extra), root=root)
            )
    else:
        (paths, labels), split = _scan_classes(root), None
    if not paths:
        raise DataError(
            t(
                "error.data.image_folder.image_files_under",
                root=root,
                names=", ".join(e.lstrip(".") for e in (".jpg", ".png", ".bmp", ".webp")),
            )
        )
    return paths, labels, split


def _column_error(
    key: str, csv: str | Path, columns: Iterable[object], **fields: object
) -> DataError:
    """``key``'s error about a column of the table ``csv``, naming its ``columns`` (the first
    20) as the choices."""
    names = ", ".join(map(str, islice(columns, 20)))
    return DataError(t(key, csv=csv, names=names, **fields))


def _table_target(df, csv: str | Path, image_col: str, target: str | None) -> str:
    """The label column of an image table: ``target`` when given, else ``label`` or the one
    column besides ``image_col``; it must exist and differ from the image column."""
    if target is None:
        others = [c for c in df.columns if c != image_col]
        target = "label" if "label" in others else (others[0] if len(others) == 1 else None)
        if target is None:
            raise _column_error("error.data.image_folder.which_column_holds", csv, others)
    if target not in df.columns:
        raise _column_error(
            "error.data.image_folder.target_column_columns", csv, df.columns, target=target
        )
    if target == image_col:
        raise DataError(t("error.data.image_folder.target_is_image_col", csv=csv, target=target))
    return target


def scan_table(
    csv: str | Path,
    image_col: str,
    target: str | None,
    header: bool = True,
    delimiter: str | None = None,
    need_target: bool = True,
) -> tuple[list[Path], list[str] | None, object]:
    """(files, label per file or None, the table) of a CSV with a column of image paths."""
    from ...io.reader import read_csv

    try:
        df = read_csv(csv, header=header, delimiter=delimiter)
    except DataError as e:
        if need_target or "only one column" not in str(e):
            raise
        import pandas as pd  # a bare list of paths (one column) is fine for predicting

        df = pd.read_csv(csv, encoding="utf-8-sig", dtype=str)
    if image_col not in df.columns:
        raise _column_error(
            "error.data.image_folder.column_data_image", csv, df.columns, image_col=image_col
        )
    base = Path(csv).resolve().parent
    paths = [Path(str(v)).expanduser() for v in df[image_col]]
    paths = [p if p.is_absolute() else base / p for p in paths]
    if not need_target:
        return paths, None, df
    target = _table_target(df, csv, image_col, target)
    keep = df[target].notna().to_numpy()
    labels = [_nfc(str(v)) for v in df[target][keep]]
    if len(labels) >= 5 and len(set(labels)) == len(labels):
        # One class per image (the file name as the target): nothing to learn.
        raise DataError(
            t("error.data.image_folder.one_class_per_image", csv=csv, target=target, n=len(labels))
        )
    return [p for p, k in zip(paths, keep) if k], labels, df


def image_settings(cfg: DataConfig, paths: list[Path]) -> tuple[tuple[int, int], int]:
    """((H, W), channels): the configured ones, or from the files' headers - their own size
    when they all share one (up to 256 pixels a side), else 128x128; 3 channels when any is
    colour."""
    sizes, colour = (
        probe_images(paths)
        if (cfg.image_size is None or cfg.image_channels is None)
        else (set(), True)
    )
    if cfg.image_size is not None:
        size = (cfg.image_size, cfg.image_size)
    elif len(sizes) == 1 and max(next(iter(sizes))) <= 256:
        size = next(iter(sizes))
    else:
        size = (DEFAULT_SIZE, DEFAULT_SIZE)
    channels = cfg.image_channels or (3 if colour else 1)
    return size, channels


def _sorted_classes(labels: list[str]) -> list[str]:
    """Class names in order: numerically when all are integers ("2" before "10")."""
    names = set(labels)
    try:
        return sorted(names, key=int)
    except ValueError:
        return sorted(names)


def _readable_classes(classes: list[str], labels: list[str], ok: np.ndarray, path) -> list[str]:
    """The classes with at least one readable image: a class whose files all failed to
    decode is dropped with a warning (it would be an output no image ever trained)."""
    seen = {labels[i] for i in np.flatnonzero(ok)}
    dropped = [c for c in classes if c not in seen]
    if not dropped:
        return classes
    warnings.warn(
        t("warn.data.image.class_unreadable", names=", ".join(dropped[:5]), n=len(dropped)),
        stacklevel=3,
    )
    kept = [c for c in classes if c in seen]
    if len(kept) < 2:
        raise DataError(
            t(
                "error.data.image_folder.single_class_classification",
                path=path,
                value=kept[0] if kept else "-",
            )
        )
    return kept


def _source_files(cfg: DataConfig) -> tuple[list[Path], list[str], list[str] | None]:
    """(files, label per file, split per file or None) of ``data.path``: a class-folder tree
    (whose train/val/test sub-trees give the splits) or a table with ``data.image_col``."""
    assert cfg.path is not None  # read_image_source checked it
    split: list[str] | None = None
    if Path(cfg.path).is_dir():
        paths, labels, split = scan_folder(cfg.path)
    else:
        # is_image_source chose this: a path that is not a folder is a table with image_col
        assert cfg.image_col is not None
        paths, table_labels, _ = scan_table(
            cfg.path, cfg.image_col, cfg.target, cfg.header, cfg.delimiter
        )
        assert table_labels is not None  # need_target (the default): a label per file
        labels = table_labels
    return paths, labels, split


def read_image_source(cfg: DataConfig, progress: bool = True) -> FolderImages:
    """The images of ``data.path`` (folder or table), decoded once, as ``ImageData``."""
    if not cfg.path:
        raise DataError(t("error.data.datasets.data_given_dataset"))
    paths, labels, split = _source_files(cfg)
    classes = _sorted_classes(labels)
    if len(classes) < 2:
        raise DataError(
            t(
                "error.data.image_folder.single_class_classification",
                path=cfg.path,
                value=classes[0] if classes else "-",
            )
        )
    size, channels = image_settings(cfg, paths)
    names = [str(p) for p in paths]
    t0 = time.perf_counter()
    images, ok = decode_all(
        names,
        size,
        channels,
        cfg.image_fit,
        cache=cfg.image_cache,
        cache_root=Path(cfg.cache_dir) if cfg.cache_dir else None,
        workers=cfg.workers,
        progress=progress,
    )
    seconds = time.perf_counter() - t0
    warn_unreadable(names, ok)
    if not ok.any():
        raise DataError(
            t("error.data.image_folder.none_image_files", n_names=len(names), path=cfg.path)
        )
    classes = _readable_classes(classes, labels, ok, cfg.path)
    index = {c: i for i, c in enumerate(classes)}
    y = np.array([index.get(lab, -1) for lab in labels], dtype=np.int64)  # -1: not kept
    keep = np.flatnonzero(ok)
    rows = None
    if isinstance(images, np.memmap):  # keeps every file's slot: kept rows are read lazily
        rows = keep
    elif not ok.all():
        images = images[keep]
    return FolderImages(
        images=images,
        labels=y[keep],
        class_names=classes,
        max_value=255.0,
        split=None if split is None else np.asarray(split, dtype=object)[keep],
        paths=[names[i] for i in keep],
        rows=rows,
        decode={"size": list(size), "channels": channels, "fit": cfg.image_fit},
        stats={"files": len(names), "seconds": seconds},
    )
