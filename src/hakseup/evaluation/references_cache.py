"""The classical references' results, kept by the content of everything they depend on.

The references (``references.fit_references``) are a pure function of the training and test
rows after the network's preprocessing, the schema, the fitted preprocessing (regression
metrics are in the target's units), the names asked for, the seed, and the code and
libraries that fit and score them. Another run on the same data — a new learning rate, more
epochs, another network — asks for exactly the same numbers, and fitting them again cost a
default run more CPU (HistGradientBoosting on digits: ~2 s) than its training. So the answer
is stored under a SHA-256 of all of those, in ``<cache>/references/`` (``data.cache_dir``,
``$HAKSEUP_CACHE`` or ``~/.cache/hakseup``), and read back instead of refitting: the same
JSON the forked worker sends, so ``metrics.json`` is the same either way. A changed row,
setting, source line of ``references.py`` or ``metrics.py``, or library version is another
key. The newest ``KEEP`` answers are kept.

Example:
    >>> key = references_key(bundle, "all", seed=0)          # doctest: +SKIP
    >>> load(key) is None                                     # doctest: +SKIP
    True
"""

from __future__ import annotations

import hashlib
import json
import platform
from pathlib import Path

__all__ = ["references_key", "load", "store", "KEEP"]

KEEP = 256                     # answers kept (about 2-4 KB each), the oldest removed first
_LIBRARIES = (("sklearn", "scikit_learn"), ("numpy", "numpy"), ("scipy", "scipy"),
              ("torch", "torch"), ("threadpoolctl", "threadpoolctl"))


def _folder(configured: str | None = None) -> Path:
    from ..io.download import cache_dir

    return cache_dir(configured) / "references"


def _tensor_bytes(h, t) -> None:
    arr = t.detach().cpu().contiguous().numpy()
    h.update(f"{arr.dtype.str}{arr.shape}".encode())
    h.update(memoryview(arr).cast("B"))


def _version(module: str, dist: str) -> str:
    """A library's version without importing it (importlib.metadata scans every installed
    distribution: ~0.1 s for four)."""
    import importlib.util
    import sys

    mod = sys.modules.get(module)
    if getattr(mod, "__version__", None):
        return f"{module}=={mod.__version__}"
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.origin:
        return f"{module} missing"
    site = Path(spec.origin).parent         # a package's folder, or a module's own
    if spec.submodule_search_locations:
        site = site.parent
    found = sorted(p.name for p in site.glob(f"{dist}-*.dist-info"))
    return found[-1] if found else f"{module} at {site}"


def _code_and_libraries() -> str:
    """The sources that compute the numbers, and the versions of what they call."""
    from . import references
    from .. import metrics

    parts = [Path(m.__file__).read_text(encoding="utf-8") for m in (references, metrics)]
    parts += [_version(module, dist) for module, dist in _LIBRARIES]
    return "\n".join(parts + [platform.machine(), platform.python_version()])


def references_key(bundle, names, seed: int) -> str | None:
    """The SHA-256 naming this bundle's references; None where they are not cached (lazy
    data, forecasts, nothing to fit: those cost nothing or cannot be hashed cheaply)."""
    from ..data.bundle import is_lazy

    if names == "none" or bundle.schema.task == "forecast" or is_lazy(bundle.train) \
            or is_lazy(bundle.test):
        return None
    h = hashlib.sha256(b"hakseup-references/1\n")
    try:
        settings = {"names": names, "seed": seed, "schema": bundle.schema.to_dict(),
                    "preprocessing": bundle.preprocessor.to_dict()}
        h.update(json.dumps(settings, sort_keys=True, default=str).encode())
        for split in (bundle.train, bundle.test):
            for t in (*split.inputs, split.target):
                _tensor_bytes(h, t)
        h.update(_code_and_libraries().encode())
    except (AttributeError, TypeError, ValueError, OSError):   # something unhashable: refit
        return None
    return h.hexdigest()


def load(key: str | None, configured: str | None = None) -> tuple[dict, list] | None:
    """(metrics per reference, notices) stored under ``key``, or None."""
    if key is None:
        return None
    try:
        data = json.loads((_folder(configured) / f"{key}.json").read_text(encoding="utf-8"))
        return data["refs"], data["notices"]
    except (OSError, ValueError, KeyError, TypeError):        # absent, torn or foreign
        return None


def store(key: str | None, refs: dict, notices: list, configured: str | None = None) -> None:
    """Keep an answer (a cache that cannot be written is no error: the next run refits)."""
    if key is None:
        return
    from ..io.files import atomic_write_json

    folder = _folder(configured)
    try:
        atomic_write_json(folder / f"{key}.json", {"refs": refs, "notices": notices})
        entries = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime)
        for old in entries[:-KEEP]:
            old.unlink(missing_ok=True)
    except OSError:
        pass
