"""The figure worker: a run's figures drawn by forked children (matplotlib imported there,
never in the training process) are the same files as drawn in process; a child that fails
or dies costs nothing but time; warnings come back to the parent, each once."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path
from types import SimpleNamespace

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
LINUX = sys.platform.startswith("linux")

HISTORY = [{"epoch": e, "train_loss": 1.0 / e, "val_loss": 1.2 / e + 0.01 * e,
            "val_accuracy": 0.5 + 0.01 * e} for e in range(1, 9)]
CM = [[5, 1, 0], [0, 6, 1], [2, 0, 4]]


def _bundle():
    """What ``forking.forkable`` reads of a bundle: the task, and where the rows live."""
    import torch

    return SimpleNamespace(schema=SimpleNamespace(task="multiclass"),
                           train=SimpleNamespace(inputs=(torch.zeros(4, 2),),
                                                 target=torch.zeros(4)))


@pytest.fixture
def one_thread(monkeypatch):
    """Forking is refused beside other threads: an idle one an earlier test (or xdist) left
    in this process holds no lock the figures need."""
    import threading

    if threading.active_count() > 1:
        monkeypatch.setattr("hakseup.evaluation.forking.threading.active_count", lambda: 1)


def _draw_all(figures, folder: Path) -> None:
    from hakseup.evaluation.curves import plot_confusion_normalized, plot_metric
    from hakseup.evaluation.plots import plot_confusion_matrix, plot_loss

    figures.draw(plot_loss, HISTORY, folder / "loss.png")
    figures.draw(plot_confusion_matrix, CM, ["a", "b", "c"], folder / "cm.png")
    figures.draw(plot_metric, HISTORY, "val_accuracy", folder / "metric.png")
    figures.draw(plot_confusion_normalized, CM, ["a", "b", "c"], folder / "cmn.png")
    figures.wait()


@pytest.mark.skipif(not LINUX, reason="the figure worker forks on Linux only")
def test_forked_figures_are_the_files_drawn_in_process(tmp_path, one_thread, new_children):
    from hakseup.evaluation.figure_worker import FigureWorker

    forked = FigureWorker(_bundle(), processes=2)
    assert forked.proc is not None
    _draw_all(forked, tmp_path / "forked")
    assert forked.proc is None and not new_children()
    here = FigureWorker()
    assert here.proc is None
    _draw_all(here, tmp_path / "here")
    names = sorted(p.name for p in (tmp_path / "here").iterdir())
    assert names == ["cm.png", "cmn.png", "loss.png", "metric.png"]
    for name in names:
        assert (tmp_path / "forked" / name).read_bytes() == (tmp_path / "here" / name).read_bytes()


@pytest.mark.skipif(not LINUX, reason="the figure worker forks on Linux only")
def test_a_dead_child_s_figures_are_drawn_in_process(tmp_path, one_thread, new_children):
    from hakseup.evaluation.figure_worker import FigureWorker
    from hakseup.evaluation.plots import plot_loss

    figures = FigureWorker(_bundle(), processes=1)
    figures.proc.kill()
    figures.proc.join()
    figures.draw(plot_loss, HISTORY, tmp_path / "loss.png")
    figures.wait()
    assert (tmp_path / "loss.png").stat().st_size > 1000
    assert not new_children()


def _sleep(seconds: float) -> None:
    import time

    time.sleep(seconds)


@pytest.mark.skipif(not LINUX, reason="the figure worker forks on Linux only")
def test_a_process_forked_later_does_not_keep_the_worker_waiting(tmp_path, one_thread,
                                                                  new_children):
    """A DataLoader worker forked after the figure worker holds a copy of the parent's end
    of its pipes, so closing them sends the child no EOF: the run once waited forever in
    ``close`` (CI's --loader dataloader test). The parent now says STOP, and waits for the
    child by polling, not on a sentinel the child had closed."""
    import multiprocessing
    import time

    from hakseup.evaluation.figure_worker import FigureWorker
    from hakseup.evaluation.plots import plot_loss

    figures = FigureWorker(_bundle(), processes=2)
    later = multiprocessing.get_context("fork").Process(target=_sleep, args=(60,), daemon=True)
    later.start()                                   # inherits the parent's pipe ends
    try:
        t0 = time.monotonic()
        figures.draw(plot_loss, HISTORY, tmp_path / "loss.png")
        figures.wait()
        assert (tmp_path / "loss.png").stat().st_size > 1000
        assert figures.proc is None and time.monotonic() - t0 < 15
        idle = FigureWorker(_bundle(), processes=1)  # nothing drawn: closed at once
        t0 = time.monotonic()
        idle.close()
        assert time.monotonic() - t0 < 5
    finally:
        later.kill()
        later.join()
    assert not new_children()


def failing_plot(path) -> None:
    raise ValueError(f"cannot draw {Path(path).name}")


def warning_plot(path) -> None:
    warnings.warn("a figure's warning")
    Path(path).write_text("drawn")


@pytest.mark.skipif(not LINUX, reason="the figure worker forks on Linux only")
def test_an_error_in_the_child_is_raised_by_the_parent_and_warnings_come_back_once(
        tmp_path, one_thread, new_children):
    from hakseup.evaluation.figure_worker import FigureWorker

    figures = FigureWorker(_bundle(), processes=2)
    figures.draw(failing_plot, tmp_path / "bad.png")
    with pytest.raises(ValueError, match="cannot draw bad.png"):   # drawn again here
        figures.wait()
    figures = FigureWorker(_bundle(), processes=2)
    for name in ("a", "b", "c"):
        figures.draw(warning_plot, tmp_path / name)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figures.wait()
    assert [str(w.message) for w in caught] == ["a figure's warning"]
    assert all((tmp_path / n).read_text() == "drawn" for n in ("a", "b", "c"))
    assert not new_children()


def test_no_fork_for_a_forecast_or_beside_another_thread(tmp_path):
    import threading

    from hakseup.evaluation.figure_worker import FigureWorker

    bundle = _bundle()
    bundle.schema.task = "forecast"
    assert FigureWorker(bundle).proc is None
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)
    other.start()
    try:
        assert FigureWorker(_bundle()).proc is None
    finally:
        stop.set()
        other.join()


@pytest.mark.skipif(not LINUX, reason="the figure worker forks on Linux only")
def test_a_default_run_draws_its_figures_without_importing_matplotlib(tmp_path):
    """The training process never imports matplotlib: its children draw every figure."""
    code = ("import sys\nfrom hakseup.cli.main import main\n"
            "assert main(['train', '--epochs', '2', '--no-progress', '--no-tensorboard', "
            "'--references', 'none', '--output', 'run']) == 0\n"
            "print('MPL', 'matplotlib' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                       text=True, timeout=300, env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin",
                                                   "OMP_NUM_THREADS": "1",
                                                   "HAKSEUP_CACHE": str(tmp_path / "cache")})
    assert r.returncode == 0, r.stderr[-2000:]
    assert "MPL False" in r.stdout, r.stdout[-2000:]
    plots = sorted(p.name for p in (tmp_path / "run" / "plots").iterdir())
    assert {"loss.png", "confusion_matrix.png", "metric.png",
            "confusion_matrix_normalized.png"} <= set(plots), plots
    html = (tmp_path / "run" / "report.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == len(plots)
