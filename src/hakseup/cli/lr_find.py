"""``hakseup lr-find``: the learning-rate range test."""

from __future__ import annotations

import argparse
import dataclasses
import shlex

from ..i18n import t
from ..io.files import atomic_write_json
from ..run.folder import Run
from .common import FLAGS, SWITCHES, config_command_parser, config_from_args, print_config

EXAMPLES = """\
examples:
  hakseup lr-find                                   # the digits MLP
  hakseup lr-find config.yaml --steps 300 --seeds 3
"""


def register(sub) -> None:
    p = config_command_parser(sub, "lr-find", EXAMPLES)
    p.add_argument("--steps", type=int, default=200, help="steps in the sweep (default 200)")
    p.add_argument("--start-lr", type=float, default=1e-7)
    p.add_argument("--end-lr", type=float, default=10.0)
    p.add_argument("--seeds", type=int, default=1, help="repeat with this many seeds")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..errors import HakseupError

    if (
        not (10 <= args.steps <= 100_000)
        or not (0 < args.start_lr < args.end_lr)
        or not (1 <= args.seeds <= 20)
    ):
        raise HakseupError(t("error.cli.lr_find.find_needs_steps"))
    cfg = config_from_args(args)
    if args.print_config:
        print_config(cfg)
        return 0
    import numpy as np

    curves, name = _sweep(cfg, args)
    suggestions = [s for _, _, s in curves]
    median = float(np.median(suggestions))
    with Run(cfg.output.root, f"lrfind-{name}", cfg.output.dir, kind="lr-find") as run:
        run.started()
        _plot(curves, cfg.train.seed, run.path / "plots" / "lr_find.png")
        atomic_write_json(
            run.path / "lr_find.json",
            {
                "suggested_lr": median,
                "per_seed": suggestions,
                "curves": [
                    {"lr": lrs.tolist(), "loss": losses.tolist()} for lrs, losses, _ in curves
                ],
            },
        )
        run.complete(suggested_lr=median)
    print(
        t("lr_find.suggested", lr=median)
        + (
            t(
                "lr_find.seeds",
                values=", ".join(f"{s:.3g}" for s in suggestions),
                spread=max(suggestions) / min(suggestions),
            )
            if len(suggestions) > 1
            else ""
        )
    )
    print(t("lr_find.plot", path=run.path / "plots" / "lr_find.png"))
    print(t("lr_find.use_it", command=train_command(args, median)))
    return 0


def _sweep(cfg, args) -> tuple[list[tuple], str]:
    """One sweep per seed, each an Experiment whose one fit carries the LRSweep callback;
    with the run name of the resolved config (the model ``auto`` chose)."""
    from ..experiment import Experiment
    from ..training.lr_finder import LRSweep, suggest_lr, sweep_config

    curves = []
    for k in range(args.seeds):
        train = sweep_config(cfg.train, args.start_lr, args.steps)
        cfg_k = dataclasses.replace(cfg, train=dataclasses.replace(train, seed=cfg.train.seed + k))
        sweep = LRSweep(args.start_lr, args.end_lr, args.steps)
        exp = Experiment(cfg_k).setup()
        exp.fit(callbacks=[sweep])
        curves.append((sweep.lrs, sweep.losses, suggest_lr(sweep.lrs, sweep.losses)))
    return curves, exp.cfg.run_name()


def _plot(curves: list[tuple], seed: int, path) -> None:
    from ..evaluation.plots import plot_text, pyplot, save_figure

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4))
    for k, (lrs, losses, s) in enumerate(curves):
        (line,) = ax.plot(lrs, losses, label=plot_text("plot.seed", seed=seed + k))
        ax.axvline(s, color=line.get_color(), linestyle=":", alpha=0.8)
    ax.set_xscale("log")
    ax.set_xlabel(plot_text("plot.lr"))
    ax.set_ylabel(plot_text("plot.lr_loss"))
    ax.set_title(plot_text("plot.lr_title"))
    ax.grid(alpha=0.3)
    ax.legend()
    save_figure(fig, path)


def train_command(args: argparse.Namespace, lr: float) -> str:
    """The `hakseup train` command that trains what was swept (same config, data flags and
    overrides), with the suggested learning rate."""
    words = ["hakseup", "train"]
    if args.config:
        words.append(args.config)
    if args.recipe:
        words += ["--recipe", args.recipe]
    for flag, key, _ in FLAGS:
        value = getattr(args, key, None)
        if value is not None and key != "train.lr":
            words += [flag, str(value)]
    for flag, key, _ in SWITCHES:
        if getattr(args, key, None) is not None:
            words.append(flag)
    for override in args.overrides:
        words += ["--set", override]
    return shlex.join(words + ["--lr", f"{lr:.3g}"])
