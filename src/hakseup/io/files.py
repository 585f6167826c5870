"""Crash-safe file writing: every file a run writes goes through here.

A file is written to a temporary file in the same folder, flushed and renamed over its
destination (``os.replace``), so a kill or a full disk leaves either the old file or the new
one, never half of one: the page cache survives a killed process. Only a crash of the machine
itself (power, kernel) can lose what was renamed into place but not yet written to disk, and
only an fsync protects against that. A write outside a run is fsynced at once. A live run
(``runs.Run``) rewrites its checkpoints, ``metrics.jsonl`` and TensorBoard files every epoch;
it registers its folder (``defer_fsync``) and fsyncs everything under it once, when it ends
(``end_fsync``), before its final status is written. The one exception: a checkpoint on disk
is deleted only once a newer one is (``replace_dir``, at most every ``DURABLE_EVERY_S``).

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
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..i18n import t, term

__all__ = [
    "atomic_write",
    "atomic_write_text",
    "atomic_write_json",
    "fsync_dir",
    "replace_dir",
    "defer_fsync",
    "end_fsync",
    "sync_tree",
    "make_durable",
    "check_input_file",
    "check_output_file",
    "read_head",
    "remove_stale_temps",
]

_live_runs: list[str] = []  # absolute folders of the live runs (a stack: tune nests runs)


def defer_fsync(root: str | os.PathLike) -> None:
    """Writes under ``root`` (a live run folder) skip their fsync until ``end_fsync``."""
    _live_runs.append(os.path.abspath(root))


def end_fsync(root: str | os.PathLike, sync: bool = True) -> None:
    """Stop deferring ``root``; with ``sync``, fsync everything under it first (an OSError of
    the disk propagates: the run must not be marked complete on data that may be lost)."""
    r = os.path.abspath(root)
    try:
        if sync and r in _live_runs and os.path.isdir(r):
            sync_tree(r)
    finally:
        if r in _live_runs:
            _live_runs.remove(r)
        for done in [k for k in _made_durable if k.startswith(r + os.sep)]:
            del _made_durable[done]


def _deferred(path: str | os.PathLike) -> bool:
    """Whether ``path`` lies in a live run folder (its fsync waits for the run's end)."""
    p = os.path.abspath(path)
    return any(p == r or p.startswith(r + os.sep) for r in _live_runs)


def _fsync(path: str | os.PathLike) -> None:
    """fsync a file or folder by name (a folder that cannot be opened or fsynced: Windows,
    some file systems, is skipped; a file's error propagates)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        if os.path.isdir(path):
            return
        raise
    try:
        os.fsync(fd)
    except OSError:
        if not os.path.isdir(path):
            raise
    finally:
        os.close(fd)


def sync_tree(root: str | os.PathLike[str]) -> None:
    """fsync every regular file under ``root``, then each folder (deepest first), so that
    the contents and the renames that put them there are on disk."""
    for folder, _dirs, files in os.walk(root, topdown=False):
        for name in files:
            path = os.path.join(folder, name)
            if os.path.isfile(path) and not os.path.islink(path):
                try:
                    _fsync(path)
                except FileNotFoundError:  # removed meanwhile (a stale temporary file)
                    pass
        _fsync(folder)


def make_durable(root: str | os.PathLike[str]) -> None:
    """``sync_tree(root)``, except inside a live run (synced once, when it ends)."""
    if not _deferred(root):
        sync_tree(root)


def fsync_dir(path: str | os.PathLike) -> None:
    """Make a rename inside ``path`` durable (not inside a live run: done when it ends)."""
    if not _deferred(path):
        _fsync(path)


def atomic_write(path: str | os.PathLike, write: Callable[[Any], None], mode: str = "wb") -> Path:
    """Call ``write(fileobj)`` on a temp file beside ``path``, fsync it, then rename it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(path)
    # The writer's pid in the name: a later write can tell a killed writer's leftover from
    # a live one's file in progress.
    fd, tmp = tempfile.mkstemp(
        prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent
    )
    try:
        with os.fdopen(fd, mode, encoding=None if "b" in mode else "utf-8") as f:
            write(f)
            f.flush()
            if not _deferred(path):
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


def remove_stale_temps(path: str | os.PathLike) -> int:
    """Remove the temporary files that writers of ``path`` killed mid-write left beside it
    (``.<name>.<pid>.<random>.tmp`` whose process is gone, see ``atomic_write``); how many.
    A kill -9 gives no chance to clean up, so the next write of the same file does."""
    path = Path(path)
    removed = 0
    try:
        found = list(path.parent.glob(f".{glob_escape(path.name)}.*.tmp"))
    except OSError:
        return 0
    for stale in found:
        pid = stale.name[len(path.name) + 2 :].split(".", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            try:
                stale.unlink()
                removed += 1
            except OSError:  # another writer removed it, or a read-only folder
                pass
    return removed


def glob_escape(name: str) -> str:
    """``name`` with glob's special characters ([, ], *, ?) matched literally."""
    import glob

    return glob.escape(name)


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this machine (ours or another user's)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: alive, owned by someone else
        return True
    return True


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    return atomic_write(path, lambda f: f.write(text), mode="w")


def atomic_write_json(path: str | os.PathLike, obj: Any) -> Path:
    return atomic_write_text(path, json.dumps(obj, indent=2, default=_json_default) + "\n")


DURABLE_EVERY_S = 30.0  # inside a live run, how old the durable fallback copy may grow
_made_durable: dict[str, float] = {}  # a live run's ``<name>.prev`` → when it was fsynced


def replace_dir(tmp_dir: Path, final_dir: Path) -> None:
    """Swap a fully written folder (a checkpoint) into place so that a complete copy exists
    at every moment; the previous one survives as ``<name>.prev``.

    Outside a live run, ``tmp_dir`` is on disk already (``make_durable``). Inside one nothing
    is fsynced before the run ends, so a machine crash could lose every copy written since;
    the rule kept here: a copy that is on disk is deleted only after a newer one is. The
    newest copy becomes the durable ``<name>.prev`` (fsynced, files and folders, before the
    old ``<name>.prev`` goes) when there is none yet, or when it is older than
    ``DURABLE_EVERY_S``; in between, only ``final_dir``, never fsynced, is replaced. A crash
    thus costs at most that much training: the newest copy is whole, or its checksums fail
    and ``<name>.prev`` is loaded (``checkpoint.load_checkpoint``) — one fsync batch per
    30 s instead of one per epoch (~260 fsyncs, 1-2 s, in a default run).
    """
    prev = final_dir.with_name(final_dir.name + ".prev")
    live = _deferred(final_dir)
    if live and final_dir.exists():
        since = _made_durable.get(str(prev))
        if since is not None and prev.exists() and time.monotonic() - since < DURABLE_EVERY_S:
            trash = final_dir.with_name(f".{final_dir.name}.old-{os.getpid()}")
            os.replace(final_dir, trash)  # not on disk: nothing durable is lost
            os.replace(tmp_dir, final_dir)
            shutil.rmtree(trash)
            return
        sync_tree(final_dir)  # on disk before the old copy goes
        _fsync(final_dir.parent)
        _made_durable[str(prev)] = time.monotonic()
    if prev.exists():
        shutil.rmtree(prev)
    if final_dir.exists():
        os.replace(final_dir, prev)
    os.replace(tmp_dir, final_dir)
    if live and str(prev) in _made_durable:
        _fsync(final_dir.parent)  # the durable copy's new name, too
    else:
        fsync_dir(final_dir.parent)


# (test, catalog key of the words for it)
_KINDS = [
    (stat.S_ISFIFO, "words.fifo"),
    (stat.S_ISCHR, "words.char_device"),
    (stat.S_ISBLK, "words.block_device"),
    (stat.S_ISSOCK, "words.socket"),
]


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
            raise error(t("error.not_regular", what=term("what", what), path=path, kind=t(kind)))
    if not os.access(path, os.R_OK):
        raise error(t("error.not_readable", what=term("what", what), path=path))
    return path


def _path_problem(path: Path, what: str, e: OSError) -> str:
    what = term("what", what)
    if e.errno == errno.ENOENT:
        if path.is_symlink():
            return t("error.dangling_link", what=what, path=path, to=os.readlink(path))
        return t("error.path_not_found", what=what, path=path)
    keys = {
        errno.ELOOP: "error.link_loop",
        errno.ENOTDIR: "error.not_a_folder_above",
        errno.EACCES: "error.unreachable",
    }
    key = keys.get(e.errno) if e.errno is not None else None
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


def check_output_file(
    path: str | os.PathLike,
    flag: str,
    error: type = OSError,
    not_same_as: str | os.PathLike | None = None,
) -> Path:
    """``path`` if a file can be written there (its folder exists or can be made, and is
    writable); refuse a folder, a path through a file, and the input file itself."""
    path = Path(path)
    if path.is_dir():
        raise error(
            t(
                "error.io.files.folder_file_name",
                flag=flag,
                path=path,
                value=path / "predictions.csv",
            )
        )
    if not_same_as is not None and _same_file(path, Path(not_same_as)):
        raise error(t("error.io.files.input_file_itself", flag=flag, path=path))
    parent = path.absolute().parent
    while not parent.exists() and parent != parent.parent:  # folders made later, on writing
        parent = parent.parent
    try:
        if not parent.is_dir():
            raise OSError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(parent))
        fd, probe = tempfile.mkstemp(
            prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=parent
        )
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        from ..errors import describe_os_error

        raise error(
            t(
                "error.io.files.cannot_be_written",
                flag=flag,
                path=path,
                reason=describe_os_error(e) or e.strerror,
            )
        ) from None
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
