"""The human report of a run: ``report.md`` and a self-contained ``report.html``.

Every test metric stands next to the baseline's value, so a number is never shown alone.

Example:
    >>> write_reports(run_dir, context)          # doctest: +SKIP
"""

from __future__ import annotations

import base64
import html
import math
import os
from pathlib import Path
from typing import Any

from ..i18n import Section, language, t, term
from ..io.files import atomic_write_text
from ..metrics import LOWER_IS_BETTER
from .legend import run_legend, table_references

__all__ = ["write_reports", "metric_rows", "reference_columns", "format_value"]

# The report's headings, from the message catalog (``report.*`` in hakseup/i18n/*.json),
# read when the report is written so they follow the language chosen.
HEADINGS = Section("report")

# Scalar metrics in the order they are shown (the rest follow alphabetically).
_ORDER = [
    "accuracy",
    "balanced_accuracy",
    "precision",
    "recall",
    "f1",
    "pr_auc",
    "precision_macro",
    "recall_macro",
    "f1_macro",
    "precision_weighted",
    "recall_weighted",
    "f1_weighted",
    "roc_auc",
    "mae",
    "rmse",
    "mse",
    "mape",
    "mase",
    "r2",
]


def format_value(v: Any) -> str:
    if isinstance(v, float):
        if math.isnan(v):
            return "n/a"
        return f"{v:.4f}" if abs(v) < 1000 else f"{v:,.1f}"
    return str(v)


def reference_columns(references: dict | None) -> list[str]:
    """The references shown as columns: the non-trivial ones (the majority class / mean is
    already the baseline column)."""
    return table_references(references)


def metric_rows(
    metrics: dict, baseline: dict, references: dict | None = None
) -> list[tuple[str, ...]]:
    """(metric, model, baseline, [one per classical reference,] verdict) per scalar metric."""
    references = references or {}
    keys = [k for k in _ORDER if k in metrics] + sorted(
        k for k, v in metrics.items() if k not in _ORDER and isinstance(v, (int, float))
    )
    refs = reference_columns(references)
    rows = []
    for k in keys:
        m, b = metrics[k], baseline.get(k)
        verdict = ""
        if isinstance(b, (int, float)) and not (math.isnan(m) or math.isnan(b)):
            lower = k in LOWER_IS_BETTER
            better = m < b if lower else m > b
            verdict = t("verdict." + ("better" if better else ("same" if m == b else "worse")))
        cols = [
            format_value(references[n][k])
            if isinstance(references[n].get(k), (int, float))
            else "—"
            for n in refs
        ]
        rows.append((k, format_value(m), format_value(b) if b is not None else "—", *cols, verdict))
    return rows


def _md_table(header: list[str], rows: list[tuple]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def write_reports(run_dir: str | os.PathLike, ctx: dict) -> tuple[Path, Path]:
    """Write report.md and report.html from a context dict (see ``experiment.py``)."""
    run_dir = Path(run_dir)
    md = _markdown(run_dir, ctx)
    html_text = _html(run_dir, ctx)
    return (
        atomic_write_text(run_dir / "report.md", md),
        atomic_write_text(run_dir / "report.html", html_text),
    )


def _sections(ctx: dict) -> list[tuple[str, Any]]:
    """The report's content as (heading, payload) pairs shared by both formats."""
    rows = metric_rows(ctx["metrics"], ctx["baseline_metrics"], ctx.get("references"))
    summary = ctx.get("summary_lines", [])
    # Row names through the catalog (``summary_key.*``); a name it lacks is shown as it is.
    data_rows = [
        (term("summary_key", k), format_value(v)) for k, v in ctx.get("data_summary", {}).items()
    ]
    train_rows = [
        (term("summary_key", k), format_value(v))
        for k, v in ctx.get("training_summary", {}).items()
    ]
    return [
        ("summary", summary),
        ("diagnosis", ctx.get("diagnosis", [])),
        ("per_class", ctx.get("per_class", [])),
        ("metrics", rows),
        ("data", data_rows),
        ("training", train_rows),
        ("notices", ctx.get("notices", [])),
        ("extra", ctx.get("extra_sections", [])),
    ]


def _metric_header(ctx: dict) -> list[str]:
    return (
        [t("table.metric"), t("table.model"), ctx["baseline_name"]]
        + reference_columns(ctx.get("references"))
        + [HEADINGS["vs_baseline"]]
    )


def _markdown(run_dir: Path, ctx: dict) -> str:
    s = dict(_sections(ctx))
    out = [f"# {HEADINGS['title'].format(name=ctx['name'])}", ""]
    out += [f"- {line}" for line in s["summary"]] + [""]
    if s["diagnosis"]:
        out += [f"## {HEADINGS['diagnosis']}", ""] + [f"- {d}" for d in s["diagnosis"]] + [""]
    out += [
        f"## {HEADINGS['test_metrics'].format(name=ctx['baseline_name'])}",
        "",
        _md_table(_metric_header(ctx), s["metrics"]),
        "",
    ]
    legend = run_legend(ctx["metrics"], ctx.get("references"))  # what "hgb", "AutoETS" are
    out += [legend, ""] if legend else []
    if s["per_class"]:
        from .curves import PER_CLASS_HEADER

        out += [
            f"## {HEADINGS['per_class']}",
            "",
            _md_table(list(PER_CLASS_HEADER), s["per_class"]),
            "",
        ]
    for title, body in s["extra"]:
        out += [f"## {title}", "", body, ""]
    out += [f"## {HEADINGS['data']}", "", _md_table(["", ""], s["data"]), ""]
    out += [f"## {HEADINGS['training']}", "", _md_table(["", ""], s["training"]), ""]
    if s["notices"]:
        out += [f"## {HEADINGS['notices']}", ""] + [f"- {n}" for n in s["notices"]] + [""]
    plots = sorted((run_dir / "plots").glob("*.png")) if (run_dir / "plots").exists() else []
    if plots:
        out += (
            [f"## {HEADINGS['plots']}", ""] + [f"![{p.stem}](plots/{p.name})" for p in plots] + [""]
        )
    out += [
        f"## {HEADINGS['configuration']}",
        "",
        "```yaml",
        ctx["config_yaml"].rstrip(),
        "```",
        "",
    ]
    env = ctx.get("environment", {})
    out += [
        f"## {HEADINGS['environment']}",
        "",
        _md_table(["", ""], [(k, v) for k, v in env.items() if not isinstance(v, (dict, list))]),
        "",
    ]
    return "\n".join(out)


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;
max-width:960px;padding:0 1rem;color:#1f2328;line-height:1.45}
h1{font-size:1.6rem;border-bottom:1px solid #d0d7de;padding-bottom:.3rem}
h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #eaeef2}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #d0d7de;padding:.3rem .7rem;
text-align:left}th{background:#f6f8fa}td.num{text-align:right;font-variant-numeric:tabular-nums}
.better{color:#1a7f37;font-weight:600}.worse{color:#cf222e;font-weight:600}
img{max-width:100%;border:1px solid #eaeef2;margin:.5rem 0}pre{background:#f6f8fa;padding:.8rem;
overflow:auto;font-size:.85rem}.notice{background:#fff8c5;padding:.3rem .6rem;margin:.2rem 0}
ul.diagnosis li{margin:.3rem 0}
"""


def _html_table(header, rows, cls_col=None, numbers=None) -> str:
    """An HTML table: numeric columns right-aligned, verdict cells of ``cls_col`` coloured."""
    e = html.escape
    head = "".join(f"<th>{e(h)}</th>" for h in header)
    numbers = numbers or (range(1, len(header) - 1) if header[0] == t("table.metric") else ())
    verdicts = {t("verdict.better"): "better", t("verdict.worse"): "worse"}  # CSS classes
    body = []
    for r in rows:
        cells = []
        for i, c in enumerate(r):
            cls = ' class="num"' if i in numbers else ""
            if cls_col is not None and i == cls_col and c in verdicts:
                cls = f' class="{verdicts[c]}"'
            cells.append(f"<td{cls}>{e(str(c))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    thead = f"<thead><tr>{head}</tr></thead>" if any(header) else ""
    return f"<table>{thead}<tbody>{''.join(body)}</tbody></table>"


def _html_plots(run_dir: Path) -> list[str]:
    """The run's PNG plots as HTML figures, embedded so the page works offline and when moved."""
    e = html.escape
    plots = sorted((run_dir / "plots").glob("*.png")) if (run_dir / "plots").exists() else []
    if not plots:
        return []
    parts = [f"<h2>{e(HEADINGS['plots'])}</h2>"]
    for p in plots:
        data = base64.b64encode(p.read_bytes()).decode("ascii")
        parts.append(
            f'<figure><img alt="{e(p.stem)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{e(p.stem.replace('_', ' '))}</figcaption></figure>"
        )
    return parts


def _html(run_dir: Path, ctx: dict) -> str:
    e = html.escape
    s = dict(_sections(ctx))

    parts = [f"<h1>{e(HEADINGS['title'].format(name=ctx['name']))}</h1>", "<ul>"]
    parts += [f"<li>{e(line)}</li>" for line in s["summary"]] + ["</ul>"]
    if s["diagnosis"]:
        parts += [f"<h2>{e(HEADINGS['diagnosis'])}</h2>", '<ul class="diagnosis">']
        parts += [f"<li>{e(d)}</li>" for d in s["diagnosis"]] + ["</ul>"]
    parts += [
        f"<h2>{e(HEADINGS['test_metrics'].format(name=ctx['baseline_name']))}</h2>",
        _html_table(_metric_header(ctx), s["metrics"], cls_col=len(_metric_header(ctx)) - 1),
    ]
    legend = run_legend(ctx["metrics"], ctx.get("references"))
    parts += [f"<p>{e(legend)}</p>"] if legend else []
    if s["per_class"]:
        from .curves import PER_CLASS_HEADER

        parts += [
            f"<h2>{e(HEADINGS['per_class'])}</h2>",
            _html_table(
                list(PER_CLASS_HEADER), s["per_class"], numbers=range(1, len(PER_CLASS_HEADER))
            ),
        ]
    for title, body in s["extra"]:
        parts += [f"<h2>{e(title)}</h2>", f"<pre>{e(body)}</pre>"]
    parts += [f"<h2>{e(HEADINGS['data'])}</h2>", _html_table(["", ""], s["data"])]
    parts += [f"<h2>{e(HEADINGS['training'])}</h2>", _html_table(["", ""], s["training"])]
    if s["notices"]:
        parts += [f"<h2>{e(HEADINGS['notices'])}</h2>"] + [
            f'<div class="notice">{e(n)}</div>' for n in s["notices"]
        ]
    parts += _html_plots(run_dir)
    parts += [f"<h2>{e(HEADINGS['configuration'])}</h2>", f"<pre>{e(ctx['config_yaml'])}</pre>"]
    env = ctx.get("environment", {})
    env_rows = [(k, v) for k, v in env.items() if not isinstance(v, (dict, list))]
    parts += [f"<h2>{e(HEADINGS['environment'])}</h2>", _html_table(["", ""], env_rows)]
    return (
        f'<!DOCTYPE html>\n<html lang="{language()}"><head><meta charset="utf-8">'
        f"<title>hakseup report: {e(ctx['name'])}</title><style>{_CSS}</style></head>"
        f"<body>{''.join(parts)}</body></html>\n"
    )
