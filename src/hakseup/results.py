"""What a run gives back: ``RunResult`` (metrics next to baselines, the trained model, the data
and the history).

Example:
    >>> r = RunResult(Path("runs/x"), {"accuracy": 0.9}, "majority class", {"accuracy": 0.1})
    >>> r.main_metric
    ('accuracy', 0.9)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .data.bundle import DataBundle, Schema
from .evaluation.metrics import MAIN_METRIC

__all__ = ["RunResult"]


@dataclass
class RunResult:
    run_dir: Path
    metrics: dict
    baseline_name: str
    baseline: dict
    history: list[dict] = field(default_factory=list)
    schema: Schema | None = None
    summary: list[str] = field(default_factory=list)
    rank: int = 0                     # in a distributed run, only rank 0 holds the results
    model: Any = None                 # the trained nn.Module (best checkpoint when there is one)
    bundle: DataBundle | None = None  # the data it was trained and scored on
    checkpoint: str = "last"          # which weights the metrics come from
    references: dict = field(default_factory=dict)   # evaluation.references.reference_summary

    @property
    def main_metric(self) -> tuple[str, float]:
        key = MAIN_METRIC.get(self.schema.task if self.schema else "multiclass", "accuracy")
        return key, self.metrics.get(key, float("nan"))
