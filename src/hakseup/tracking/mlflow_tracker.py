"""``--tracker mlflow``: a run's parameters, per-epoch metrics, final metrics and report files
in an MLflow tracking store.

The store is ``output.tracking_uri`` — any URI MLflow accepts (``http://host:5000``,
``sqlite:///path.db``, ``file:///path``) or a plain folder — and by default a local ``mlruns/``
folder next to the runs folder, holding a SQLite database (``mlflow.db``: MLflow's file store
is in maintenance mode) and the artifacts. Everything goes through ``MlflowClient`` with an
explicit run id (no global active run), so cv folds and tune trials cannot cross wires. The
run id is kept in the run folder's ``mlflow.json``: ``--resume`` continues the same MLflow run.

MLflow is optional (``pip install "hakseup[tracking]"``, the light ``mlflow-skinny``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ConfigError
from ..i18n import t
from ..training.callbacks import Callback

__all__ = ["MLflowTracker", "resolve_tracking_uri", "ARTIFACT_SUFFIXES"]

ARTIFACT_SUFFIXES = (".md", ".html", ".json", ".yaml", ".png")
SKIPPED = {"run.json", "mlflow.json"}  # the status file changes after logging; ours

if TYPE_CHECKING:  # an optional dependency: imported when a run is tracked, not before
    from mlflow.tracking import MlflowClient


def _mlflow() -> type[MlflowClient]:
    try:
        import mlflow  # noqa: F401
        from mlflow.tracking import MlflowClient
    except ImportError:
        raise ConfigError(t("error.tracking.mlflow_tracker.tracker_mlflow_needs")) from None
    import logging

    # An unreachable server: a few retries, not MLflow's default of minutes of back-off.
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    for name in ("mlflow", "alembic"):  # table creation and migrations chatter at INFO
        logging.getLogger(name).setLevel(logging.WARNING)
    return MlflowClient


def resolve_tracking_uri(uri: str | None, runs_root: str | os.PathLike) -> tuple[str, str | None]:
    """(tracking URI, artifact location for a new experiment or None for the store's own).

    None: ``<runs_root>/../mlruns`` (a SQLite store and an artifacts folder). A plain path: the
    same layout in that folder. A ``file:`` URI: MLflow's file store, as asked."""
    if uri and ("://" in uri or uri.startswith(("sqlite:", "file:", "databricks"))):
        if uri.startswith("file:"):  # asked for explicitly: allow MLflow's legacy file store
            os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
        return uri, None
    folder = (
        Path(uri).expanduser().resolve()
        if uri
        else Path(runs_root).expanduser().resolve().parent / "mlruns"
    )
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'mlflow.db'}", (folder / "artifacts").as_uri()


def _one_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return text[0][:300] if text else type(e).__name__


class MLflowTracker(Callback):
    """One MLflow run for one hakseup run: ``start``, the epochs (as a callback), ``finish``.

    Args:
        cfg: the run's resolved config (its flat keys become the MLflow params).
        run_dir: the run folder (its name is the MLflow run name; ``mlflow.json`` its id).
        kind: train, cv or tune (an MLflow tag).
    """

    order = 65

    def __init__(self, cfg, run_dir: str | os.PathLike, kind: str):
        self.cfg, self.run_dir, self.kind = cfg, Path(run_dir), kind
        self.client: MlflowClient | None = None
        self.run_id: str | None = None
        self.experiment_id: str | None = None

    def _live(self) -> tuple[MlflowClient, str]:
        """The client and the id of the open run (``start`` opens it, ``end`` closes it)."""
        if self.client is None or self.run_id is None:
            raise RuntimeError("MLflowTracker: no open run (call start() first)")
        return self.client, self.run_id

    def start(
        self,
        resume: bool = False,
        parent_id: str | None = None,
        name: str | None = None,
        params: dict | None = None,
    ) -> MLflowTracker:
        """Connect and open (or, resuming, reopen) the MLflow run; log the params."""
        client_cls = _mlflow()
        out = self.cfg.output
        uri, artifacts = resolve_tracking_uri(out.tracking_uri, out.root)
        # MLflow's own variable names the experiment (as for `mlflow run`); else "hakseup".
        experiment = os.environ.get("MLFLOW_EXPERIMENT_NAME") or "hakseup"
        try:
            self.client = client = client_cls(tracking_uri=uri)
            found = client.get_experiment_by_name(experiment)
            self.experiment_id = experiment_id = (
                found.experiment_id
                if found is not None
                else client.create_experiment(experiment, artifact_location=artifacts)
            )
            saved = self._saved_id() if resume else None
            if saved:
                self.run_id = saved
                client.update_run(saved, status="RUNNING")
                return self
            tags = {"hakseup.kind": self.kind, "hakseup.run_dir": str(self.run_dir)}
            if parent_id:
                tags["mlflow.parentRunId"] = parent_id
            run = client.create_run(experiment_id, run_name=name or self.run_dir.name, tags=tags)
            self.run_id = run.info.run_id
            self.log_params(params if params is not None else _flat_params(self.cfg))
        except ConfigError:
            raise
        except Exception as e:  # unreachable server, bad URI, refused database: one line
            raise ConfigError(
                t(
                    "error.tracking.mlflow_tracker.mlflow_tracking_store",
                    uri=uri,
                    one_line=_one_line(e),
                )
            ) from None
        if parent_id is None:
            from ..io.files import atomic_write_json

            atomic_write_json(
                self.run_dir / "mlflow.json",
                {"run_id": self.run_id, "tracking_uri": uri, "experiment_id": self.experiment_id},
            )
        return self

    def _saved_id(self) -> str | None:
        try:
            return json.loads((self.run_dir / "mlflow.json").read_text())["run_id"]
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def log_params(self, params: dict) -> None:
        from mlflow.entities import Param

        client, run_id = self._live()
        items = [Param(k, str(v)[:6000]) for k, v in params.items()]
        for i in range(0, len(items), 100):  # MLflow takes at most 100 params per batch
            client.log_batch(run_id, params=items[i : i + 100])

    def log_metrics(self, metrics: dict, step: int = 0) -> None:
        import math
        import time

        from mlflow.entities import Metric

        client, run_id = self._live()
        now = int(time.time() * 1000)
        items = [
            Metric(k, float(v), now, step)
            for k, v in metrics.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
        ]
        for i in range(0, len(items), 1000):
            client.log_batch(run_id, metrics=items[i : i + 1000])

    def on_epoch_end(self, trainer, logs):
        self.log_metrics({k: v for k, v in logs.items() if k != "epoch"}, step=logs["epoch"])

    def log_artifacts(self, folder: Path | None = None) -> None:
        """The run folder's reports, metrics, config and plots (not checkpoints or events)."""
        client, run_id = self._live()
        folder = folder or self.run_dir
        for path in sorted(folder.iterdir()):
            if path.is_file() and path.suffix in ARTIFACT_SUFFIXES and path.name not in SKIPPED:
                client.log_artifact(run_id, str(path))
        if (folder / "plots").is_dir():
            client.log_artifacts(run_id, str(folder / "plots"), "plots")

    def end(self, status: str = "FINISHED") -> None:
        """FINISHED, FAILED or KILLED (interrupted)."""
        if self.run_id is not None:
            self._live()[0].set_terminated(self.run_id, status=status)
            self.run_id = None


def _flat_params(cfg) -> dict:
    out = {}
    for section, values in cfg.to_dict().items():
        if section == "tune":
            out.update({f"tune.{k}": v for k, v in values.items()})
        else:
            out.update({f"{section}.{k}": v for k, v in values.items()})
    return out
