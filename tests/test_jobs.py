"""A run's figures and references (``evaluation.jobs.Jobs``): in process, or on one process
pool that ends with the run — the same files and numbers either way, no process left behind,
an error in a job raised by the run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

HISTORY = [{"epoch": e, "train_loss": 1.0 / e, "val_loss": 1.2 / e + 0.01 * e,
            "val_accuracy": 0.5 + 0.01 * e} for e in range(1, 9)]
CM = [[5, 1, 0], [0, 6, 1], [2, 0, 4]]


def _draw_all(figures, folder: Path) -> None:
    from hakseup.evaluation.curves import plot_confusion_normalized, plot_metric
    from hakseup.evaluation.plots import plot_confusion_matrix, plot_loss

    figures.draw(plot_loss, HISTORY, folder / "loss.png")
    figures.draw(plot_confusion_matrix, CM, ["a", "b", "c"], folder / "cm.png")
    figures.draw(plot_metric, HISTORY, "val_accuracy", folder / "metric.png")
    figures.draw(plot_confusion_normalized, CM, ["a", "b", "c"], folder / "cmn.png")
    figures.wait()


def failing_plot(path) -> None:
    raise ValueError(f"cannot draw {Path(path).name}")


def test_figures_drawn_in_process_are_the_files_a_pool_draws(tmp_path, new_children):
    from hakseup.evaluation.jobs import Jobs

    with Jobs() as here:
        assert here.pool is None
        _draw_all(here, tmp_path / "here")
    with Jobs(2) as pooled:
        _draw_all(pooled, tmp_path / "pool")
    names = sorted(p.name for p in (tmp_path / "here").iterdir())
    assert names == ["cm.png", "cmn.png", "loss.png", "metric.png"]
    for name in names:
        assert (tmp_path / "pool" / name).read_bytes() == (tmp_path / "here" / name).read_bytes()
    assert not new_children()


@pytest.mark.parametrize("processes", [0, 1])
def test_an_error_in_a_figure_is_raised_by_the_run(tmp_path, processes, new_children):
    from hakseup.evaluation.jobs import Jobs

    with pytest.raises(ValueError, match="cannot draw bad.png"):
        with Jobs(processes) as jobs:
            jobs.draw(failing_plot, tmp_path / "bad.png")
            jobs.wait()
    assert not new_children()


def _sleep(seconds: float) -> float:
    import time

    time.sleep(seconds)
    return seconds


def test_an_interrupted_block_ends_the_pool_s_busy_workers_at_once(new_children):
    import time

    from hakseup.evaluation.jobs import Jobs

    t0 = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        with Jobs(1) as jobs:
            job = jobs.submit(_sleep, 60)
            assert len(new_children()) == 1           # the pool's worker
            raise KeyboardInterrupt
    assert time.monotonic() - t0 < 30 and not new_children()
    assert job.cancelled() or job.done()


def test_in_process_references_are_fitted_only_when_asked_for(monkeypatch):
    from hakseup.evaluation.jobs import Jobs

    calls = []
    later = Jobs().submit(lambda x: calls.append(x) or x * 2, 21)
    assert calls == []
    assert later.result() == 42 and calls == [21]


def test_references_from_the_pool_equal_those_fitted_in_process(tmp_path, new_children):
    from hakseup.config import RunConfig
    from hakseup.evaluation.jobs import Jobs
    from hakseup.evaluation.references import fit_references
    from hakseup.evaluation.references_cache import PendingReferences
    from hakseup.experiment import Experiment

    bundle = Experiment(RunConfig.from_dict({"train": {"epochs": 1, "progress": False}})
                        ).setup().bundle_
    with Jobs(1) as jobs:
        pending = PendingReferences(bundle, "all", seed=3, cache_dir=str(tmp_path), jobs=jobs)
        assert pending.job is not None
        pooled = pending.result()
    assert not new_children()
    assert json.dumps(pooled, sort_keys=True) == \
        json.dumps(fit_references(bundle, "all", 3), sort_keys=True)
    assert set(pooled[0]) == {"majority", "logistic", "hgb"}
