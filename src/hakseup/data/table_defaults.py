"""The defaults a CSV table gets: what ``hakseup train --data FILE --target COL`` trains when
the user sets nothing else.

The plain defaults in ``config.py`` were chosen for the offline digits MLP; on small real tables
they lost to a logistic regression. A run on a table (a CSV, no time column, no recipe, the
model ``auto`` or ``tabular``) starts from ``TABLE_DEFAULTS`` instead, *underneath* the config
file, flags and ``--set``: whatever the user sets still wins, and ``--print-config`` shows every
value. Each value was kept only where ``benchmarks/quality.py`` showed it helped across the
suite (README, "Defaults for tables").

Example:
    >>> applies({"data": {"path": "cars.csv"}})
    True
    >>> applies({"data": {"path": "prices.csv", "time_col": "Date"}})
    False
"""

from __future__ import annotations

import copy

__all__ = ["TABLE_DEFAULTS", "applies", "with_table_defaults"]

TABLE_DEFAULTS: dict = {
    "model": {"hidden": [128, 64], "dropout": 0.1, "batch_norm": False, "ensemble": 4},
    "train": {"optimizer": "adamw", "lr": 0.001, "weight_decay": 0.01, "scheduler": "warmup",
              "warmup_epochs": 2, "epochs": 200, "batch_size": 64},
}


def applies(merged: dict) -> bool:
    """Whether a merged config mapping describes a plain table run (see the module doc)."""
    data, model = merged.get("data"), merged.get("model")
    if not isinstance(data, dict) or not isinstance(model or {}, dict):
        return False          # not a mapping: RunConfig.from_dict says so in one line
    model = model or {}
    return bool(data.get("path")) and not data.get("time_col") \
        and data.get("layout", "auto") in ("auto", "table", None) \
        and model.get("name", "auto") in ("auto", "tabular", None)


def with_table_defaults(merged: dict) -> dict:
    """``merged`` on top of ``TABLE_DEFAULTS`` (a new mapping; ``merged`` wins everywhere)."""
    out = copy.deepcopy(TABLE_DEFAULTS)
    for section, values in merged.items():
        if isinstance(values, dict) and isinstance(out.get(section), dict) and section != "tune":
            out[section].update(values)
        else:
            out[section] = values
    return out
