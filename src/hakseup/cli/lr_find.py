"""``hakseup lr-find``: the learning-rate range test."""

from __future__ import annotations

import argparse

from .common import add_config_flags, config_from_args

EXAMPLES = """\
examples:
  hakseup lr-find                                   # the digits MLP
  hakseup lr-find config.yaml --steps 300 --seeds 3
"""


def register(sub) -> None:
    p = sub.add_parser("lr-find", help="learning-rate range test",
                       description="Raise the learning rate exponentially for a few hundred "
                                   "steps, plot loss against LR, and suggest a value; with "
                                   "several seeds, show the spread.",
                       epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_config_flags(p)
    p.add_argument("--steps", type=int, default=200, help="steps in the sweep (default 200)")
    p.add_argument("--start-lr", type=float, default=1e-7)
    p.add_argument("--end-lr", type=float, default=10.0)
    p.add_argument("--seeds", type=int, default=1, help="repeat with this many seeds")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import dataclasses

    import numpy as np

    from ..errors import HakseupError

    if not (10 <= args.steps <= 100_000) or not (0 < args.start_lr < args.end_lr) \
            or not (1 <= args.seeds <= 20):
        raise HakseupError("lr-find needs 10 <= --steps <= 100000, 0 < --start-lr < --end-lr and "
                           "1 <= --seeds <= 20.")
    cfg = config_from_args(args)
    if args.print_config:
        print(cfg.to_yaml(), end="")
        return 0
    from ..evaluation.plots import pyplot, save_figure
    from ..experiment import prepare
    from ..fileio import atomic_write_json
    from ..runs import new_run_dir, now_iso, write_status
    from ..training.lr_finder import lr_range_test, suggest_lr

    curves = []
    for k in range(args.seeds):
        c = dataclasses.replace(cfg.train, seed=cfg.train.seed + k)
        cfg_k = dataclasses.replace(cfg, train=c)
        bundle, model = prepare(cfg_k)
        lrs, losses = lr_range_test(model, bundle, c, args.start_lr, args.end_lr, args.steps)
        curves.append((lrs, losses, suggest_lr(lrs, losses)))
    run_dir = new_run_dir(cfg.output.root, f"lrfind-{cfg.run_name()}", cfg.output.dir)
    write_status(run_dir, "running", name=run_dir.name, created=now_iso(), kind="lr-find")
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4))
    for k, (lrs, losses, s) in enumerate(curves):
        line, = ax.plot(lrs, losses, label=f"seed {cfg.train.seed + k}")
        ax.axvline(s, color=line.get_color(), linestyle=":", alpha=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("training loss (smoothed)")
    ax.set_title("LR range test (dotted: suggested)")
    ax.grid(alpha=0.3)
    ax.legend()
    save_figure(fig, run_dir / "plots" / "lr_find.png")
    suggestions = [s for _, _, s in curves]
    median = float(np.median(suggestions))
    atomic_write_json(run_dir / "lr_find.json", {
        "suggested_lr": median, "per_seed": suggestions,
        "curves": [{"lr": lrs.tolist(), "loss": losses.tolist()} for lrs, losses, _ in curves]})
    write_status(run_dir, "complete", finished=now_iso(), suggested_lr=median)
    print(f"Suggested learning rate: {median:.3g}" + (
        f" (seeds: {', '.join(f'{s:.3g}' for s in suggestions)}; spread x"
        f"{max(suggestions) / min(suggestions):.1f})" if len(suggestions) > 1 else ""))
    print(f"Plot: {run_dir / 'plots' / 'lr_find.png'}")
    print(f"Use it: hakseup train --lr {median:.3g}")
    return 0
