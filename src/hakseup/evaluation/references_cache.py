"""The classical references' numbers, kept by the rows and settings they were fitted on.

The references (``references.fit_reference_numbers``) are a function of the training and test
rows after the network's preprocessing, the schema, the fitted preprocessing (regression
metrics are in the target's units), the names asked for, the seed, and the versions of the
libraries that fit and score them. Another run on the same data — a new learning rate, more
epochs, another network — asks for exactly the same numbers, and fitting them again cost a
default run more CPU (HistGradientBoosting on digits: ~2 s) than its training. So they are
stored under a SHA-256 of all of those (hakseup's own version standing for its code), in
``<cache>/references/`` (``data.cache_dir``, ``$HAKSEUP_CACHE`` or ``~/.cache/hakseup``),
and read back instead of refitting. What is stored is numbers: the metrics, and each notice
as its catalog key and fields — the sentences are written at report time, in the language of
that run. An entry that cannot be read or has the wrong shape is ignored and written again.
The newest ``KEEP`` entries are kept.

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

__all__ = ["references_key", "load", "store", "PendingReferences", "KEEP"]

KEEP = 256  # entries kept (a few KB each), the oldest removed first
FORMAT = "hakseup-references/2"
_LIBRARIES = (
    ("sklearn", "scikit_learn"),
    ("numpy", "numpy"),
    ("scipy", "scipy"),
    ("statsmodels", "statsmodels"),
    ("torch", "torch"),
)


def _folder(configured: str | None = None) -> Path:
    from ..io.download import cache_dir

    return cache_dir(configured) / "references"


def _tensor_bytes(h, t) -> None:
    arr = t.detach().cpu().contiguous().numpy()
    h.update(f"{arr.dtype.str}{arr.shape}".encode())
    h.update(memoryview(arr).cast("B"))


def _version(module: str, dist: str) -> str:
    """A library's version without importing it (a cache hit must not import scikit-learn;
    importlib.metadata scans every installed distribution: ~0.1 s for four)."""
    import importlib.util
    import sys

    mod = sys.modules.get(module)
    if mod is not None and getattr(mod, "__version__", None):
        return f"{module}=={mod.__version__}"
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.origin:
        return f"{module} missing"
    site = Path(spec.origin).parent  # a package's folder, or a module's own
    if spec.submodule_search_locations:
        site = site.parent
    found = sorted(p.name for p in site.glob(f"{dist}-*.dist-info"))
    return found[-1] if found else f"{module} at {site}"


def _versions() -> list[str]:
    from .. import __version__

    return [
        f"hakseup=={__version__}",
        platform.machine(),
        platform.python_version(),
        *(_version(module, dist) for module, dist in _LIBRARIES),
    ]


def references_key(bundle, names, seed: int) -> str | None:
    """The SHA-256 naming this bundle's references; None where they are not cached (lazy
    data, forecasts, nothing to fit: those cost nothing or cannot be hashed cheaply)."""
    from ..data.bundle import is_lazy

    if (
        names == "none"
        or bundle.schema.task == "forecast"
        or is_lazy(bundle.train)
        or is_lazy(bundle.test)
    ):
        return None
    h = hashlib.sha256(FORMAT.encode() + b"\n")
    try:
        settings = {
            "names": names,
            "seed": seed,
            "schema": bundle.schema.to_dict(),
            "preprocessing": bundle.preprocessor.to_dict(),
            "versions": _versions(),
        }
        h.update(json.dumps(settings, sort_keys=True, default=str).encode())
        for split in (bundle.train, bundle.test):
            for t in (*split.inputs, split.target):
                _tensor_bytes(h, t)
    except (AttributeError, TypeError, ValueError, OSError):  # something unhashable: refit
        return None
    return h.hexdigest()


def _numbers(refs, notes) -> bool:
    """Whether (refs, notes) has the shape ``fit_reference_numbers`` returns."""
    return (
        isinstance(refs, dict)
        and all(isinstance(m, dict) for m in refs.values())
        and isinstance(notes, list)
        and all(
            isinstance(n, list) and len(n) == 2 and isinstance(n[0], str) and isinstance(n[1], dict)
            for n in notes
        )
    )


def load(key: str | None, configured: str | None = None) -> tuple[dict, list] | None:
    """(metrics per reference, notes) stored under ``key``, or None (absent or unusable)."""
    if key is None:
        return None
    try:
        data = json.loads((_folder(configured) / f"{key}.json").read_text(encoding="utf-8"))
        refs, notes = data["refs"], data["notes"]
    except (OSError, ValueError, KeyError, TypeError):  # absent, torn or foreign
        return None
    return (refs, notes) if data.get("format") == FORMAT and _numbers(refs, notes) else None


def store(key: str | None, refs: dict, notes: list, configured: str | None = None) -> None:
    """Keep the numbers, atomically (a cache that cannot be written is no error: the next
    run refits)."""
    if key is None:
        return
    from ..io.files import atomic_write_json

    folder = _folder(configured)
    try:
        atomic_write_json(folder / f"{key}.json", {"format": FORMAT, "refs": refs, "notes": notes})
        entries = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime)
        for old in entries[:-KEEP]:
            old.unlink(missing_ok=True)
    except OSError:
        pass


class PendingReferences:
    """The references of ``bundle`` (``names``: all or none; ``seed``): read back from the
    cache (``cache_dir``: ``data.cache_dir``), else fitted when ``result()`` asks for them."""

    def __init__(self, bundle, names: str = "all", seed: int = 0, cache_dir: str | None = None):
        self.bundle, self.names, self.seed, self.cache_dir = bundle, names, seed, cache_dir
        self.key = references_key(bundle, names, seed)
        self.cached = load(self.key, cache_dir)
        if names == "none" or bundle.schema.task == "forecast":
            self.cached = ({}, [])  # nothing to fit

    def result(self) -> tuple[dict, list[str]]:
        """(metrics per reference, notices in the current language)."""
        from .references import fit_reference_numbers, render_notes

        if self.cached is None:
            fitted = fit_reference_numbers(self.bundle, self.names, self.seed)
            # Through JSON, as read back from the cache: the same values either way.
            refs, notes = json.loads(json.dumps(fitted))
            self.cached = (refs, notes)
            store(self.key, refs, notes, self.cache_dir)
        refs, notes = self.cached
        return refs, render_notes(notes)
