"""What the references' short names mean: "hgb", "AutoETS" or "drift" said nothing to a
learner where a report, the terminal summary or a notebook showed them. One sentence names
each reference a run shows and what it is, from the catalog (``legend.*``), in the language
chosen.

Example:
    >>> from hakseup.i18n import set_language
    >>> set_language("en")
    >>> legend_key("seasonal naive (season 7)"), legend_key("hgb"), legend_key("network")
    ('seasonal_naive', 'hgb', None)
    >>> run_legend({}, {"majority": {}, "hgb": {}})[:40]
    'References, fitted on the same training '
    >>> set_language(None)
"""

from __future__ import annotations

import re

from ..i18n import Section, t
from .references import TRIVIAL

__all__ = ["LEGEND", "legend_key", "table_references", "run_legend"]

LEGEND = Section("legend")  # what each reference is, by its key
_SEASON = re.compile(r"\s*\(season \d+\)$")  # "seasonal naive (season 7)": one entry for all


def legend_key(name: str) -> str | None:
    """The ``legend.*`` entry that explains the reference ``name`` ("AutoETS" → "autoets",
    "seasonal naive (season 7)" → "seasonal_naive"), or None when the catalog has none."""
    word = _SEASON.sub("", name).strip().lower().replace(" ", "_")
    return word if word in LEGEND else None


def table_references(references: dict | None) -> list[str]:
    """The references a table's or a sequence's run shows as columns: the non-trivial ones
    (the majority class / mean is already the baseline column)."""
    return [n for n in (references or {}) if n not in TRIVIAL]


def _sentence(lead: str, names: list[str]) -> str:
    items = [(n, legend_key(n)) for n in names]
    said = "; ".join(f"{n}: {LEGEND[k]}" for n, k in items if k is not None)
    return t(lead, items=said) if said else ""


def run_legend(metrics: dict | None, references: dict | None) -> str:
    """One sentence per kind of reference a run shows — the classical references of a table
    or a sequence (``references``: name → metrics) and a forecast's reference forecasts
    (``metrics["baselines"]``) — naming each and saying what it is; "" when there are none."""
    forecasts = list((metrics or {}).get("baselines") or {})
    parts = [
        _sentence("report.references_legend", table_references(references)),
        _sentence("report.forecast_legend", forecasts),
    ]
    return " ".join(p for p in parts if p)
