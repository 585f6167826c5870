"""Messages in English and Korean: one JSON catalog per language (``en.json``, ``ko.json``),
looked up by key with :func:`t`. The language is, in order: :func:`set_language` (the CLI's
``--lang``), ``HAKSEUP_LANG``, then the locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``: one
starting with ``ko`` means Korean); anything else is English.

Commands, flags and config keys (``hakseup train``, ``--epochs``, ``train.lr``) are never
translated: the Korean strings quote them as they are typed (a test checks it).

Example:
    >>> set_language("en"); t("cli.error", message="no such file")
    'hakseup: error: no such file'
    >>> set_language(None)
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path

__all__ = [
    "LANGUAGES",
    "t",
    "term",
    "language",
    "set_language",
    "catalog",
    "Section",
    "language_from_argv",
]

LANGUAGES = ("en", "ko")
_chosen: str | None = None


@cache
def catalog(lang: str) -> dict[str, str]:
    """The flat key → text catalog of one language (read once; callers never change it)."""
    return json.loads((Path(__file__).with_name(f"{lang}.json")).read_text(encoding="utf-8"))


def _normalise(value: str | None) -> str | None:
    if not value:
        return None
    v = value.strip().lower()
    if v.startswith("ko"):
        return "ko"
    if v.startswith("en") or v in ("c", "posix"):
        return "en"
    return None


def language() -> str:
    """The language messages are written in now: 'en' or 'ko'."""
    if _chosen:
        return _chosen
    explicit = _normalise(os.environ.get("HAKSEUP_LANG"))
    if explicit:
        return explicit
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var)
        if value:  # the first one set decides, as in POSIX locale resolution
            return "ko" if value.lower().startswith("ko") else "en"
    return "en"


def set_language(lang: str | None) -> None:
    """Choose the language ('en' or 'ko'); None goes back to the environment's choice."""
    global _chosen
    if lang is not None and lang not in LANGUAGES:  # the CLI has said so in one line already
        raise ValueError(t("error.bad_lang", value=lang, choices=", ".join(LANGUAGES)))
    _chosen = lang


def t(key: str, /, **fields) -> str:
    """The message ``key`` in the current language, its ``{placeholders}`` filled. A key
    missing from the Korean catalog falls back to English (the parity test keeps none)."""
    lang = language()
    text = catalog(lang).get(key)
    if text is None:
        text = catalog("en")[key]
    return text.format(**fields) if fields else text


def term(section: str, word: str) -> str:
    """``word`` translated through ``section.word`` when the catalog has it (a noun such as
    'config key' in a message built from parts), else ``word`` itself."""
    key = f"{section}.{word}"
    return t(key) if key in catalog("en") else word


def language_from_argv(argv: list[str]) -> str | None:
    """``--lang X`` / ``--lang=X`` before argparse runs: help texts are built with the parser,
    so the language must be known first. Stops at ``--`` (what follows is not ours)."""
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return None


class Section(Mapping):
    """A read-only mapping of one catalog section, read at lookup time, so a module-level
    ``TEXT = Section("diagnosis")`` follows a language chosen after import."""

    def __init__(self, prefix: str):
        self.prefix = prefix

    def _keys(self) -> list[str]:
        p = self.prefix + "."
        return [k[len(p) :] for k in catalog("en") if k.startswith(p)]

    def __getitem__(self, key: str) -> str:
        full = f"{self.prefix}.{key}"
        if full not in catalog("en"):
            raise KeyError(key)
        return t(full)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys())

    def __len__(self) -> int:
        return len(self._keys())
