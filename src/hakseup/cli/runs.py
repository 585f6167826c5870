"""``hakseup runs``: list and compare runs."""

from __future__ import annotations

import argparse

from ..i18n import t
from .common import command_parser, print_table

EXAMPLES = """\
examples:
  hakseup runs
  hakseup runs path/to/runs
  hakseup runs compare runs/A runs/B
"""


def register(sub) -> None:
    p = command_parser(sub, "runs", EXAMPLES)
    p.add_argument("args", nargs="*", metavar="DIR | compare RUN RUN...")
    p.set_defaults(func=run)


def _flat(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and v:
            out.update(_flat(v, key + "."))
        else:
            out[key] = v
    return out


def run(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from ..errors import HakseupError
    from ..run.check import check_run_files, read_metrics, run_records

    if args.args and args.args[0] == "compare":
        paths = args.args[1:]
        if len(paths) < 2:
            raise HakseupError(t("error.cli.runs.runs_compare_needs"))
        configs = [_flat(check_run_files(p)[0].to_dict()) for p in paths]
        names = [Path(p).name for p in paths]
        keys = sorted(
            k
            for k in set().union(*configs)
            if len({json.dumps(c.get(k), default=str) for c in configs}) > 1
        )
        print("Config differences:" if keys else "Configs are identical.")
        if keys:
            print_table([(k, *[c.get(k) for c in configs]) for k in keys], header=("key", *names))
        metrics = [read_metrics(p) for p in paths]
        scalar = sorted(
            k
            for k in set().union(*metrics)
            if all(isinstance(m.get(k), (int, float)) for m in metrics if k in m)
        )
        print("\nTest metrics:")
        print_table(
            [(k, *[f"{m[k]:.4f}" if k in m else "—" for m in metrics]) for k in scalar],
            header=("metric", *names),
        )
        return 0
    if len(args.args) > 1:
        raise HakseupError(t("error.cli.runs.runs_takes_one"))
    root = args.args[0] if args.args else "runs"
    if not Path(root).is_dir():
        raise HakseupError(t("error.cli.runs.runs_folder_does", root=root))
    rows = []
    for r in run_records(root):
        main = r.get("main_metric") or {}
        metric = ", ".join(f"{k} {v:.4f}" for k, v in main.items()) or "—"
        rows.append(
            (
                r.get("name", "?"),
                r.get("created", "")[:16].replace("T", " "),
                Path(str(r.get("dataset") or "—")).name,
                r.get("model", "—"),
                metric,
                f"{r['duration_s']:.1f} s" if "duration_s" in r else "—",
                r.get("status"),
            )
        )
    if not rows:
        print(t("runs.none", root=root))
        return 0
    print_table(
        rows, header=("run", "created", "data", "model", "main metric", "duration", "status")
    )
    return 0
