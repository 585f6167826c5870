"""Flags shared by train, cv, tune and lr-find: one flag, one config key (see CLI.md)."""

from __future__ import annotations

import argparse

from ..config.flags import FLAGS, SWITCHES
from ..i18n import t

__all__ = [
    "command_parser",
    "config_command_parser",
    "add_config_flags",
    "add_set_flag",
    "add_run_argument",
    "add_file_flags",
    "file_options",
    "config_from_args",
    "print_config",
    "print_table",
    "print_wrapped",
    "display_width",
    "is_terminal",
    "EXAMPLES_TRAIN",
    "FLAGS",
    "SWITCHES",
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
    """The config file, --recipe, one flag per config key (``FLAGS``, ``SWITCHES``),
    --pretrained, --set and --print-config: what ``config_from_args`` reads back."""
    p.add_argument("config", nargs="?", help=t("flag.config"))
    p.add_argument("--recipe", metavar="NAME", help=t("flag.recipe"))
    g = p.add_argument_group(t("flag.group"))
    for flag, key, metavar in FLAGS:
        g.add_argument(
            flag, dest=key, metavar=metavar, default=None, help=f"{t(f'flag.{key}')} [{key}]"
        )
    for flag, key, value in SWITCHES:
        g.add_argument(
            flag,
            dest=key,
            action="store_const",
            const=value,
            default=None,
            help=f"{t(f'flag.{flag[2:]}')} [{key}]",
        )
    g.add_argument(
        "--pretrained",
        dest="pretrained",
        nargs="?",
        const=True,
        default=None,
        metavar="FILE",
        help=f"{t('flag.pretrained')} [model.pretrained, model.weights]",
    )
    add_set_flag(p, t("flag.set"))
    p.add_argument("--print-config", action="store_true", help=t("flag.print-config"))


def add_set_flag(p: argparse.ArgumentParser, help_text: str) -> None:
    """``--set KEY=VALUE``, repeatable: the overrides, in the order given, in ``args.overrides``
    (what ``config.load.apply_overrides`` takes)."""
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=help_text,
    )


def command_parser(
    sub: argparse._SubParsersAction, name: str, epilog: str
) -> argparse.ArgumentParser:
    """A subcommand's parser: its help and description from the catalogs (``cmd.<name>.*``),
    its examples shown as written."""
    return sub.add_parser(
        name,
        help=t(f"cmd.{name}.help"),
        description=t(f"cmd.{name}.description"),
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def config_command_parser(
    sub: argparse._SubParsersAction, name: str, epilog: str
) -> argparse.ArgumentParser:
    """The parser of a command that runs a config (train, cv, tune, lr-find): a
    :func:`command_parser` that takes the config flags (:func:`add_config_flags`) first."""
    p = command_parser(sub, name, epilog)
    add_config_flags(p)
    return p


def add_run_argument(p: argparse.ArgumentParser, optional: bool = False) -> None:
    """The ``RUN`` positional of a command that reads a run folder (evaluate, predict,
    summary); ``optional`` where the command also works without one."""
    p.add_argument("run", nargs="?" if optional else None, metavar="RUN", help="a run folder")


def add_file_flags(p: argparse.ArgumentParser) -> None:
    """--encoding and --sheet for a command that reads one table file (predict, evaluate)."""
    p.add_argument("--encoding", metavar="NAME", help=t("flag.file_encoding"))
    p.add_argument("--sheet", metavar="NAME|N", help=t("flag.file_sheet"))


def file_options(args: argparse.Namespace) -> dict[str, str | None]:
    """The table reader's keywords that --encoding and --sheet set, for a command that
    registers them (:func:`add_file_flags`, or ``inspect`` with its own help)."""
    return {"encoding": args.encoding, "sheet": args.sheet}


def config_from_args(args: argparse.Namespace):
    from ..config.load import load_config

    keys = [k for _, k, _ in FLAGS] + [k for _, k, _ in SWITCHES]
    flags = {k: getattr(args, k) for k in keys if getattr(args, k, None) is not None}
    pretrained = getattr(args, "pretrained", None)
    if pretrained is not None:  # --pretrained alone, or --pretrained FILE
        flags["model.pretrained"] = True
        if isinstance(pretrained, str):
            flags["model.weights"] = pretrained
    return load_config(args.config, recipe=args.recipe, flags=flags, overrides=args.overrides)


def print_config(cfg) -> None:
    """``--print-config``: the config as a run would use it, every ``auto`` value resolved
    from the data — by ``Experiment.setup`` itself, the one place that resolves it (the data
    is loaded and the model built and checked, nothing is written)."""
    from ..experiment import Experiment

    with Experiment(cfg).setup() as exp:
        print(exp.cfg.to_yaml(), end="")


def _terminal_width() -> int | None:
    """The terminal's width when stdout is one, else None (a file, a pipe, a notebook's
    cell: no limit)."""
    import shutil
    import sys

    try:
        tty = sys.stdout.isatty()
    except (AttributeError, ValueError):
        tty = False
    if not tty or _notebook_shell():
        return None
    return max(20, shutil.get_terminal_size().columns)


def _notebook_shell() -> bool:
    """True for a command run from a Jupyter notebook (``!hakseup doctor``): IPython gives it
    a pseudo-terminal 80 columns wide, but the cell shows the text as wide as the page and
    wraps long lines itself, so a layout cut for 80 columns only scatters it. The kernel's
    environment says so: jupyter_client sets ``JPY_PARENT_PID``, ipykernel ``MPLBACKEND``."""
    import os

    backend = os.environ.get("MPLBACKEND", "")
    inline = backend.startswith(("module://matplotlib_inline", "module://ipykernel"))
    return bool(os.environ.get("JPY_PARENT_PID")) or inline


def is_terminal() -> bool:
    """Whether stdout is a terminal a person reads at its width (not a file, a pipe or a
    notebook's cell): a command may choose another layout for the others."""
    return _terminal_width() is not None


def display_width(text: str) -> int:
    """Columns ``text`` takes on a terminal: East Asian wide and full-width characters
    (Hangul, CJK) take two, combining marks none (the width a terminal gives them)."""
    import unicodedata

    return sum(
        0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1
        for c in text
    )


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
    for line in textwrap.wrap(
        text,
        width,
        initial_indent=first,
        subsequent_indent=rest,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [first]:
        print(line)
