"""The command-line flags of the config: one flag, one config key (CLI.md).

The table lives with the config so that both the CLI (``cli/common.py`` builds argparse from
it) and ``hakseup.fit`` (``learn.py``: short setting names such as ``lr`` or ``model``) read
it without one importing the other.

Example:
    >>> dict((f, k) for f, k, *_ in FLAGS)["--batch-size"]
    'train.batch_size'
"""

from __future__ import annotations

__all__ = ["FLAGS", "SWITCHES"]

# (flag, config key, metavar or None for a switch, help). The help shown is the catalog's
# ``flag.<config key>`` (``flag.<switch>`` for SWITCHES); the English here is the same text
# (a test keeps them equal) so the table stays readable on its own.
FLAGS: list[tuple[str, str, str | None, str]] = [
    ("--dataset", "data.dataset", "NAME", "a built-in dataset (see `hakseup datasets`)"),
    ("--data", "data.path", "FILE",
     "a table: CSV (any common encoding; .gz, .bz2, .zip), Parquet or .xlsx"),
    ("--test-data", "data.test_path", "FILE", "a CSV file used as the test split"),
    ("--encoding", "data.encoding", "NAME", "the file's text encoding (default: detected)"),
    ("--sheet", "data.sheet", "NAME|N", "an Excel workbook's sheet (default: the first)"),
    ("--target", "data.target", "COL", "the column to predict"),
    ("--task", "data.task", "TASK", "auto, binary, multiclass or regression"),
    ("--time-col", "data.time_col", "COL", "date/time column: a time-series task"),
    ("--window", "data.window", "N", "past steps in"),
    ("--horizon", "data.horizon", "N", "future steps out"),
    ("--difference", "data.difference", "MODE", "none, auto or 1"),
    ("--layout", "data.layout", "L", "table, sequence or image"),
    ("--sequence-shape", "data.sequence_shape", "TxF", "e.g. 28x28 for --layout sequence"),
    ("--categorical", "data.categorical", "A,B", "force columns categorical"),
    ("--numeric", "data.numeric", "A,B", "force columns numeric"),
    ("--drop", "data.drop", "A,B", "ignore columns"),
    ("--data-dir", "data.cache_dir", "DIR", "where downloads are cached"),
    ("--image-size", "data.image_size", "N", "resize images to NxN (default: their own size)"),
    ("--image-col", "data.image_col", "COL", "a CSV's column of image paths"),
    ("--model", "model.name", "NAME", "mlp, cnn, lstm, gru, tabular, linear, or FILE.py:Class"),
    ("--hidden", "model.hidden", "W,W", "hidden layer widths, e.g. 196,49"),
    ("--lstm-impl", "model.lstm_impl", "IMPL", "scratch (our cell) or native (nn.LSTM)"),
    ("--epochs", "train.epochs", "N", "passes over the training data"),
    ("--batch-size", "train.batch_size", "N", "samples per step"),
    ("--lr", "train.lr", "X", "learning rate"),
    ("--optimizer", "train.optimizer", "NAME", "any torch.optim optimizer (adam, sgd, ...)"),
    ("--scheduler", "train.scheduler", "NAME",
     "none, step, multistep, exponential, cosine, onecycle, plateau, warmup"),
    ("--class-weight", "train.class_weight", "none|balanced",
     "weigh classes by inverse frequency (imbalanced targets)"),
    ("--label-smoothing", "train.label_smoothing", "X", "cross-entropy label smoothing, e.g. 0.1"),
    ("--patience", "train.patience", "N", "early stopping after N epochs without improvement"),
    ("--seed", "train.seed", "N", "random seed"),
    ("--device", "train.device", "D", "auto, cpu, cuda or mps"),
    ("--precision", "train.precision", "P", "32, bf16 or fp16"),
    ("--loader", "train.loader", "L", "auto, memory (whole-tensor batches) or dataloader"),
    ("--workers", "train.workers", "N", "DataLoader worker processes"),
    ("--checkpoint-every", "train.checkpoint_every", "N", "steps between checkpoints"),
    ("--output", "output.dir", "DIR", "the run folder"),
    ("--name", "output.name", "NAME", "run name"),
    ("--deploy-prevalence", "output.deploy_prevalence", "P",
     "binary: precision re-estimated at this prevalence"),
    ("--metric", "evaluation.metric", "M",
     "binary: accuracy, f1 or balanced_accuracy (the last two tune the threshold)"),
    ("--references", "evaluation.references", "all|none",
     "classical scikit-learn references beside a table's metrics"),
    ("--tracker", "output.tracker", "none|mlflow", "log the run to an experiment tracker"),
    ("--tracking-uri", "output.tracking_uri", "URI",
     "the tracker's store (default: mlruns/ next to the runs folder)"),
]
SWITCHES: list[tuple[str, str, object, str]] = [
    ("--no-header", "data.header", False, "the CSV has no header row"),
    ("--dayfirst", "data.dayfirst", True, "dates are written day first (31/01/2020)"),
    ("--compile", "train.compile", True, "torch.compile the model"),
    ("--no-progress", "train.progress", False, "no progress bars"),
    ("--quiet", "train.verbosity", "quiet", "only the final summary and errors"),
    ("--verbose", "train.verbosity", "verbose", "every logged value in the epoch lines"),
    ("--no-tensorboard", "train.tensorboard", False, "no TensorBoard logs"),
]
