"""The IDX format of MNIST, read natively with NumPy (plain or gzip-compressed).

Layout: two zero bytes, a type code, the number of dimensions, each dimension as a big-endian
int32, then the values in C order.

Example:
    >>> images = read_idx("t10k-images-idx3-ubyte.gz")     # doctest: +SKIP
    >>> images.shape, images.dtype                          # doctest: +SKIP
    ((10000, 28, 28), dtype('uint8'))
"""

from __future__ import annotations

import gzip
import os

import numpy as np

from ..errors import DataError
from ..i18n import t

__all__ = ["read_idx"]

_TYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def read_idx(path: str | os.PathLike) -> np.ndarray:
    opener = gzip.open if str(path).endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as e:
        raise DataError(t("error.data.idx.readable_idx_file", path=path, e=e)) from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _TYPES:
        raise DataError(t("error.data.idx.idx_file_bad", path=path))
    dtype, ndim = _TYPES[data[2]], data[3]
    dims = np.frombuffer(data, dtype=">i4", count=ndim, offset=4)
    offset = 4 + 4 * ndim
    expected = int(np.prod(dims)) * dtype.itemsize
    if len(data) - offset != expected:
        raise DataError(
            t(
                "error.data.idx.truncated_padded_data",
                path=path,
                value=len(data) - offset,
                expected=expected,
                dims=tuple(dims),
            )
        )
    return np.frombuffer(data, dtype=dtype, offset=offset).reshape(tuple(int(d) for d in dims))
