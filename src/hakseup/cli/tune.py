"""``hakseup tune``: hyperparameter search with Optuna."""

from __future__ import annotations

import argparse

from ..i18n import t
from .common import config_command_parser, config_from_args, print_config, print_table

EXAMPLES = """\
examples:
  hakseup tune search.yaml --trials 30
  hakseup tune search.yaml --trials 30 --folds 5
  hakseup tune --resume runs/<id> --trials 50        # continue the stored study
  # one study shared by workers on several machines (run the same line on each):
  hakseup tune search.yaml --trials 10 --storage postgresql://me@db.lan:5432/hakseup

search.yaml:
  tune:
    train.lr: {low: 1.0e-4, high: 0.1, log: true}
    model.hidden: [[64], [128], [256, 128]]
"""


def register(sub) -> None:
    p = config_command_parser(sub, "tune", EXAMPLES)
    p.add_argument(
        "--trials",
        type=int,
        default=20,
        help="trials this run folder runs, resumes included (default 20; with "
        "--storage, this worker's share of the study)",
    )
    p.add_argument("--folds", type=int, metavar="K", help="score each trial on K folds")
    p.add_argument("--resume", metavar="RUN", help="continue a tuning run's study")
    p.add_argument(
        "--storage",
        metavar="URL",
        help="keep the study in this database (e.g. postgresql://user@host/db), "
        "shared with every worker naming it; default: study.db in the run "
        "folder. --trials then counts this worker's trials",
    )
    p.add_argument(
        "--add-optuna-tables",
        action="store_true",
        help="let --storage name a database that holds other tables: Optuna adds "
        "its own tables beside them (refused otherwise)",
    )
    p.add_argument(
        "--study",
        metavar="NAME",
        help="the study's name in --storage (default: the run name and a digest "
        "of the search space)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..errors import HakseupError

    if args.folds is not None and args.folds < 2:
        raise HakseupError(t("error.cli.tune.folds_too_few", folds=args.folds))
    if args.study and not args.storage and not args.resume:
        raise HakseupError(t("error.cli.tune.study_names_study"))
    cfg = None if args.resume else config_from_args(args)
    if cfg is not None and args.print_config:
        print_config(cfg)
        return 0
    from ..experiment.tuning import tune

    r = tune(
        cfg,
        args.trials,
        folds=args.folds,
        resume=args.resume,
        storage=args.storage,
        study=args.study,
        add_tables=args.add_optuna_tables,
    )
    rows = sorted(r["trials"], key=lambda t: (t["value"] is None, t["value"] or 0))
    print_table(
        [
            (
                t["trial"],
                t["state"],
                f"{t['value']:.4f}" if t["value"] is not None else "—",
                ", ".join(
                    f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                    for k, v in t["params"].items()
                ),
            )
            for t in rows
        ],
        header=("trial", "state", "val loss", "parameters"),
    )
    print("\n" + t("tune.best", value=r["best_value"], params=r["best_params"], n=r["pruned"]))
    print(t("tune.train_it", path=r["run_dir"]))
    return 0
