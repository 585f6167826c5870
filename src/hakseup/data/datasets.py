"""The dataset registry and ``load_data``: from a name or a CSV file to a ``DataBundle``.

Example:
    >>> [d.name for d in list_datasets()][:2]
    ['car-evaluation', 'cifar10']
    >>> bundle = load_data(DataConfig(dataset="digits"), seed=0)   # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..config import DataConfig
from ..errors import DataError, unknown_choice
from ..i18n import t
from .bundle import DataBundle, ImageData

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DatasetInfo",
    "ImageData",
    "register_dataset",
    "list_datasets",
    "get_dataset",
    "load_data",
    "load_raw",
    "image_bundle",
]


@dataclass
class DatasetInfo:
    name: str
    description: str
    kind: str  # image | table | series
    loader: Callable[[DataConfig], Any]  # → ImageData, or a pandas DataFrame
    size: str = ""
    source: str = ""
    defaults: dict = field(default_factory=dict)  # data.* defaults (target, time_col, ...)
    offline: bool = False
    cache: str = ""  # downloaded files' folder in the cache


_REGISTRY: dict[str, DatasetInfo] = {}


def register_dataset(info: DatasetInfo) -> DatasetInfo:
    _REGISTRY[info.name] = info
    return info


def list_datasets() -> list[DatasetInfo]:
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]


def get_dataset(name: str) -> DatasetInfo:
    if name not in _REGISTRY:
        raise DataError(unknown_choice("dataset", name, _REGISTRY) + t("error.dataset_or_csv"))
    return _REGISTRY[name]


def _load_digits(cfg: DataConfig) -> ImageData:
    from sklearn.datasets import load_digits

    d = load_digits()
    return ImageData(
        images=d.images.astype(np.float32),
        labels=d.target.astype(np.int64),
        class_names=[str(c) for c in d.target_names],
        max_value=16.0,
    )


def _load_line(cfg: DataConfig):
    import pandas as pd

    x = np.arange(11, dtype=np.float64)
    return pd.DataFrame({"x": x, "y": 2 * x + 1})


def image_bundle(
    raw: ImageData, cfg: DataConfig, seed: int, indices: tuple[np.ndarray, ...] | None = None
) -> DataBundle:
    """Stratified split (or the official test set, a folder tree's splits, or given
    ``indices``), per-channel normalisation fitted on the training images only (see
    ``images.image_bundle``)."""
    from .image.prepare import image_bundle as build

    return build(raw, cfg, seed, indices)


def load_raw(cfg: DataConfig) -> tuple[Any, dict, str]:
    """(ImageData or DataFrame, dataset defaults, a name for messages) — before any split."""
    if cfg.path:
        if _is_image_source(cfg):
            return _read_images(cfg), {}, cfg.path
        from ..io.reader import read_data

        return read_data(cfg.path, cfg), {}, cfg.path
    if not cfg.dataset:
        raise DataError(t("error.data.datasets.data_given_dataset"))
    info = get_dataset(cfg.dataset)
    return info.loader(cfg), info.defaults, info.name


def _is_image_source(cfg: DataConfig) -> bool:
    """A folder of class sub-folders, or a CSV with a column of image paths (image/folder.py)."""
    from .image.folder import is_image_source

    return is_image_source(cfg)


def _read_images(cfg: DataConfig) -> ImageData:
    from .image.folder import read_image_source

    return read_image_source(cfg)


def load_data(cfg: DataConfig, seed: int = 0) -> DataBundle:
    """Turn a data config (a built-in dataset or a CSV path) into a ``DataBundle``."""
    from ..config.api import check_section
    from ..errors import check_type

    check_section(cfg, "data", "hakseup.load_data", "cfg")
    check_type(seed, int, "hakseup.load_data", "seed", "a whole number")
    if getattr(cfg, "test_path", None):  # --test-data: a separate file is the test split
        from .testfile import load_with_test_file

        return load_with_test_file(cfg, seed)
    raw, defaults, source = load_raw(cfg)
    if isinstance(raw, ImageData):
        return image_bundle(raw, cfg, seed)

    return _table_bundle(raw, cfg, seed, defaults=defaults, source=source)


# --------------------------------------------------------------------------- downloadable data

_GILBUT = (
    "https://raw.githubusercontent.com/gilbutITbook/080289/"
    "3661f4894c628794dbb358e090587b18bc720443/"
)
_MNIST_MIRRORS = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
]
_MNIST_MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}


def _fetch(
    cfg: DataConfig, name: str, algorithm: str, digest: str, mirrors: list[str], subdir: str
):
    from ..io.download import RemoteFile, cache_dir, fetch, mirror_override

    return fetch(
        RemoteFile(name, algorithm, digest, mirrors),
        cache_dir(cfg.cache_dir) / subdir,
        mirror_override(cfg.mirrors),
    )


def _mnist_part(cfg: DataConfig, part: str) -> tuple[np.ndarray, np.ndarray]:
    from ..io.idx import read_idx

    images = read_idx(
        _fetch(
            cfg,
            f"{part}-images-idx3-ubyte.gz",
            "md5",
            _MNIST_MD5[f"{part}-images-idx3-ubyte.gz"],
            _MNIST_MIRRORS,
            "mnist",
        )
    )
    labels = read_idx(
        _fetch(
            cfg,
            f"{part}-labels-idx1-ubyte.gz",
            "md5",
            _MNIST_MD5[f"{part}-labels-idx1-ubyte.gz"],
            _MNIST_MIRRORS,
            "mnist",
        )
    )
    if len(images) != len(labels):
        raise DataError(
            t(
                "error.data.datasets.mnist_images_labels",
                part=part,
                n_images=len(images),
                n_labels=len(labels),
            )
        )
    return images, labels.astype(np.int64)


def _load_mnist(cfg: DataConfig) -> ImageData:
    x, y = _mnist_part(cfg, "train")
    xt, yt = _mnist_part(cfg, "t10k")
    return ImageData(x, y, [str(i) for i in range(10)], 255.0, test_images=xt, test_labels=yt)


def _load_mnist_t10k(cfg: DataConfig) -> ImageData:
    x, y = _mnist_part(cfg, "t10k")
    return ImageData(x, y, [str(i) for i in range(10)], 255.0)


def _csv_loader(name: str, path: str, digest: str):
    def load(cfg: DataConfig):
        from ..io.reader import read_csv

        return read_csv(_fetch(cfg, name, "sha256", digest, [_GILBUT + path], name.split(".")[0]))

    return load


# --------------------------------------------------------------------------- CIFAR-10 (cifar.py)


def _load_cifar10(cfg: DataConfig) -> ImageData:
    from .image import cifar

    archive = _fetch(
        cfg, cifar.CIFAR10_ARCHIVE, "md5", cifar.CIFAR10_MD5, cifar.CIFAR10_MIRRORS, "cifar10"
    )
    x, y, xt, yt, names = cifar.load_cifar10(archive)
    return ImageData(x, y, names, 255.0, test_images=xt, test_labels=yt)


def _table_bundle(
    df: pd.DataFrame,
    cfg: DataConfig,
    seed: int,
    defaults: dict | None = None,
    source: object = "data",
) -> DataBundle:
    """A time series (with a time column) or a table, split and preprocessed."""
    defaults = defaults or {}
    if getattr(cfg, "id_col", None):  # many series in a long table: one global forecaster
        from .series.panel import panel_bundle

        return panel_bundle(df, cfg, seed, defaults, source)
    if cfg.time_col or (defaults.get("time_col") and cfg.layout == "auto"):
        from .series.prepare import series_bundle

        return series_bundle(df, cfg, seed, defaults, source)
    from .table.prepare import bundle_from_plan, prepare_table

    return bundle_from_plan(prepare_table(df, cfg, defaults, source), cfg, seed)


# --------------------------------------------------------------------------- the registry

_LECUN = "Y. LeCun, C. Cortes, C. J. C. Burges (CC BY-SA 3.0)"

# The built-in datasets, as `hakseup datasets` lists them, one row each in DatasetInfo's order:
# name, description, kind, loader, size, source; then what only some have. One with a cache
# folder downloads its files there on first use; an offline one ships with the library.
for _info in (
    DatasetInfo(
        "digits",
        "8x8 handwritten digits, 10 classes (ships with scikit-learn)",
        "image",
        _load_digits,
        "1,797 images",
        "scikit-learn (UCI optical digits)",
        offline=True,
    ),
    DatasetInfo(
        "line",
        "y = 2x + 1 for x = 0..10: linear regression's first experiment",
        "table",
        _load_line,
        "11 points",
        "generated",
        offline=True,
        defaults={"target": "y"},
    ),
    DatasetInfo(
        "mnist",
        "28x28 handwritten digits, 10 classes; official 10,000-image test set",
        "image",
        _load_mnist,
        "70,000 images",
        _LECUN,
        cache="mnist",
    ),
    DatasetInfo(
        "mnist-t10k",
        "only MNIST's official test files (a 10 MB download), split like any dataset",
        "image",
        _load_mnist_t10k,
        "10,000 images",
        _LECUN,
        cache="mnist",
    ),
    DatasetInfo(
        "cifar10",
        "32x32 colour images, 10 classes; official 10,000-image test set",
        "image",
        _load_cifar10,
        "60,000 images",
        "A. Krizhevsky, 'Learning Multiple Layers of Features from Tiny Images' (2009)",
        cache="cifar10",
    ),
    DatasetInfo(
        "car-evaluation",
        "6 categorical car attributes -> acceptability (4 classes)",
        "table",
        _csv_loader(
            "car_evaluation.csv",
            "chap02/data/",
            "c685b4b7cae69bff2d4036c97bb85eef48c1492bd55c26db7e5759001db7d852",
        ),
        "1,728 rows",
        "UCI Car Evaluation, Bohanec & Rajkovic (CC BY 4.0)",
        cache="car_evaluation",
        defaults={"target": "output"},
    ),
    DatasetInfo(
        "sbux",
        "Starbucks daily prices 2019-12-11..2020-12-10 (forecast Close)",
        "series",
        _csv_loader(
            "SBUX.csv",
            "chap07/data/",
            "4293b10a3bc217bcc3bd02dd2032b0e1224a61c75bf943cb909aca9a65cb093c",
        ),
        "253 days",
        "public market data",
        cache="SBUX",
        defaults={"target": "Close", "time_col": "Date"},
    ),
):
    register_dataset(_info)
