"""Crash-safe file writing: every file a run writes goes through here.

A file is written to a temporary file in the same folder, flushed, fsynced and renamed over
its destination, so a kill or a full disk leaves either the old file or the new one, never half
of one. Inside a live run folder the fsync waits for the run's end (``durability``): the
rename alone is what protects against a kill.

Example:
    >>> atomic_write_text(path, "hello\\n")          # doctest: +SKIP
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .durable import needs_fsync
from ..i18n import t, term

__all__ = ["atomic_write", "atomic_write_text", "atomic_write_json", "fsync_dir",
           "replace_dir", "check_input_file", "check_output_file", "read_head"]


def fsync_dir(path: str | os.PathLike) -> None:
    """Make a rename inside ``path`` durable (no-op where directories cannot be opened, and
    inside a live run folder, which is synced once when the run ends)."""
    if not needs_fsync(path):
        return
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # e.g. Windows
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: str | os.PathLike, write: Callable[[Any], None], mode: str = "wb") -> Path:
    """Call ``write(fileobj)`` on a temp file beside ``path``, fsync it, then rename it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as f:
            write(f)
            f.flush()
            if needs_fsync(path):
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    fsync_dir(path.parent)
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    return atomic_write(path, lambda f: f.write(text), mode="w")


def atomic_write_json(path: str | os.PathLike, obj: Any) -> Path:
    return atomic_write_text(path, json.dumps(obj, indent=2, default=_json_default) + "\n")


def replace_dir(tmp_dir: Path, final_dir: Path) -> None:
    """Swap a fully written folder into place; the previous one survives as ``<name>.prev``
    until the new one is in place, so some complete copy always exists."""
    prev = final_dir.with_name(final_dir.name + ".prev")
    if prev.exists():
        shutil.rmtree(prev)
    if final_dir.exists():
        os.replace(final_dir, prev)
    os.replace(tmp_dir, final_dir)
    fsync_dir(final_dir.parent)


# (test, catalog key of the words for it)
_KINDS = [(stat.S_ISFIFO, "words.fifo"), (stat.S_ISCHR, "words.char_device"),
          (stat.S_ISBLK, "words.block_device"), (stat.S_ISSOCK, "words.socket")]


def check_input_file(path: str | os.PathLike, what: str, error: type = OSError) -> Path:
    """``path`` if it is a regular file this process may read; else ``error`` with one line.

    Checked with ``stat`` before anything opens it: opening a FIFO blocks until a writer
    appears, and /dev/zero never ends, so a non-regular file is refused, never read.
    """
    path = Path(path)
    try:
        st = os.stat(path)
    except OSError as e:
        raise error(_path_problem(path, what, e)) from None
    if stat.S_ISDIR(st.st_mode):
        raise error(t("error.path_is_folder", what=term("what", what), path=path))
    for test, kind in _KINDS:
        if test(st.st_mode):
            raise error(t("error.not_regular", what=term("what", what), path=path,
                          kind=t(kind)))
    if not os.access(path, os.R_OK):
        raise error(t("error.not_readable", what=term("what", what), path=path))
    return path


def _path_problem(path: Path, what: str, e: OSError) -> str:
    what = term("what", what)
    if e.errno == errno.ENOENT:
        if path.is_symlink():
            return t("error.dangling_link", what=what, path=path, to=os.readlink(path))
        return t("error.path_not_found", what=what, path=path)
    key = {errno.ELOOP: "error.link_loop", errno.ENOTDIR: "error.not_a_folder_above",
           errno.EACCES: "error.unreachable"}.get(e.errno)
    if key:
        return t(key, what=what, path=path)
    return t("error.unreadable", what=what, path=path, reason=e.strerror)


def read_head(path: Path, n: int, what: str, error: type = OSError) -> bytes:
    """The first ``n`` bytes of a checked regular file; read errors become ``error``."""
    try:
        with open(path, "rb") as f:
            return f.read(n)
    except OSError as e:
        raise error(_path_problem(path, what, e)) from None


def check_output_file(path: str | os.PathLike, flag: str, error: type = OSError,
                      not_same_as: str | os.PathLike | None = None) -> Path:
    """``path`` if a file can be written there (its folder exists or can be made, and is
    writable); refuse a folder, a path through a file, and the input file itself."""
    path = Path(path)
    if path.is_dir():
        raise error(t("error.fileio.folder_file_name", flag=flag, path=path,
                      value=path / 'predictions.csv'))
    if not_same_as is not None and _same_file(path, Path(not_same_as)):
        raise error(t("error.fileio.input_file_itself", flag=flag, path=path))
    parent = path.absolute().parent
    while not parent.exists() and parent != parent.parent:  # folders made later, on writing
        parent = parent.parent
    try:
        if not parent.is_dir():
            raise OSError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(parent))
        fd, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        from ..errors import describe_os_error

        raise error(t("error.fileio.cannot_be_written", flag=flag, path=path,
                      reason=describe_os_error(e) or e.strerror)) from None
    return path


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "item"):  # NumPy / torch scalars
        return obj.item()
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")
