"""When a written file is fsynced: at once, or once when its run folder is finished.

Two different failures threaten a file being replaced. A killed process (SIGKILL, Ctrl-C, an
out-of-memory kill) loses nothing the kernel already holds: the page cache survives the
process, so writing to a temporary file and renaming it over the destination (``fileio``)
is all it takes for a kill to leave the old file or the new one, never half of one. Only a
crash of the machine itself (power, kernel) can lose data that was renamed into place but not
yet written to disk, and only an fsync protects against that.

A run rewrites its checkpoints, ``metrics.jsonl`` and TensorBoard files every epoch; an fsync
for each (two files and two folders per checkpoint) cost a default run about 15 waits for the
disk per epoch, longer than the epoch's training. So while a ``Run`` is live its folder is
*deferred*: writes under it are renamed into place without fsync, and when the run ends
(complete, failed or interrupted) ``end_deferred`` fsyncs every file and folder under it once,
before the final status is written, durably. After a machine crash mid-run, a checkpoint
torn by the crash fails its SHA-256 check and the previous one is used (``checkpoint.py``).
Every write outside a live run folder (predictions, exports, downloads) is fsynced at once.

Example:
    >>> import tempfile
    >>> root = tempfile.mkdtemp()
    >>> defer(root); needs_fsync(root + "/metrics.jsonl"), needs_fsync("/elsewhere/x.csv")
    (False, True)
    >>> end_deferred(root); needs_fsync(root + "/metrics.jsonl")
    True
"""

from __future__ import annotations

import os

__all__ = ["defer", "end_deferred", "needs_fsync", "sync_tree", "fsync_path"]

_deferred: list[str] = []      # absolute folders of the live runs (a stack: tune nests runs)


def defer(root: str | os.PathLike) -> None:
    """Writes under ``root`` skip their fsync until ``end_deferred(root)``."""
    _deferred.append(os.path.abspath(root))


def end_deferred(root: str | os.PathLike, sync: bool = True) -> None:
    """Stop deferring ``root``; with ``sync``, fsync everything under it first (an OSError of
    the disk propagates: the run must not be marked complete on data that may be lost)."""
    r = os.path.abspath(root)
    try:
        if sync and r in _deferred and os.path.isdir(r):
            sync_tree(r)
    finally:
        if r in _deferred:
            _deferred.remove(r)


def needs_fsync(path: str | os.PathLike) -> bool:
    """Whether a write to ``path`` must be fsynced now (it is under no live run folder)."""
    if not _deferred:
        return True
    p = os.path.abspath(path)
    return not any(p == r or p.startswith(r + os.sep) for r in _deferred)


def fsync_path(path: str | os.PathLike) -> None:
    """fsync a file or folder by name (a no-op where folders cannot be opened: Windows)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        if not os.path.isdir(path):  # a folder that cannot be fsynced is not an error
            raise
    finally:
        os.close(fd)


def sync_tree(root: str | os.PathLike) -> None:
    """fsync every regular file under ``root``, then each folder (deepest first), so that
    the contents and the renames that put them there are on disk."""
    for folder, _dirs, files in os.walk(root, topdown=False):
        for name in files:
            path = os.path.join(folder, name)
            if os.path.isfile(path) and not os.path.islink(path):
                try:
                    fsync_path(path)
                except FileNotFoundError:      # removed meanwhile (a stale temporary file)
                    pass
        fsync_path(folder)
