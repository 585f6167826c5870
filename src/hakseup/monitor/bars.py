"""Which tqdm a progress bar uses: the ipywidgets bar in a Jupyter notebook when ipywidgets is
importable, else the plain text one — ``tqdm.auto`` would warn "IProgress not found" in a
notebook without ipywidgets.

Example:
    >>> tqdm_class().__module__        # not in a notebook here
    'tqdm.std'
"""

from __future__ import annotations

import importlib.util
import sys

__all__ = ["in_notebook", "tqdm_class"]


def in_notebook() -> bool:
    """True inside a Jupyter (IPython kernel) session."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    try:
        shell = ipython.get_ipython()
    except Exception:
        return False
    return shell is not None and getattr(shell, "kernel", None) is not None


def tqdm_class(widgets: bool = True):
    """``tqdm.notebook.tqdm`` in a notebook with ipywidgets (and ``widgets``), else
    ``tqdm.std.tqdm``."""
    if widgets and in_notebook() and importlib.util.find_spec("ipywidgets"):
        from tqdm.notebook import tqdm
    else:
        from tqdm.std import tqdm
    return tqdm
