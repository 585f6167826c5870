"""Flags shared by train, cv, tune and lr-find: one flag, one config key (see CLI.md)."""

from __future__ import annotations

import argparse

from ..i18n import t

__all__ = ["add_config_flags", "add_file_flags", "config_from_args", "print_table",
           "print_wrapped", "display_width",
           "EXAMPLES_TRAIN"]

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
    ("--threads", "train.threads", "auto|N",
     "CPU threads per operator (auto: from the model's size and the free CPUs)"),
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

EXAMPLES_TRAIN = """\
examples:
  hakseup train                                   # digits MLP, offline, ~10 s
  hakseup train --epochs 20 --batch-size 64 --lr 1e-3 --seed 125 --device cpu \\
                --optimizer adam --scheduler cosine
  hakseup train config.yaml --set train.epochs=5 --set model.hidden=[256,128]
  hakseup train --recipe car-evaluation
  hakseup train --data prices.csv --time-col Date --target Close --window 20
  hakseup train --resume runs/20261122-101500-digits-mlp
  hakseup train --data photos/ --image-size 64      # one sub-folder per class
  hakseup train --recipe cifar10-cnn                # the curriculum's CIFAR-10 CNN
  hakseup train --print-config
"""


def add_config_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("config", nargs="?", help=t("flag.config"))
    p.add_argument("--recipe", metavar="NAME", help=t("flag.recipe"))
    g = p.add_argument_group(t("flag.group"))
    for flag, key, metavar, _ in FLAGS:
        g.add_argument(flag, dest=key, metavar=metavar, default=None,
                       help=f"{t(f'flag.{key}')} [{key}]")
    for flag, key, value, _ in SWITCHES:
        g.add_argument(flag, dest=key, action="store_const", const=value, default=None,
                       help=f"{t(f'flag.{flag[2:]}')} [{key}]")
    g.add_argument("--pretrained", dest="pretrained", nargs="?", const=True, default=None,
                   metavar="FILE", help=f"{t('flag.pretrained')} [model.pretrained, "
                                        f"model.weights]")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help=t("flag.set"))
    p.add_argument("--print-config", action="store_true", help=t("flag.print-config"))


def add_file_flags(p: argparse.ArgumentParser) -> None:
    """--encoding and --sheet for a command that reads one table file (predict, evaluate)."""
    p.add_argument("--encoding", metavar="NAME", help=t("flag.file_encoding"))
    p.add_argument("--sheet", metavar="NAME|N", help=t("flag.file_sheet"))


def config_from_args(args: argparse.Namespace):
    from ..config_load import load_config

    keys = [k for _, k, _, _ in FLAGS] + [k for _, k, _, _ in SWITCHES]
    flags = {k: getattr(args, k) for k in keys if getattr(args, k, None) is not None}
    pretrained = getattr(args, "pretrained", None)
    if pretrained is not None:   # --pretrained alone, or --pretrained FILE
        flags["model.pretrained"] = True
        if isinstance(pretrained, str):
            flags["model.weights"] = pretrained
    return load_config(args.config, recipe=args.recipe, flags=flags, overrides=args.overrides)


def _terminal_width() -> int | None:
    """The terminal's width when stdout is one, else None (a file or a pipe: no limit)."""
    import shutil
    import sys

    try:
        tty = sys.stdout.isatty()
    except (AttributeError, ValueError):
        tty = False
    return max(20, shutil.get_terminal_size().columns) if tty else None


def display_width(text: str) -> int:
    """Columns ``text`` takes on a terminal: East Asian wide and full-width characters
    (Hangul, CJK) take two, combining marks none (the width a terminal gives them)."""
    import unicodedata

    return sum(0 if unicodedata.combining(c) else
               2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - display_width(text))


def print_table(rows: list[tuple], header: tuple | None = None) -> None:
    """A plain aligned text table on stdout. On a terminal narrower than the table, the
    columns are shown in blocks that fit, each repeating the first column (nothing is cut)."""
    rows = [tuple(str(c) for c in r) for r in rows]
    if header:
        rows = [tuple(header)] + rows
    if not rows:
        return
    widths = [max(display_width(r[i]) for r in rows) for i in range(len(rows[0]))]
    limit = _terminal_width()
    blocks = [list(range(len(widths)))]
    if limit and sum(widths) + 2 * (len(widths) - 1) > limit and len(widths) > 2:
        blocks, block = [], [0]
        for i in range(1, len(widths)):
            if block != [0] and sum(widths[j] + 2 for j in block) + widths[i] > limit:
                blocks.append(block)
                block = [0]
            block.append(i)
        blocks.append(block)
    for k, cols in enumerate(blocks):
        if k:
            print()
        for j, r in enumerate(rows):
            print("  ".join(_pad(r[i], widths[i]) for i in cols).rstrip())
            if header and j == 0:
                print("  ".join("-" * widths[i] for i in cols))


def print_wrapped(text: str, first: str = "", rest: str | None = None) -> None:
    """A paragraph on stdout: wrapped at the terminal's width on a terminal, one line when
    stdout is a file or a pipe. Nothing is cut: a word longer than the width (a path) keeps
    its own line whole, so it can still be copied."""
    import textwrap

    rest = " " * len(first) if rest is None else rest
    width = _terminal_width()
    if width is None:
        print(first + text)
        return
    for line in textwrap.wrap(text, width, initial_indent=first, subsequent_indent=rest,
                              break_long_words=False, break_on_hyphens=False) or [first]:
        print(line)
