"""Load a saved preprocessing (``preprocessing.json``) back into its class.

Example:
    >>> pre = load_preprocessor(json.loads(Path(run, "preprocessing.json").read_text()))  # doctest: +SKIP
"""

from __future__ import annotations

__all__ = ["load_preprocessor"]


def load_preprocessor(d: dict):
    from .image.prepare import ImagePreprocessor
    from .table.prepare import TablePreprocessor

    kinds = {"image": ImagePreprocessor, "table": TablePreprocessor}
    try:
        from .series.prepare import SeriesPreprocessor

        kinds["series"] = SeriesPreprocessor
    except ImportError:
        pass
    return kinds[d["kind"]].from_dict(d)
