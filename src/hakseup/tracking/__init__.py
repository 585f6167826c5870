"""What a run reports beyond its own folder: TensorBoard's HParams view and an experiment
tracker (``--tracker mlflow``).

``RunTracking`` wraps one train, cv or tune run: ``callbacks`` go into the trainer (per-epoch
metrics to the tracker), ``finish`` adds the final metrics (HParams in the run's ``tb/``
folder; metrics and report files to the tracker), ``trial`` adds one tune trial (its own
``tb/trial-NNNN/`` HParams session and a child run in the tracker). Leaving the block with an
exception ends the tracker's run as FAILED (or KILLED when interrupted).

Example:
    >>> with RunTracking(cfg, run.path, "train") as tracking:     # doctest: +SKIP
    ...     exp.fit(callbacks=run_callbacks(cfg, run.path) + tracking.callbacks)
    ...     tracking.finish(scalar_metrics(metrics, "test"))
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from .hparams import HPARAM_KEYS, hparams_of, scalar_metrics, write_hparams

__all__ = ["RunTracking", "hparams_of", "scalar_metrics", "write_hparams", "HPARAM_KEYS"]

TRACKERS = ("none", "mlflow")


class RunTracking:
    """HParams and the tracker for one run folder.

    Args:
        cfg: the run's resolved config (``output.tracker``, ``train.tensorboard``).
        run_dir: the run folder.
        kind: train, cv or tune.
        resume: the run continues an earlier one (the tracker reopens its run).
        extra_keys: config keys to add to the HParams (a search space's).
    """

    def __init__(
        self,
        cfg,
        run_dir: str | os.PathLike,
        kind: str,
        resume: bool = False,
        extra_keys: tuple[str, ...] = (),
    ):
        self.cfg, self.run_dir, self.kind = cfg, Path(run_dir), kind
        self.resume, self.extra_keys = resume, tuple(extra_keys)
        self.tracker = None
        if cfg.output.tracker == "mlflow":
            from .mlflow_tracker import MLflowTracker

            self.tracker = MLflowTracker(cfg, run_dir, kind)

    @property
    def callbacks(self) -> list:
        return [self.tracker] if self.tracker is not None else []

    def __enter__(self) -> RunTracking:
        if self.tracker is not None:
            self.tracker.start(resume=self.resume)
        return self

    def log(self, metrics: dict[str, float], step: int) -> None:
        """Intermediate metrics (a cv fold's) to the tracker."""
        if self.tracker is not None:
            self.tracker.log_metrics(metrics, step=step)

    def finish(self, metrics: dict[str, float], hparams_dir: str | None = "tb") -> None:
        """The final metrics (``prefix/name`` tags) into the HParams view and the tracker,
        then the report files to the tracker, whose run ends FINISHED."""
        if self.cfg.train.tensorboard and hparams_dir:
            write_hparams(
                self.run_dir / hparams_dir, hparams_of(self.cfg, self.extra_keys), metrics
            )
        if self.tracker is not None:
            self.tracker.log_metrics(metrics)
            self.tracker.log_artifacts()
            self.tracker.end("FINISHED")

    def trial(self, number: int, cfg, metrics: dict[str, float], status: str, params: dict) -> None:
        """One tune trial: its HParams session in ``tb/trial-NNNN`` and a child run."""
        if self.cfg.train.tensorboard:
            hp = hparams_of(cfg, self.extra_keys)
            write_hparams(
                self.run_dir / "tb" / f"trial-{number:04d}",
                hp,
                metrics,
                status="success" if status == "complete" else "failure",
            )
        if self.tracker is not None:
            from .mlflow_tracker import MLflowTracker

            child = MLflowTracker(cfg, self.run_dir, "trial").start(
                parent_id=self.tracker.run_id,
                name=f"{self.run_dir.name}-trial-{number}",
                params={**params, "trial": number},
            )
            child.log_metrics(metrics)
            client, run_id = child._live()
            client.set_tag(run_id, "hakseup.trial_state", status)
            child.end("FINISHED" if status == "complete" else "KILLED")

    def __exit__(self, kind, exc, tb) -> Literal[False]:
        if self.tracker is not None and self.tracker.run_id is not None and exc is not None:
            try:
                self.tracker.end("KILLED" if isinstance(exc, KeyboardInterrupt) else "FAILED")
            except Exception:  # the run's own error is the one to report
                pass
        return False
