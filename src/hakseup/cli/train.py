"""``hakseup train``: train one model and write a run folder."""

from __future__ import annotations

import argparse

from ..i18n import t
from .common import (
    EXAMPLES_TRAIN,
    config_command_parser,
    config_from_args,
    print_config,
    print_table,
    print_wrapped,
)


def register(sub) -> None:
    p = config_command_parser(sub, "train", EXAMPLES_TRAIN)
    p.add_argument("--resume", metavar="RUN", help=t("flag.resume"))
    p.add_argument("--emit-script", metavar="FILE", help=t("flag.emit_script"))
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.emit_script:  # refused before training, not after
        _check_script_file(args.emit_script)
    # The config the flags built is checked already: the CLI enters behind the Python API's
    # door (``train_config``), so nothing is checked twice.
    from ..experiment.experiment import resume_point, train_config

    resume_dir = None
    if args.resume:
        resume_dir, cfg = resume_point(args.resume)
    else:
        cfg = config_from_args(args)
        if args.print_config:
            print_config(cfg)
            return 0
    result = train_config(cfg, resume_dir)
    if result.rank != 0:  # other ranks of a torchrun launch: rank 0 reports
        return 0
    for line in result.summary:
        print_wrapped(line)
    if result.model is not None and result.config.train.verbosity != "quiet":
        print_decisions(result)
    print_metrics(result)
    print()
    print_wrapped(t("train.run_folder", path=result.run_dir))
    print_wrapped(t("train.report", path=result.run_dir / "report.md"))
    if args.emit_script:  # hakseup code RUN --output FILE
        from ..experiment.plain import write_plain_script

        _, path = write_plain_script(result.run_dir, args.emit_script)
        print_wrapped(t("code.written", path=path))
    return 0


def _check_script_file(path: str) -> None:
    from pathlib import Path

    from ..errors import HakseupError
    from ..io.files import check_output_file

    check_output_file(path, "--emit-script", HakseupError)
    if Path(path).exists():
        raise HakseupError(t("error.experiment.plain.output_exists", path=path))


def print_decisions(result) -> None:
    """The data decisions (columns dropped and why, values imputed, the target and task
    chosen) and the report's plain-words diagnosis, as the report lists them."""
    for title, lines in (
        ("train.decisions", getattr(result, "notices", None) or []),
        ("train.diagnosis", getattr(result, "diagnosis", None) or []),
    ):
        if lines:
            print("\n" + t(title))
        for line in lines:
            print_wrapped(line, first="  - ", rest="    ")


def print_metrics(result) -> None:
    """The test metrics next to the baseline's and each reference's, then what each
    reference's short name means (hgb, AutoETS, ...) and the references' verdict."""
    from ..evaluation.legend import run_legend
    from ..evaluation.report import metric_rows, reference_columns

    refs = (getattr(result, "references", None) or {}).get("metrics", {})
    print("\n" + t("train.test_metrics", name=result.run_dir.name))
    print_table(
        metric_rows(result.metrics, result.baseline, refs),
        header=(
            t("table.metric"),
            t("table.model"),
            result.baseline_name,
            *reference_columns(refs),
            t("table.vs_baseline"),
        ),
    )
    legend = run_legend(result.metrics, refs)
    if legend:
        print()
        print_wrapped(legend)
    verdict = (getattr(result, "references", None) or {}).get("verdict")
    if verdict and verdict not in result.summary:  # train's summary has said it already
        print()
        print_wrapped(verdict)
