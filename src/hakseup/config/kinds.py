"""Keys that only one kind of data reads: given for another kind, they would be ignored in
silence (``--horizon 3`` on a table, ``--categorical`` on a series), so one line says so.

Example:
    >>> cfg = RunConfig.from_dict({"data": {"horizon": 3}})
    >>> unread_keys(cfg, "table")
    ['data.horizon']
    >>> unread_keys(cfg, "series")
    []
"""

from __future__ import annotations

from .schema import RunConfig

__all__ = ["SERIES_ONLY", "TABLE_ONLY", "unread_keys"]

# Read only when forecasting a time series (data/series/).
SERIES_ONLY: tuple[str, ...] = (
    "data.window",
    "data.horizon",
    "data.interval",
    "data.season",
    "data.fill_gaps",
    "data.difference",
    "data.transform",
    "data.season_features",
    "data.duplicates",
    "data.dayfirst",
)
# Read only for a table's rows (data/table/), never by a series' windows.
TABLE_ONLY: tuple[str, ...] = (
    "data.categorical",
    "data.numeric",
    "data.layout",
    "data.sequence_shape",
)


def unread_keys(cfg: RunConfig, input_kind: str) -> list[str]:
    """The keys the user gave (``cfg.given``) with a value other than the default, that data
    of ``input_kind`` does not read (a saved config.yaml holds every key at its default)."""
    if input_kind == "series":
        unread = TABLE_ONLY
    elif input_kind in ("table", "sequence"):
        unread = SERIES_ONLY
    else:
        unread = SERIES_ONLY + TABLE_ONLY
    default = RunConfig()
    return [k for k in unread if k in cfg.given and _value(cfg, k) != _value(default, k)]


def _value(cfg: RunConfig, key: str):
    section, name = key.split(".", 1)
    return getattr(getattr(cfg, section), name)
