"""Where a default ``hakseup train`` spends its time: wall and CPU seconds per stage, in process.

Wraps the functions that make up a run (config, data, the references, model and trainer,
the fit loop and its callbacks, scoring, the figures, the report, the run folder) with
timers — no profiler, so the figures are what the run costs — runs the command, and prints
one row per stage (a stage called several times: the sum and the count). Indented rows are
parts of the row above them (an older version's forked children's CPU is not in the CPU
column; the process's own children total is printed at the end).

    python benchmarks/startup_stages.py                 # the default run
    python benchmarks/startup_stages.py --epochs 5      # any `hakseup train` flags
    HAKSEUP_CACHE=$(mktemp -d) python benchmarks/startup_stages.py   # cold: references fitted
    PYTHONPATH=/elsewhere/src python benchmarks/startup_stages.py      # another version
"""

from __future__ import annotations

import functools
import importlib
import os
import resource
import sys
import time
from pathlib import Path

# This checkout's package, unless PYTHONPATH names another (an older commit's, to compare).
if not os.environ.get("PYTHONPATH"):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

STAGES = [
    ("hakseup.cli.common", "config_from_args", "config"),
    ("hakseup.data.datasets", "load_data", "data load"),
    ("hakseup.experiment.experiment", "Experiment.start_references", "references (cache lookup)"),
    ("hakseup.experiment.experiment", "Experiment._build", "model, trainer, dry run"),
    ("hakseup.training.optim", "build_optimizer", "  optimiser (torch._dynamo's import)"),
    ("hakseup.run.report", "write_start_files", "start files"),
    ("hakseup.experiment.experiment", "Experiment.fit", "fit loop"),
    ("hakseup.training.trainer", "Trainer.train_step", "  training steps"),
    ("hakseup.training.trainer", "Trainer.evaluate", "  validation"),
    ("hakseup.training.loggers", "TensorBoardLogger.on_fit_begin", "  TensorBoard: writer, graph"),
    ("hakseup.training.loggers", "TensorBoardLogger.on_epoch_end", "  TensorBoard per epoch"),
    ("hakseup.training.callbacks", "ModelCheckpoint.on_epoch_end", "  checkpoints"),
    ("hakseup.training.loggers", "MetricsLogger.on_epoch_end", "  metrics.jsonl"),
    ("hakseup.experiment.experiment", "Experiment.score", "score (test)"),
    ("hakseup.experiment.experiment", "Experiment.references", "references (read back, or fitted)"),
    ("hakseup.run.report", "write_run_outputs", "figures, metrics.json, report"),
    ("hakseup.run.report", "draw_run_figures", "  figures"),
    ("hakseup.run.report", "_write_plots", "  figures (in process)"),
    ("hakseup.evaluation.explain", "explain_run", "  diagnosis (and, before, more figures)"),
    ("hakseup.run.report", "_report_context", "  report context"),
    ("hakseup.evaluation.report", "write_reports", "  report.md, report.html"),
    ("hakseup.run.folder", "Run.complete", "run complete (fsync of the folder)"),
]


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _wrap(module: str, attr: str, label: str, rows: dict) -> None:
    """Time ``module.attr`` under ``label`` (skipped where an older version lacks it)."""
    *path, name = attr.split(".")
    try:
        owner = importlib.import_module(module)
        for part in path:
            owner = getattr(owner, part)
        original = getattr(owner, name)
    except (ImportError, AttributeError):
        return

    @functools.wraps(original)
    def timed(*args, **kwargs):
        wall, cpu = time.perf_counter(), _cpu()
        try:
            return original(*args, **kwargs)
        finally:
            row = rows.setdefault(label, [0.0, 0.0, 0])
            row[0] += time.perf_counter() - wall
            row[1] += _cpu() - cpu
            row[2] += 1

    setattr(owner, name, timed)


def main() -> int:
    start, rows = time.perf_counter(), {}
    wall, cpu = time.perf_counter(), _cpu()
    import hakseup.cli.main as cli
    import hakseup.experiment.experiment  # noqa: F401

    rows["imports (torch, hakseup)"] = [time.perf_counter() - wall, _cpu() - cpu, 1]
    for module, attr, label in STAGES:
        _wrap(module, attr, label, rows)
    code = cli.main(["train", *sys.argv[1:]])
    total, own = time.perf_counter() - start, _cpu()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"\n{'stage':40s} {'wall s':>7s} {'CPU s':>7s}  calls", file=sys.stderr)
    for label, (w, c, n) in rows.items():
        print(f"{label:40s} {w:7.3f} {c:7.3f}  {n}", file=sys.stderr)
    print(f"{'the whole command, in process':40s} {total:7.3f} {own:7.3f}", file=sys.stderr)
    print(f"{'child processes (none since this round)':40s} {'':7s} "
          f"{children.ru_utime + children.ru_stime:7.3f}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
