"""``hakseup summary``: a model's layer table."""

from __future__ import annotations

import argparse
import math

from ..i18n import t
from .common import add_run_argument, add_set_flag, command_parser, print_table

EXAMPLES = """\
examples:
  hakseup summary runs/<id>
  hakseup summary --model mlp --input-shape 1,28,28
  hakseup summary --model lstm --input-shape 28,28 --outputs 10
"""


def register(sub) -> None:
    p = command_parser(sub, "summary", EXAMPLES)
    add_run_argument(p, optional=True)
    p.add_argument("--model", metavar="NAME", help="mlp, cnn, lstm, gru, linear, or FILE.py:Class")
    p.add_argument(
        "--input-shape",
        metavar="S",
        help="one sample's shape, e.g. 1,28,28 (image), 28,28 (sequence) or 20 (features)",
    )
    p.add_argument("--outputs", type=int, default=10, metavar="N", help="outputs (default 10)")
    add_set_flag(p, "model.* keys, e.g. --set model.hidden=[196,49]")
    p.set_defaults(func=run)


MAX_INPUT = 10_000_000  # values in one sample, or outputs: beyond it a summary needs gigabytes


def _schema(shape_text: str, outputs: int):
    from ..data.bundle import Schema
    from ..errors import HakseupError

    try:
        shape = tuple(int(v) for v in shape_text.replace("x", ",").split(",") if v.strip())
    except ValueError:
        shape = ()
    if not shape or any(d < 1 for d in shape) or len(shape) > 3 or math.prod(shape) > MAX_INPUT:
        raise HakseupError(
            t("error.cli.summary.invalid_input_shape", shape_text=shape_text, max_input=MAX_INPUT)
        )
    if not 1 <= outputs <= MAX_INPUT:
        raise HakseupError(
            t("error.cli.summary.invalid_outputs", outputs=outputs, max_input=MAX_INPUT)
        )
    kind = {3: "image", 2: "sequence", 1: "table"}[len(shape)]
    return Schema(
        "multiclass",
        kind,
        shape,
        outputs,
        numeric_features=[f"x{i}" for i in range(shape[0])] if kind == "table" else [],
    )


def run(args: argparse.Namespace) -> int:
    import torch

    from ..errors import HakseupError

    if args.run:
        from ..predict import load_trained
        from ..run.check import check_run

        check_run(args.run)
        cfg, schema, _, model = load_trained(args.run)
        title = args.run
    else:
        if not (args.model and args.input_shape):
            raise HakseupError(t("error.summary_needs"))
        from ..config import RunConfig
        from ..config.load import apply_overrides
        from ..models.registry import build_model

        cfg = RunConfig.from_dict(apply_overrides({"model": {"name": args.model}}, args.overrides))
        schema = _schema(args.input_shape, args.outputs)
        model = build_model(cfg.model, schema)
        title = f"{args.model} on input {tuple(schema.input_shape)}"
    from ..models.summary import summarize

    example = [torch.zeros(2, *schema.input_shape)]
    if schema.input_kind == "table":
        example.append(torch.zeros(2, len(schema.categorical_features), dtype=torch.long))
    rows, totals = summarize(model, tuple(example))
    print(f"{type(model).__name__}: {title}\n")
    print_table(
        [
            (r["layer"], r["type"], r["output"], f"{r['parameters']:,}", f"{r['trainable']:,}")
            for r in rows
        ],
        header=("layer", "type", "output shape (batch 2)", "parameters", "trainable"),
    )
    print(
        "\n"
        + t(
            "summary.total",
            n=totals["parameters"],
            trainable=totals["trainable"],
            frozen=totals["non_trainable"],
            mb=totals["size_mb"],
        )
    )
    return 0
