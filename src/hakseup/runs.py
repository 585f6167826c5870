"""Run folders: create one per run, record its status, list and load them.

Layout (see CLI.md)::

    runs/<timestamp>-<name>/
      run.json  config.yaml  environment.json  schema.json  preprocessing.json
      metrics.jsonl  metrics.json  checkpoints/{last,best}/  plots/*.png  tb/
      report.md  report.html

``run.json`` holds the status: ``running`` while training, ``complete`` once the report is
written, ``failed`` or ``interrupted`` otherwise — so a folder is never mistaken for a finished
run.

Example:
    >>> [r["name"] for r in list_runs("runs")]           # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from .errors import CheckpointError
from .fileio import atomic_write_json

__all__ = ["new_run_dir", "read_status", "write_status", "list_runs", "load_run_config",
           "require_run"]


def new_run_dir(root: str | os.PathLike, name: str, explicit: str | None = None) -> Path:
    """A fresh folder: ``explicit`` if given (it must not hold a run), else root/<stamp>-<name>."""
    if explicit:
        path = Path(explicit)
        if path.exists() and any(path.iterdir()):
            raise CheckpointError(f"Output folder '{path}' already exists and is not empty. "
                                  f"Choose another --output, remove it, or continue it with "
                                  f"--resume {path}.")
        path.mkdir(parents=True, exist_ok=True)
        return path
    root = Path(root)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:60]
    for i in range(1000):
        path = root / (f"{stamp}-{safe}" + (f"-{i + 1}" if i else ""))
        try:
            path.mkdir(parents=True)
            return path
        except FileExistsError:
            continue
    raise CheckpointError(f"Could not create a run folder under '{root}'.")


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
    """The run folder, or a clear error naming what is missing."""
    path = Path(run)
    if not path.is_dir():
        raise CheckpointError(f"Run folder '{run}' does not exist. List runs with "
                              f"`hakseup runs`, or pass the folder a run printed when it ended.")
    if not (path / "config.yaml").is_file():
        raise CheckpointError(f"'{run}' is not a hakseup run folder (no config.yaml). Expected "
                              f"a folder made by `hakseup train`, e.g. runs/<timestamp>-<name>.")
    return path


def load_run_config(run: str | os.PathLike):
    """The resolved RunConfig a run was trained with."""
    from .config import RunConfig, read_yaml

    path = require_run(run)
    return RunConfig.from_dict(read_yaml(path / "config.yaml"))


def list_runs(root: str | os.PathLike = "runs") -> list[dict]:
    """Every run folder under ``root`` with its status and main metric, newest first."""
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

