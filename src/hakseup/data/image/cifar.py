"""CIFAR-10 from its official binary version (``cifar-10-binary.tar.gz``; no pickle).

The archive is downloaded once through ``download.fetch`` (mirrors, MD5 verified, cached), and
only its seven expected members are extracted (``tarfile``'s ``data`` filter: no absolute
paths, links or devices). Each ``.bin`` file is a run of 3,073-byte records: one label byte,
then 1,024 red, 1,024 green and 1,024 blue bytes of a 32x32 image, row by row.

Example:
    >>> images, labels = read_cifar_bin(["data_batch_1.bin"])     # doctest: +SKIP
    >>> images.shape, labels[:3]                                  # doctest: +SKIP
    ((10000, 3, 32, 32), array([6, 9, 9]))
"""

from __future__ import annotations

import os
import shutil
import tarfile
from pathlib import Path

import numpy as np

from ...errors import DataError
from ...i18n import t

__all__ = [
    "CIFAR10_ARCHIVE",
    "CIFAR10_MD5",
    "CIFAR10_MIRRORS",
    "CIFAR10_CLASSES",
    "read_cifar_bin",
    "extract_cifar10",
    "load_cifar10",
]

CIFAR10_ARCHIVE = "cifar-10-binary.tar.gz"
CIFAR10_MD5 = "c32a1d4ab5d03f1284b67883e8d87530"  # published on the dataset's page
CIFAR10_MIRRORS = ["https://www.cs.toronto.edu/~kriz/"]
CIFAR10_CLASSES = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
]
_FOLDER = "cifar-10-batches-bin"
_TRAIN = [f"data_batch_{i}.bin" for i in range(1, 6)]
_TEST = "test_batch.bin"
_META = "batches.meta.txt"
_RECORD = 1 + 3 * 32 * 32


def read_cifar_bin(files: list[str | os.PathLike]) -> tuple[np.ndarray, np.ndarray]:
    """(images ``uint8 (N, 3, 32, 32)``, labels ``int64 (N,)``) of CIFAR-10 ``.bin`` files."""
    parts = []
    for f in files:
        raw = np.fromfile(f, dtype=np.uint8)
        if raw.size == 0 or raw.size % _RECORD:
            raise DataError(
                t("error.data.cifar.cifar_binary_batch", f=f, size=raw.size, record=_RECORD)
            )
        parts.append(raw.reshape(-1, _RECORD))
    records = np.concatenate(parts)
    labels = records[:, 0].astype(np.int64)
    if labels.max() > 9:
        raise DataError(
            t(
                "error.data.cifar.cifar_labels_must",
                max=int(labels.max()),
                names=", ".join(map(str, files)),
            )
        )
    return records[:, 1:].reshape(-1, 3, 32, 32), labels


def _plain(name: str) -> bool:
    """``cifar-10-batches-bin/<file>`` exactly (a leading ``./`` allowed): nothing outside."""
    parts = [p for p in Path(name).parts if p != "."]
    return len(parts) == 2 and parts[0] == _FOLDER and not Path(name).is_absolute()


def extract_cifar10(archive: Path, dest: Path) -> Path:
    """The folder of the archive's batches, extracted once (into a temporary folder, renamed
    when complete: an interrupted extraction is never mistaken for a finished one)."""
    folder = dest / _FOLDER
    wanted = _TRAIN + [_TEST, _META]
    if all((folder / name).is_file() for name in wanted):
        return folder
    tmp = dest / f".{_FOLDER}.part"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = {
                Path(m.name).name: m for m in tar.getmembers() if m.isfile() and _plain(m.name)
            }
            missing = [n for n in wanted if n not in members]
            if missing:
                raise DataError(
                    t(
                        "error.data.cifar.lacks_official_cifar",
                        archive=archive,
                        names=", ".join(missing),
                    )
                )
            chosen = [members[n] for n in wanted]
            if hasattr(tarfile, "data_filter"):  # Python 3.12, 3.11.4, 3.10.12 and later
                tar.extractall(tmp, members=chosen, filter="data")
            else:  # the members are vetted by _plain()
                tar.extractall(tmp, members=chosen)
    except (tarfile.TarError, EOFError, OSError) as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise DataError(t("error.data.cifar.could_extract_delete", archive=archive, e=e)) from None
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(tmp / _FOLDER, folder)
    shutil.rmtree(tmp, ignore_errors=True)
    return folder


def load_cifar10(archive: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """(train images, train labels, test images, test labels, class names)."""
    folder = extract_cifar10(archive, archive.parent)
    x, y = read_cifar_bin([folder / n for n in _TRAIN])
    xt, yt = read_cifar_bin([folder / _TEST])
    names = [
        n.strip() for n in (folder / _META).read_text(encoding="utf-8").splitlines() if n.strip()
    ]
    return x, y, xt, yt, names if len(names) == 10 else list(CIFAR10_CLASSES)
