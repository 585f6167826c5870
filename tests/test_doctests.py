"""Every example in hakseup's docstrings runs and prints what the docstring says.

The README's ``python -m pytest`` collects ``tests/`` only, so the package's doctests run from
here, one test per module (``python -m pytest --doctest-modules src/hakseup`` runs the same
examples). Each runs in the test's own temporary folder (conftest's ``_isolate``).
"""

from __future__ import annotations

import doctest
import importlib
import io
import pkgutil

import pytest

import hakseup

# ``__main__`` runs the CLI when imported.
MODULES = sorted(m.name for m in pkgutil.walk_packages(hakseup.__path__, "hakseup.")
                 if not m.name.endswith("__main__"))
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def examples(name: str) -> list[doctest.DocTest]:
    return doctest.DocTestFinder(exclude_empty=True).find(importlib.import_module(name), name)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    report = io.StringIO()
    for test in examples(name):
        runner.run(test, out=report.write)
    assert runner.failures == 0, report.getvalue()


def test_the_examples_are_found_and_most_run():
    """Guards against a doctest run that passes because it finds nothing."""
    assert {"hakseup.data.splits", "hakseup.data.batches", "hakseup.models.cnn"} <= set(MODULES)
    live = [ex for name in MODULES for t in examples(name) for ex in t.examples
            if not ex.options.get(doctest.SKIP)]
    assert len(live) >= 40, len(live)
