"""Decoding image files with Pillow, once, into a uint8 cache (in memory or memory-mapped).

Every file is opened with Pillow, turned upright by its EXIF orientation, converted to the
configured channels (grey, RGBA, palette and 16-bit images included; transparency is composited
on white), resized to one size (centre crop or pad to keep the aspect ratio, or stretch) and
stored as ``uint8 (C, H, W)``. Files that cannot be read are skipped and counted, never a crash.
The first (and only) decoding pass runs through a ``DataLoader`` with worker processes; later
epochs read the cache. A cache too large for memory is a memory-mapped file under
``data.cache_dir``, reused by later runs on the same files.

Example:
    >>> arr = decode_image("cat.jpg", (32, 32), channels=3, fit="crop")    # doctest: +SKIP
    >>> arr.shape, arr.dtype                                                # doctest: +SKIP
    ((3, 32, 32), dtype('uint8'))
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from ...i18n import t

__all__ = [
    "IMAGE_EXTENSIONS",
    "open_image",
    "UnreadableImage",
    "decode_image",
    "probe_images",
    "decode_all",
    "is_image_file",
    "available_memory",
]

MAX_IMAGE_BYTES = 256 << 20  # one image file; HAKSEUP_MAX_IMAGE_MB sets it
MAX_IMAGE_PIXELS = 89_478_485  # Pillow's own warning threshold (a 9459 x 9459 image)
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".jpe", ".png", ".bmp", ".webp", ".gif", ".tif", ".tiff")
_CACHE_VERSION = 1


def is_image_file(path: Path) -> bool:
    # "._x.jpg" are macOS resource forks, not images.
    return path.suffix.lower() in IMAGE_EXTENSIONS and not path.name.startswith(".")


def _pil():
    from PIL import Image, ImageOps

    return Image, ImageOps


def _to_channels(im, channels: int):
    """A Pillow image in ``L`` (1 channel) or ``RGB`` (3): transparency composited on white
    (a transparent pixel's stored colour is arbitrary, often black); 16-bit and float grey
    scaled to 0..255 (Pillow's own conversion would clip)."""
    Image, _ = _pil()
    if im.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        a = np.asarray(im, dtype=np.float64)
        top = 65535.0 if im.mode.startswith("I;16") or a.max() > 255 else 255.0
        im = Image.fromarray(np.clip(a / top * 255.0 + 0.5, 0, 255).astype(np.uint8), "L")
    if im.mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "RGB" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        im = Image.alpha_composite(white, rgba)
    return im.convert("L" if channels == 1 else "RGB")


def _fit(im, size: tuple[int, int], fit: str):
    """Resize to ``size`` = (H, W)."""
    Image, ImageOps = _pil()
    wh = (size[1], size[0])
    if im.size == wh:
        return im
    method = Image.Resampling.BILINEAR
    if fit == "crop":
        return ImageOps.fit(im, wh, method=method)
    if fit == "pad":
        return ImageOps.pad(im, wh, method=method, color=0)
    return im.resize(wh, method)


class UnreadableImage(ValueError):
    """A file the opener refuses before decoding it (see ``open_image``)."""


def _max_bytes() -> int:
    env = os.environ.get("HAKSEUP_MAX_IMAGE_MB")
    try:
        return int(float(env) * (1 << 20)) if env else MAX_IMAGE_BYTES
    except ValueError:
        return MAX_IMAGE_BYTES


@contextmanager
def open_image(path: str | os.PathLike) -> Iterator:
    """The one way an image file is opened: a Pillow image, or ``UnreadableImage`` (a
    ``ValueError``) for a file that is not a regular file (a FIFO would block the open
    forever, a device never end) — checked with ``stat`` before opening — that is larger than
    ``HAKSEUP_MAX_IMAGE_MB`` (256 MiB by default), or whose header declares more than
    ``MAX_IMAGE_PIXELS`` pixels (a decompression bomb: a few KB of PNG that would decode to
    gigabytes). Together the two limits bound how long one image can take to decode."""
    Image, _ = _pil()
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        raise UnreadableImage(t("error.data.image.not_regular", path=path))
    if st.st_size > _max_bytes():
        raise UnreadableImage(
            t(
                "error.data.image.too_large",
                path=path,
                mb=st.st_size / (1 << 20),
                limit=_max_bytes() / (1 << 20),
            )
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # checked below
        try:
            im = Image.open(path)
        except Image.DecompressionBombError:
            im = None
    if im is None or im.size[0] * im.size[1] > MAX_IMAGE_PIXELS:
        if im is not None:
            im.close()
        raise UnreadableImage(t("error.data.image.bomb", path=path, limit=MAX_IMAGE_PIXELS))
    with im:
        yield im


def decode_image(
    path: str | os.PathLike, size: tuple[int, int], channels: int, fit: str = "crop"
) -> np.ndarray:
    """One file → ``uint8 (channels, H, W)``. Raises ``OSError``/``ValueError`` when the file is
    not a readable image (``open_image``'s limits included)."""
    _, ImageOps = _pil()
    with open_image(path) as im:
        # JPEG: decode at a reduced scale (DCT scaling) when the target is much smaller.
        im.draft("L" if channels == 1 else "RGB", (size[1], size[0]))
        im = ImageOps.exif_transpose(im)
        im = _fit(_to_channels(im, channels), size, fit)
        a = np.asarray(im, dtype=np.uint8)
    return a[None] if a.ndim == 2 else a.transpose(2, 0, 1)


def probe_images(paths: list[Path], k: int = 64) -> tuple[set[tuple[int, int]], bool]:
    """(the (H, W) sizes, whether any is colour) of up to ``k`` files spread over ``paths``:
    headers only, no decoding."""
    sizes, colour = set(), False
    step = max(1, len(paths) // k)
    for p in paths[::step][:k]:
        try:
            with open_image(p) as im:
                w, h = im.size
                if im.getexif().get(0x0112, 1) in (5, 6, 7, 8):  # rotated by 90 degrees
                    w, h = h, w
                sizes.add((h, w))
                colour |= im.mode not in ("1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F")
        except (OSError, ValueError, SyntaxError):
            continue
    return sizes, colour


class _DecodeFiles(Dataset):
    """Item ``i``: ``(i, uint8 array)``, or ``(i, None)`` for a file that cannot be read."""

    def __init__(self, paths: list[str], size: tuple[int, int], channels: int, fit: str):
        self.paths, self.size, self.channels, self.fit = paths, size, channels, fit

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int):
        try:
            return i, decode_image(self.paths[i], self.size, self.channels, self.fit)
        except Exception:  # noqa: BLE001 - any undecodable file is skipped and counted
            return i, None


def _as_list(batch):
    return batch


def available_memory() -> int:
    """Bytes of memory available to this process without swapping (psutil's ``available``:
    free memory plus what the kernel can reclaim), or 4 GiB when unknown."""
    import psutil  # here: only a decoded-image cache asks, once per run

    try:
        return int(psutil.virtual_memory().available)
    except (OSError, RuntimeError):
        return 4 << 30


def _cache_key(paths: list[str], size, channels: int, fit: str) -> str:
    h = hashlib.sha256(f"v{_CACHE_VERSION} {size} {channels} {fit}\n".encode())
    for p in paths:
        st = os.stat(p) if os.path.exists(p) else None
        h.update(f"{p}\0{st.st_size if st else -1}\0{st.st_mtime_ns if st else -1}\n".encode())
    return h.hexdigest()[:32]


def _workers(configured: int, n: int) -> int:
    if n < 512:  # starting worker processes costs more than decoding a few files
        return 0
    if configured:
        return configured
    from ..loader import default_workers

    return default_workers(lazy=True)


def _fill(
    out: np.ndarray,
    ok: np.ndarray,
    paths: list[str],
    size,
    channels: int,
    fit: str,
    workers: int,
    progress: bool,
) -> None:
    """Decode every file into ``out[i]``; ``ok[i]`` says whether it could be read."""
    from ...monitor.bars import tqdm_class  # no IProgress warning

    tqdm = tqdm_class()

    ctx = None
    if workers and torch.cuda.is_available() and torch.cuda.is_initialized():
        ctx = "spawn"  # CUDA cannot be used in a forked child
    loader = DataLoader(
        _DecodeFiles(paths, size, channels, fit),
        batch_size=64,
        num_workers=workers,
        collate_fn=_as_list,
        multiprocessing_context=ctx,
    )
    # disable=None: a bar on a terminal only (logs and pipes stay clean)
    with tqdm(
        total=len(paths),
        desc="decoding images",
        unit="img",
        disable=None if progress else True,
        leave=False,
    ) as bar:
        for batch in loader:
            for i, a in batch:
                if a is not None:
                    out[i] = a
                    ok[i] = True
            bar.update(len(batch))


def decode_all(
    paths: list[str],
    size: tuple[int, int],
    channels: int,
    fit: str = "crop",
    *,
    cache: str = "auto",
    cache_root: Path | None = None,
    workers: int = 0,
    progress: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """(images ``uint8 (N, C, H, W)``, ``ok`` mask of the files that could be read). In memory
    when the images fit (with room for their float copy), else a ``np.memmap`` cache file
    under ``cache_root``, reused when the same files are decoded the same way again."""
    n = len(paths)
    shape = (n, channels, size[0], size[1])
    nbytes = int(np.prod(shape))
    if cache == "auto":  # the float32 tensors made from them take 4x more: 5x in all
        cache = "memory" if 5 * nbytes <= 0.5 * available_memory() else "disk"
    workers = _workers(workers, n)
    if cache == "memory":
        out, ok = np.zeros(shape, np.uint8), np.zeros(n, bool)
        _fill(out, ok, paths, size, channels, fit, workers, progress)
        return out, ok
    from ...io.download import cache_dir

    folder = Path(cache_root or cache_dir()) / "image-cache"
    folder.mkdir(parents=True, exist_ok=True)
    key = _cache_key(paths, size, channels, fit)
    data, meta = folder / f"{key}.u8", folder / f"{key}.json"
    if data.exists() and meta.exists():
        try:
            ok = np.asarray(json.loads(meta.read_text())["ok"], bool)
            if len(ok) == n and data.stat().st_size == nbytes:
                return np.memmap(data, np.uint8, "r", shape=shape), ok
        except (OSError, ValueError, KeyError):
            pass
    tmp = data.with_suffix(".part")
    out = np.memmap(tmp, np.uint8, "w+", shape=shape)
    ok = np.zeros(n, bool)
    try:
        _fill(out, ok, paths, size, channels, fit, workers, progress)
        out.flush()
        del out
        os.replace(tmp, data)  # only a complete cache is ever found by the next run
    finally:
        if tmp.exists():
            tmp.unlink()
    meta.write_text(json.dumps({"ok": ok.astype(int).tolist(), "shape": list(shape)}))
    return np.memmap(data, np.uint8, "r", shape=shape), ok


def warn_unreadable(paths: list[str], ok: np.ndarray) -> None:
    """One warning naming how many files were skipped, and the first few."""
    bad = [paths[i] for i in np.flatnonzero(~ok)]
    if bad:
        shown = ", ".join(Path(p).name for p in bad[:3]) + (", ..." if len(bad) > 3 else "")
        warnings.warn(
            t(
                "warn.data.image_decode.skipped_image_files",
                n_bad=len(bad),
                n_paths=len(paths),
                shown=shown,
            ),
            stacklevel=2,
        )
