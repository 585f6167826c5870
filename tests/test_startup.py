"""Fast start: a command imports what it needs when it needs it; a run leaves no process
behind and no copy of its lock."""

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


def small_table(path: Path) -> Path:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    x = rng.normal(size=(240, 3))
    label = np.where(x[:, 0] + 0.5 * x[:, 1] > 0.3, "a", np.where(x[:, 2] > 0, "b", "c"))
    pd.DataFrame({"x0": x[:, 0], "x1": x[:, 1], "x2": x[:, 2], "kind": rng.choice(
        ["p", "q"], 240), "label": label}).to_csv(path, index=False)
    return path


def test_references_off_fit_nothing(monkeypatch):
    import hakseup.evaluation.references as references
    from hakseup.config import RunConfig
    from hakseup.evaluation.references_cache import PendingReferences
    from hakseup.experiment import Experiment

    cfg = RunConfig.from_dict({"train": {"epochs": 1, "progress": False},
                               "evaluation": {"references": "none"}})
    exp = Experiment(cfg).setup()
    monkeypatch.setattr(references, "fit_reference_numbers", None)   # never called
    assert PendingReferences(exp.bundle_, "none").result() == ({}, [])


def test_a_run_starts_no_process(tmp_path, new_children):
    """Figures and references are drawn and fitted in the run's own process."""
    from conftest import quick_config, quiet
    from hakseup.experiment import train
    from hakseup.training.callbacks import Callback

    seen = []

    class Children(Callback):
        def on_epoch_end(self, trainer, logs):
            seen.append(len(new_children()))

    train(quick_config(tmp_path / "run", epochs=2), echo=quiet, callbacks=[Children()])
    assert seen == [0, 0] and not new_children()
    assert (tmp_path / "run" / "plots" / "loss.png").stat().st_size > 1000


def test_an_interrupted_run_leaves_no_process(tmp_path, new_children):
    from conftest import crash_at, quick_config, quiet
    from hakseup.experiment.experiment import train

    with pytest.raises(KeyboardInterrupt):
        train(quick_config(tmp_path / "run"), echo=quiet, callbacks=[crash_at(epoch=1)])
    assert not new_children()
    assert json.loads((tmp_path / "run" / "run.json").read_text())["status"] == "interrupted"


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
