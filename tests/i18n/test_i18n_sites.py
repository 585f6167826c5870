"""Every user error's message comes from the catalogs, so that ``--lang ko`` shows it in Korean.

A user-error site is a call that builds a ``HakseupError`` subclass (in a ``raise`` or not), or
the ``error`` class a function was given (``fileio``). Its message goes through the catalog when
it calls ``t``/``term``/``unknown_choice``/``describe_os_error``, a helper of the same module that
does, a ``Section`` lookup, or is a variable assigned from such a call. A message written out in
English (an f-string) fails, naming the site.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "hakseup"
ERRORS = {"HakseupError", "ConfigError", "DataError", "CheckpointError", "DamagedRunError",
          "TrainingDiverged", "YAMLSyntaxError", "NoGPU"}
CATALOG = {"t", "term", "unknown_choice", "describe_os_error"}


def _name(func: ast.expr) -> str | None:
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)


def _calls(node: ast.AST, names: set[str]) -> bool:
    return any(isinstance(n, ast.Call) and _name(n.func) in names for n in ast.walk(node))


def _module_sites(path: Path, root: Path = SRC.parent) -> tuple[int, list[str]]:
    """(user-error sites, those whose message is not from the catalog) of one module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    helpers = CATALOG | {f.name for f in ast.walk(tree)
                         if isinstance(f, ast.FunctionDef) and _calls(f, CATALOG)}
    sections = {t.id for s in tree.body if isinstance(s, ast.Assign)
                and isinstance(s.value, ast.Call) and _name(s.value.func) == "Section"
                for t in s.targets if isinstance(t, ast.Name)}
    functions = [f for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef,
                                                             ast.AsyncFunctionDef))]
    total, english = 0, []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and (_name(node.func) in ERRORS or
                                                isinstance(node.func, ast.Name)
                                                and node.func.id == "error")):
            continue
        args = node.args[1:] if _name(node.func) == "DamagedRunError" else node.args
        if not args:          # no message given here (the class builds its own)
            continue
        message = args[0]
        ok = _calls(message, helpers) or any(
            isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name)
            and n.value.id in sections for n in ast.walk(message))
        if not ok and isinstance(message, ast.Name):   # msg = t(...); raise Error(msg)
            around = [f for f in functions if f.lineno <= node.lineno <= f.end_lineno]
            ok = any(isinstance(a, ast.Assign) and _calls(a.value, CATALOG) and any(
                isinstance(t, ast.Name) and t.id == message.id for t in a.targets)
                for f in around[-1:] for a in ast.walk(f))
        total += 1
        if not ok:
            english.append(f"{path.relative_to(root)}:{node.lineno}")
    return total, english


def test_every_user_error_message_comes_from_the_catalog():
    total, english = 0, []
    for path in sorted(SRC.rglob("*.py")):
        n, bad = _module_sites(path)
        total += n
        english += bad
    assert total > 250        # the check sees the sites (a parse that found none would pass)
    assert not english, f"messages written out instead of t('key', ...): {english}"


def test_the_check_finds_an_english_message(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("from hakseup.i18n import t\n"
                      "def f(x):\n    raise DataError(f'bad {x}')\n"
                      "def g(x):\n    raise DataError(t('error.bad', x=x))\n")
    assert _module_sites(module, root=tmp_path) == (2, ["m.py:3"])
