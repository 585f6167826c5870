"""fsync where crash-safety needs it: a live run folder's per-epoch files are renamed into
place without waiting for the disk, and the whole folder is fsynced once, before its final
status is written — but a checkpoint is never deleted before the one replacing it is on disk;
every other write is fsynced at once."""

from __future__ import annotations

import json
import os

import pytest

from conftest import crash_at, quick_config, quiet


class FsyncLog:
    """Which paths were fsynced, and when (os.fsync wrapped; the descriptor's path read
    from /proc)."""

    def __init__(self, monkeypatch):
        self.paths: list[str] = []
        real = os.fsync

        def fsync(fd):
            self.paths.append(os.readlink(f"/proc/self/fd/{fd}"))
            return real(fd)

        monkeypatch.setattr(os, "fsync", fsync)

    def written(self, path, since: int = 0) -> bool:
        """``path`` fsynced (by name, or as the temporary file renamed onto it)."""
        temp = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.")
        return any(p == str(path) or p.startswith(temp) for p in self.paths[since:])


pytestmark = pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")


def test_a_run_fsyncs_no_epoch_file_and_everything_once_at_the_end(tmp_path, monkeypatch):
    from hakseup.experiment import train
    from hakseup.training.callbacks import Callback

    log = FsyncLog(monkeypatch)
    during: list[int] = []

    class Count(Callback):
        def on_epoch_end(self, trainer, logs):
            during.append(len(log.paths))

    run = tmp_path / "run"
    train(quick_config(run, epochs=3, tensorboard=True), echo=quiet, callbacks=[Count()])
    # During the epochs only checkpoints about to become the fallback copy (and the folder
    # that holds them) are fsynced: never metrics.jsonl, TensorBoard or the report.
    checkpoints = str(run / "checkpoints")
    assert all(p.startswith(checkpoints) for p in log.paths[:during[-1]]), log.paths
    synced = set(log.paths[during[-1]:])
    files = [p for p in run.rglob("*") if p.is_file()]
    assert {"model.safetensors", "state.json", "metrics.jsonl", "report.md"} <= \
        {p.name for p in files}
    missing = [str(p) for p in files if str(p) not in synced]
    assert not missing, missing                        # every file, before the last status
    assert {str(run), str(run / "checkpoints" / "last")} <= synced   # and the renames
    # Then the final status, durably: its temporary file, then the folder of the rename.
    assert log.paths[-1] == str(run) and "/.run.json." in log.paths[-2]
    assert json.loads((run / "run.json").read_text())["status"] == "complete"


def _deletions(monkeypatch, log):
    """(folder deleted, the paths fsynced by then) for each shutil.rmtree in fileio."""
    import shutil

    from hakseup.io import files as fileio

    deleted: list[tuple[str, list[str]]] = []
    real_rmtree = shutil.rmtree

    def rmtree(path, *args, **kwargs):
        deleted.append((str(path), list(log.paths)))
        return real_rmtree(path, *args, **kwargs)

    monkeypatch.setattr(fileio.shutil, "rmtree", rmtree)
    return deleted


def _on_disk(folder, synced) -> bool:
    return {str(folder / name) for name in ("model.safetensors", "state.safetensors",
                                            "state.json")} | {str(folder)} <= set(synced)


@pytest.mark.parametrize("every", [0.0, 30.0])
def test_a_checkpoint_on_disk_is_deleted_only_once_a_newer_one_is(tmp_path, monkeypatch,
                                                                   every):
    """A machine crash mid-run must leave a checkpoint on disk: ``last.prev`` is deleted only
    after ``last`` (which takes its place) was fsynced, files and folders; between two such
    rotations (``DURABLE_EVERY_S``) only the never-fsynced ``last`` is replaced."""
    from hakseup.io import files as fileio
    from hakseup.experiment import train

    monkeypatch.setattr(fileio, "DURABLE_EVERY_S", every)
    log = FsyncLog(monkeypatch)
    deleted = _deletions(monkeypatch, log)
    run = tmp_path / "run"
    train(quick_config(run, epochs=5), echo=quiet)
    last = run / "checkpoints" / "last"
    prevs = [synced for path, synced in deleted if path == str(last) + ".prev"]
    replaced = [path for path, _ in deleted if "/.last.old-" in path]
    for synced in prevs:     # the copy that becomes the fallback was on disk first
        assert _on_disk(last, synced) and str(run / "checkpoints") in synced
    if every == 0:           # a rotation at every save from the third on
        assert len(prevs) == 3 and not replaced
    else:                    # one rotation (the second save), then only `last` replaced
        assert not prevs and len(replaced) == 3
        fsynced = [p for p in log.paths if p.startswith(f"{last}/") and "safetensors" in p]
        assert len(fsynced) == 4          # the second save's two files, then the run's end
    assert json.loads((run / "run.json").read_text())["status"] == "complete"


def test_an_interrupted_run_is_synced_before_it_says_so(tmp_path, monkeypatch):
    from hakseup.experiment.experiment import train

    log = FsyncLog(monkeypatch)
    run = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        train(quick_config(run), echo=quiet, callbacks=[crash_at(epoch=2)])
    assert str(run / "checkpoints" / "last" / "model.safetensors") in log.paths
    assert json.loads((run / "run.json").read_text())["status"] == "interrupted"


def test_writes_outside_a_live_run_are_fsynced_at_once(tmp_path, monkeypatch):
    from hakseup.io.files import atomic_write_text, defer_fsync, end_fsync

    log = FsyncLog(monkeypatch)
    atomic_write_text(tmp_path / "predictions.csv", "a\n1\n")
    assert log.written(tmp_path / "predictions.csv") and str(tmp_path) in log.paths
    defer_fsync(tmp_path / "run")
    try:
        n = len(log.paths)
        atomic_write_text(tmp_path / "run" / "metrics.jsonl", "{}\n")
        atomic_write_text(tmp_path / "run-other.csv", "b\n")   # a sibling, not inside
        assert not log.written(tmp_path / "run" / "metrics.jsonl", n)
        assert log.written(tmp_path / "run-other.csv", n)
        n = len(log.paths)
    finally:
        end_fsync(tmp_path / "run")
    assert str(tmp_path / "run" / "metrics.jsonl") in log.paths[n:]
