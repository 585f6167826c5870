"""``hakseup tune``: hyperparameter search with Optuna."""

from __future__ import annotations

import argparse

from ..i18n import t
from .common import add_config_flags, config_from_args, print_table

EXAMPLES = """\
examples:
  hakseup tune search.yaml --trials 30
  hakseup tune search.yaml --trials 30 --folds 5
  hakseup tune --resume runs/<id> --trials 50        # continue the stored study

search.yaml:
  tune:
    train.lr: {low: 1.0e-4, high: 0.1, log: true}
    model.hidden: [[64], [128], [256, 128]]
"""


def register(sub) -> None:
    p = sub.add_parser("tune", help=t("cmd.tune.help"),
                       description=t("cmd.tune.description"),
                       epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_config_flags(p)
    p.add_argument("--trials", type=int, default=20, help="total trials (default 20)")
    p.add_argument("--folds", type=int, metavar="K", help="score each trial on K folds")
    p.add_argument("--resume", metavar="RUN", help="continue a tuning run's study")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..errors import HakseupError

    if args.folds is not None and args.folds < 2:
        raise HakseupError(f"--folds {args.folds} is too few; expected at least 2.")
    cfg = None if args.resume else config_from_args(args)
    if cfg is not None and args.print_config:
        print(cfg.to_yaml(), end="")
        return 0
    from ..tuning import tune

    r = tune(cfg, args.trials, folds=args.folds, resume=args.resume)
    rows = sorted(r["trials"], key=lambda t: (t["value"] is None, t["value"] or 0))
    print_table([(t["trial"], t["state"], f"{t['value']:.4f}" if t["value"] is not None else "—",
                  ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                            for k, v in t["params"].items())) for t in rows],
                header=("trial", "state", "val loss", "parameters"))
    print(f"\nBest: {r['best_value']:.4f} with {r['best_params']} ({r['pruned']} trial(s) pruned)")
    print(f"Train it: hakseup train {r['run_dir']}/best_config.yaml")
    return 0
