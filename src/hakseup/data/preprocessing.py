"""Load a saved preprocessing (``preprocessing.json``) back into its class.

Example:
    >>> pre = load_preprocessor(json.loads(Path(run, "preprocessing.json").read_text()))  # doctest: +SKIP
"""

from __future__ import annotations

__all__ = ["load_preprocessor"]


def load_preprocessor(d: dict):
    from .images import ImagePreprocessor
    from .tables import TablePreprocessor

    kinds = {"image": ImagePreprocessor, "table": TablePreprocessor}
    try:
        from .series import SeriesPreprocessor

        kinds["series"] = SeriesPreprocessor
    except ImportError:
        pass
    return kinds[d["kind"]].from_dict(d)
