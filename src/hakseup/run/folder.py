"""Run folders: create one per run, record its status, list and load them.

Layout (see CLI.md)::

    runs/<timestamp>-<name>/
      run.json  config.yaml  environment.json  schema.json  preprocessing.json
      metrics.jsonl  metrics.json  checkpoints/{last,best}/  plots/*.png  tb/
      report.md  report.html

``run.json`` holds the status: ``running`` while training, ``complete`` once the report is
written, ``failed`` (with the one-line reason) or ``interrupted`` otherwise — so a folder is
never mistaken for a finished run. ``Run`` is the only writer of that status: every command that
makes a run folder (train, cv, tune, lr-find) goes through it.

Example:
    >>> import tempfile
    >>> root = tempfile.mkdtemp()
    >>> with Run(root, "demo", kind="train") as run:
    ...     run.started()
    ...     run.complete(accuracy=0.9)
    >>> read_status(run.path)["status"], [r["name"] == run.path.name for r in list_runs(root)]
    ('complete', [True])
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Literal

from ..errors import CheckpointError, Interrupted
from ..i18n import t
from ..io.files import atomic_write_json, defer_fsync, end_fsync

__all__ = [
    "Run",
    "new_run_dir",
    "read_status",
    "write_status",
    "list_runs",
    "load_run_config",
    "require_run",
    "with_keys_before",
]


def new_run_dir(root: str | os.PathLike, name: str, explicit: str | None = None) -> Path:
    """A fresh folder: ``explicit`` if given (it must not hold a run), else root/<stamp>-<name>."""
    if explicit:
        path = Path(explicit)
        if path.exists() and not path.is_dir():
            raise CheckpointError(t("error.run.folder.output_file_folder", path=path))
        if path.is_dir() and any(path.iterdir()):
            raise CheckpointError(t("error.run.folder.output_folder_already", path=path))
        _mkdir(path, exist_ok=True)
        return path
    root = Path(root)
    if root.exists() and not root.is_dir():
        raise CheckpointError(t("error.run.folder.output_root_file", root=root))
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:60]
    for i in range(1000):
        path = root / (f"{stamp}-{safe}" + (f"-{i + 1}" if i else ""))
        try:
            _mkdir(path)
            return path
        except FileExistsError:
            continue
    raise CheckpointError(t("error.run.folder.could_create_run", root=root))


def _mkdir(path: Path, exist_ok: bool = False) -> None:
    try:
        path.mkdir(parents=True, exist_ok=exist_ok)
    except FileExistsError:
        raise
    except OSError as e:
        raise CheckpointError(
            t("error.run.folder.cannot_create_run", path=path, value=e.strerror or e)
        ) from None


def read_status(run: str | os.PathLike) -> dict:
    p = Path(run) / "run.json"
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}


def write_status(run: str | os.PathLike, status: str, **fields: Any) -> dict:
    d = read_status(run)
    d.update(fields)
    d["status"] = status
    d["updated"] = datetime.now().isoformat(timespec="seconds")
    atomic_write_json(Path(run) / "run.json", d)
    return d


def require_run(run: str | os.PathLike) -> Path:
    """The run folder itself — an existing folder (not a file, a device or a link loop) that
    holds a config.yaml — or a clear error naming what is wrong."""
    import stat

    path = Path(run)
    try:
        mode = os.stat(path).st_mode
    except OSError as e:
        if path.is_symlink() and e.errno != 2:
            raise CheckpointError(t("error.run.folder.run_folder_symbolic", run=run)) from None
        raise CheckpointError(t("error.run.folder.run_folder_does", run=run)) from None
    if not stat.S_ISDIR(mode):
        raise CheckpointError(t("error.run.folder.file_run_folder", run=run))
    if not (path / "config.yaml").exists():
        raise CheckpointError(t("error.run.folder.hakseup_run_folder", run=run))
    return path


# Keys added after some runs were saved, with the value those runs were trained with (not
# today's default): a run saved without one is rebuilt, evaluated and resumed as it trained.
KEYS_BEFORE = {
    "data.transform": "none",
    "data.season_features": "none",
    "data.covariates": "none",
    "model.stem": "none",  # runs saved before the recurrent stem fed the flat patches
}
# Keys that one model alone reads: (that model, the value its runs trained with), filled in
# for its runs only — another model's old run takes today's default, as its new runs record,
# so `runs compare` shows no difference that changes nothing.
KEYS_BEFORE_FOR_MODEL = {
    "model.rocket_pooling": ("rocket", "ppv"),  # rocket before MultiRocket's pooling
}


def load_run_config(run: str | os.PathLike):
    """The resolved RunConfig a run was trained with."""
    from ..config import RunConfig
    from ..config.load import read_yaml

    path = require_run(run)
    return RunConfig.from_dict(with_keys_before(read_yaml(path / "config.yaml")))


def with_keys_before(saved: Any) -> Any:
    """A saved config.yaml's mapping with ``KEYS_BEFORE`` (and its model's
    ``KEYS_BEFORE_FOR_MODEL``) filled in where a section lacks them (changed in place and
    returned; anything else is returned as it is)."""
    if not isinstance(saved, dict):
        return saved
    section = saved.get("model")
    model = section.get("name") if isinstance(section, dict) else None
    keys = dict(KEYS_BEFORE)
    keys.update({k: v for k, (name, v) in KEYS_BEFORE_FOR_MODEL.items() if name == model})
    for dotted, value in keys.items():
        section, key = dotted.split(".")
        if isinstance(saved.get(section), dict):
            saved[section].setdefault(key, value)
    return saved


def list_runs(root: str | os.PathLike = "runs") -> list[dict]:
    """Every run folder under ``root`` with its status and main metric, newest first."""
    from ..errors import check_type

    check_type(root, (str, os.PathLike), "hakseup.list_runs", "root", "a folder's path")
    root = Path(root)
    if not root.is_dir():
        return []
    runs = []
    for d in root.iterdir():
        if d.is_dir() and (d / "run.json").is_file():
            s = read_status(d)
            s["path"] = str(d)
            s.setdefault("name", d.name)
            runs.append(s)
    return sorted(runs, key=lambda r: r.get("created", ""), reverse=True)


def now_iso() -> str:
    return datetime.now().isoformat(timespec="seconds")


class Run:
    """A run folder as a context manager: ``running`` → ``complete`` | ``failed`` (with the
    one-line reason) | ``interrupted``, with a lock against a second writer.

    ``started()`` marks the moment the run has something worth keeping (training began): a
    failure before it removes everything the start made, so a rejected run leaves nothing
    behind. Leaving the block normally marks the run complete.

    Args:
        root, name, explicit: where a new folder is made (``explicit``: ``--output``).
        resume: an existing run folder to continue instead.
        fields: written into ``run.json`` (kind, dataset, model, ...).
    """

    def __init__(
        self,
        root: str | os.PathLike = "runs",
        name: str = "run",
        explicit: str | None = None,
        *,
        resume: str | os.PathLike | None = None,
        **fields: Any,
    ):
        self.root, self.name, self.explicit = root, name, explicit
        self.resume, self.fields = resume, fields
        self._path: Path | None = None  # set by __enter__
        self._made: Path | None = None  # the outermost folder this run created
        self._lock: IO[str] | None = None
        self._began = resume is not None  # a resumed run always has something to keep
        self._done = False

    @property
    def path(self) -> Path:
        """The run folder (only inside the ``with`` block: it is made by ``__enter__``)."""
        if self._path is None:
            raise RuntimeError("Run.path is only known inside its `with` block")
        return self._path

    def __enter__(self) -> Run:
        if self.resume is not None:
            self._path = require_run(self.resume)
            self._take_lock()
            defer_fsync(self.path)  # fsynced once, when the run ends (io/files.py)
            write_status(self.path, "running", resumed=now_iso())
            return self
        self._made = _first_missing(Path(self.explicit) if self.explicit else Path(self.root))
        self._path = new_run_dir(self.root, self.name, self.explicit)
        if self._made is None:  # root existed: the new folder is ours
            self._made = self.path if not self.explicit else None
        try:
            self._take_lock()
            defer_fsync(self.path)
            write_status(
                self.path, "running", name=self.path.name, created=now_iso(), **self.fields
            )
        except BaseException:
            self._cleanup()
            raise
        return self

    def started(self) -> None:
        """From here on a failure keeps the folder, marked failed or interrupted."""
        self._began = True

    def complete(self, **fields: Any) -> None:
        # A SIGTERM that came while the run was scoring, its exception dropped by garbage
        # collection (errors.Interrupted), ends it as interrupted, not complete.
        Interrupted.check()
        end_fsync(self.path)  # everything on disk before the status says complete
        write_status(self.path, "complete", finished=now_iso(), **fields)
        self._done = True

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> Literal[False]:
        try:
            if exc is None:
                if not self._done:
                    self.complete()
                return False
            if not self._began:
                self._cleanup()
            elif isinstance(exc, KeyboardInterrupt):
                self._status("interrupted")
            else:
                self._status("failed", error=_one_line(exc))
        finally:
            end_fsync(self.path, sync=False)  # already synced, or nothing to keep
            self._release_lock()
        return False  # the exception goes on; the CLI turns a full disk into one line

    # ------------------------------------------------------------------ helpers

    def _status(self, status: str, **fields: Any) -> None:
        try:
            end_fsync(self.path)  # the checkpoints a resume will read, on disk
        except OSError:  # the disk's own error is the exception on its way
            pass
        try:
            write_status(self.path, status, **fields)
        except OSError:  # a full disk may refuse even this; the exception says why
            pass

    def _take_lock(self) -> None:
        import fcntl

        f = open(self.path / ".lock", "a+")
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            f.seek(0)
            owner = f.read().strip() or "?"
            f.close()
            raise CheckpointError(
                t("error.run.folder.run_being_written", path=self.path, owner=owner)
            ) from None
        f.seek(0)
        f.truncate()
        f.write(str(os.getpid()))
        f.flush()
        self._lock = f

    def _release_lock(self) -> None:
        if self._lock is not None:
            try:
                os.unlink(self.path / ".lock")
            except OSError:
                pass
            self._lock.close()
            self._lock = None

    def _cleanup(self) -> None:
        """Remove what a failed start made: the folders it created, or an explicit
        --output's contents (the folder itself existed before)."""
        if self._path is not None:
            end_fsync(self._path, sync=False)
        self._release_lock()
        if self._made is not None:
            shutil.rmtree(self._made, ignore_errors=True)
        elif self._path is not None and self._path.is_dir():
            for child in self._path.iterdir():
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child, ignore_errors=True)
                else:
                    child.unlink(missing_ok=True)


def _first_missing(path: Path) -> Path | None:
    """The outermost folder of ``path`` that does not exist yet (None if it all exists)."""
    missing = None
    for p in [path, *path.parents]:
        if p.exists():
            break
        missing = p
    return missing


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
