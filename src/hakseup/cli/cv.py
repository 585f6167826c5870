"""``hakseup cv``: K-fold cross-validation, preprocessing refitted per fold."""

from __future__ import annotations

import argparse

from ..i18n import t
from .common import (
    config_command_parser,
    config_from_args,
    print_config,
    print_table,
    print_wrapped,
)

EXAMPLES = """\
examples:
  hakseup cv --folds 5                                  # digits MLP, 5 folds
  hakseup cv --dataset car-evaluation --folds 5 --epochs 60
  hakseup cv config.yaml --folds 10
"""


def register(sub) -> None:
    p = config_command_parser(sub, "cv", EXAMPLES)
    p.add_argument("--folds", type=int, default=5, metavar="K", help=t("flag.folds"))
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..errors import HakseupError

    if args.folds < 2:
        raise HakseupError(t("cv.few_folds", k=args.folds))
    cfg = config_from_args(args)
    if args.print_config:
        print_config(cfg)
        return 0
    from ..evaluation.legend import run_legend
    from ..experiment.crossval import cross_validate

    r = cross_validate(cfg, args.folds)
    print("\n" + t("cv.title", k=args.folds))
    refs = [n for n in r.get("references_mean", {}) if n not in ("majority", "mean")]
    print_table(
        [
            (
                m,
                f"{r['mean'][m]:.4f} ± {r['std'][m]:.4f}",
                f"{r['baseline_mean'].get(m, float('nan')):.4f}",
                *(
                    f"{r['references_mean'][n][m]:.4f} ± {r['references_std'][n][m]:.4f}"
                    if m in r["references_mean"][n]
                    else "—"
                    for n in refs
                ),
            )
            for m in r["mean"]
        ],
        header=(t("table.metric"), t("table.mean_std"), r["baseline_name"], *refs),
    )
    legend = run_legend({}, r.get("references_mean"))  # what "hgb" and the others are
    if legend:
        print()
        print_wrapped(legend)
    if r.get("reference_verdict"):
        print("\n" + t("cv.verdict", verdict=r["reference_verdict"]))
    print("\n" + t("train.run_folder", path=r["run_dir"]))
    return 0
