"""Load a saved preprocessing (``preprocessing.json``) back into its class.

Example:
    >>> pre = load_preprocessor(
    ...     json.loads(Path(run, "preprocessing.json").read_text()))     # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["load_preprocessor"]


def load_preprocessor(d: dict) -> Any:
    from .image.prepare import ImagePreprocessor
    from .table.prepare import TablePreprocessor

    kinds: dict[str, Callable[[dict], Any]] = {
        "image": ImagePreprocessor.from_dict,
        "table": TablePreprocessor.from_dict,
    }
    try:
        from .series.panel import PanelPreprocessor
        from .series.prepare import SeriesPreprocessor

        kinds["series"] = SeriesPreprocessor.from_dict
        kinds["panel"] = PanelPreprocessor.from_dict
    except ImportError:
        pass
    return kinds[d["kind"]](d)
