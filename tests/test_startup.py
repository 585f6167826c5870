"""Fast start: a command imports what it needs when it needs it, and the default run's
references are fitted beside training (a forked worker) with the same numbers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
HEAVY = ("torch", "matplotlib", "tensorboard", "optuna", "statsmodels", "sklearn", "pandas",
         "pyarrow", "mlflow", "scipy")


def imported_after(code: str, cwd: Path) -> list[str]:
    """The heavy packages in sys.modules after running ``code`` in a fresh interpreter."""
    probe = (f"import sys\n{code}\nprint('HEAVY=' + ','.join(sorted(m for m in {HEAVY!r} "
             f"if m in sys.modules)))")
    r = subprocess.run([sys.executable, "-c", probe], cwd=cwd, capture_output=True, text=True,
                       timeout=300, env={"PYTHONPATH": str(SRC), "OMP_NUM_THREADS": "1",
                                         "PATH": "/usr/bin:/bin", "MPLBACKEND": "Agg"})
    line = [ln for ln in r.stdout.splitlines() if ln.startswith("HEAVY=")]
    assert line, r.stderr[-2000:]
    return [m for m in line[0][6:].split(",") if m]


def test_help_imports_no_heavy_package(tmp_path):
    code = ("from hakseup.cli.main import main\nfor argv in (['--help'], ['train', '--help'], "
            "['tune', '--help'], ['cv', '--help']):\n    try:\n        main(argv)\n"
            "    except SystemExit:\n        pass")
    assert imported_after(code, tmp_path) == []


@pytest.mark.slow   # a whole run in a fresh interpreter
def test_default_train_imports_only_what_it_uses(tmp_path):
    code = ("from hakseup.cli.main import main\nassert main(['train', '--epochs', '1', "
            "'--no-progress', '--references', 'none']) == 0")
    loaded = imported_after(code, tmp_path)
    assert {"torch", "sklearn", "tensorboard"} <= set(loaded)
    assert not {"optuna", "statsmodels", "mlflow"} & set(loaded), loaded
    # The figures are drawn by forked children (evaluation/figure_worker.py, Linux): matplotlib
    # is imported there, beside the training, not in it.
    assert ("matplotlib" in loaded) != sys.platform.startswith("linux"), loaded


def small_table(path: Path) -> Path:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    x = rng.normal(size=(240, 3))
    label = np.where(x[:, 0] + 0.5 * x[:, 1] > 0.3, "a", np.where(x[:, 2] > 0, "b", "c"))
    pd.DataFrame({"x0": x[:, 0], "x1": x[:, 1], "x2": x[:, 2], "kind": rng.choice(
        ["p", "q"], 240), "label": label}).to_csv(path, index=False)
    return path


def test_forked_references_equal_in_process_ones(tmp_path, monkeypatch, new_children):
    import threading

    from hakseup.config import RunConfig
    from hakseup.evaluation.references import fit_references
    from hakseup.evaluation.references_worker import PendingReferences
    from hakseup.experiment.experiment import Experiment

    cfg = RunConfig.from_dict({"data": {"path": str(small_table(tmp_path / "t.csv")),
                                        "target": "label"},
                               "train": {"epochs": 1, "progress": False}})
    exp = Experiment(cfg).setup()
    if threading.active_count() > 1:   # an idle thread an earlier test left in this worker
        monkeypatch.setattr("hakseup.evaluation.forking.threading.active_count",
                            lambda: 1)
    pending = PendingReferences(exp.bundle_, "all", seed=3)
    if sys.platform.startswith("linux"):
        assert pending.proc is not None            # forked: fitted beside the parent
    forked = pending.result()
    assert pending.proc is None and not new_children()
    assert json.dumps(forked, sort_keys=True) == \
        json.dumps(fit_references(exp.bundle_, "all", 3), sort_keys=True)
    assert set(forked[0]) == {"majority", "logistic", "hgb"}


def test_references_off_start_no_worker():
    from hakseup.config import RunConfig
    from hakseup.evaluation.references_worker import PendingReferences
    from hakseup.experiment.experiment import Experiment

    cfg = RunConfig.from_dict({"train": {"epochs": 1, "progress": False},
                               "evaluation": {"references": "none"}})
    exp = Experiment(cfg).setup()
    pending = PendingReferences(exp.bundle_, "none")
    assert pending.proc is None and pending.result() == ({}, [])


def test_an_interrupted_run_leaves_no_reference_worker(tmp_path, new_children):
    from conftest import crash_at, quick_config, quiet
    from hakseup.experiment.experiment import train

    with pytest.raises(KeyboardInterrupt):
        train(quick_config(tmp_path / "run"), echo=quiet, callbacks=[crash_at(epoch=1)])
    assert not new_children()
    assert json.loads((tmp_path / "run" / "run.json").read_text())["status"] == "interrupted"


def test_the_worker_keeps_no_copy_of_the_run_lock(tmp_path, monkeypatch, new_children):
    """A forked copy of the lock's descriptor would keep a SIGKILLed run locked."""
    import os
    import threading
    import time

    from hakseup.config import RunConfig
    from hakseup.evaluation.references_worker import PendingReferences
    from hakseup.experiment.experiment import Experiment
    from hakseup.run.folder import Run

    if not sys.platform.startswith("linux"):
        pytest.skip("the worker is forked on Linux only")
    exp = Experiment(RunConfig.from_dict({"train": {"epochs": 1, "progress": False}})).setup()
    if threading.active_count() > 1:   # an idle thread an earlier test left in this worker
        monkeypatch.setattr("hakseup.evaluation.forking.threading.active_count",
                            lambda: 1)
    with Run(tmp_path, "x", kind="train") as run:
        pending = PendingReferences(exp.bundle_, "all")   # digits: ~2 s of fitting
        assert pending.proc is not None
        fds = Path(f"/proc/{pending.proc.pid}/fd")
        deadline = time.time() + 10
        while time.time() < deadline:      # until the child has closed what it inherited
            links = {os.readlink(p) for p in fds.iterdir()}
            if not any(str(run.path) in ln for ln in links):
                break
            time.sleep(0.02)
        assert not any(ln.endswith(".lock") for ln in links), links
        assert pending.proc.is_alive(), "the worker ended before it could be checked"
        pending.close()
    assert not new_children()


def _process(code: str, tmp_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300, env={"PYTHONPATH": str(SRC),
                                                      "PATH": "/usr/bin:/bin"})


def test_the_process_ends_quickly_with_its_status_output_and_exit_handlers(tmp_path):
    """``run`` skips the interpreter's teardown, not the atexit handlers nor the output."""
    ok = _process("import atexit\nfrom hakseup.cli.main import run\n"
                  "atexit.register(lambda: print('handler ran'))\nrun(['datasets'])", tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "digits" in ok.stdout and ok.stdout.rstrip().endswith("handler ran")
    bad = _process("from hakseup.cli.main import run\nrun(['train', '--bogus'])", tmp_path)
    assert bad.returncode == 2 and bad.stderr.startswith("hakseup: error:")


def test_a_thread_still_running_is_waited_for_as_in_a_normal_exit(tmp_path):
    r = _process("import threading, time\nimport hakseup.cli.main as m\n"
                 "done, real = threading.Event(), m.main\n"
                 "m.main = lambda argv: (real(argv), done.set())[0]\n"
                 "threading.Thread(target=lambda: (done.wait(), time.sleep(0.2), "
                 "print('thread done'))).start()\nm.run(['datasets'])", tmp_path)
    assert r.returncode == 0 and r.stdout.rstrip().endswith("thread done"), r.stderr


def test_the_collector_is_off_while_the_libraries_load_and_on_for_training(tmp_path):
    """``train``'s start-up runs without the cyclic collector; at the start of training what
    is alive is frozen out of it and it is on; the command leaves it as it found it."""
    import gc

    from conftest import quick_config, quiet
    from hakseup.experiment.experiment import train
    from hakseup.startup_gc import collect_after_startup, quiet_start
    from hakseup.training.callbacks import Callback

    seen = []

    class Probe(Callback):
        order = 2000             # after collect_after_startup's

        def on_fit_begin(self, trainer):
            seen.append(("fit", gc.isenabled(), gc.get_freeze_count()))

        def on_epoch_end(self, trainer, logs):
            seen.append(("epoch", gc.isenabled(), gc.get_freeze_count()))

    @quiet_start
    def command():
        seen.append(("start", gc.isenabled(), gc.get_freeze_count()))
        return train(quick_config(tmp_path / "run", epochs=2), echo=quiet,
                     callbacks=[collect_after_startup(), Probe()])

    assert gc.isenabled()
    command()
    assert seen[0] == ("start", False, 0)
    assert [s[:2] for s in seen[1:]] == [("fit", True), ("epoch", True), ("epoch", True)]
    assert seen[1][2] > 100_000          # torch, scikit-learn, ... frozen, never walked again
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_a_failing_command_leaves_the_collector_as_it_was():
    import gc

    from hakseup.startup_gc import quiet_start

    @quiet_start
    def failing():
        gc.freeze()
        raise ValueError("user error")

    with pytest.raises(ValueError):
        failing()
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.disable()
    try:
        with pytest.raises(ValueError):
            failing()
        assert not gc.isenabled()        # it was off before: it stays off
    finally:
        gc.enable()
