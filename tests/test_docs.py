"""The documentation site: its generated reference covers every config key and every CLI
flag, every message it quotes exists in both catalogs, the architecture page names every
package, the README stays the front door, and (where MkDocs is installed: the ``docs`` extra)
``mkdocs build --strict`` succeeds."""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _generator():
    spec = importlib.util.spec_from_file_location("gen_reference_under_test",
                                                  DOCS / "gen_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = _generator()


@pytest.fixture(scope="module")
def pages() -> dict[str, str]:
    return GEN.pages()


def _config_keys() -> list[tuple[str, tuple]]:
    """Every ``section.key`` of RunConfig and its choices, read from the dataclasses here
    (not through the generator, so that a key the generator skips is caught)."""
    import dataclasses

    from hakseup.config import RunConfig

    sections = {f.name: f.default_factory for f in dataclasses.fields(RunConfig)
                if f.name in RunConfig.SECTIONS and f.name != "tune"}
    out = []
    for name, cls in sections.items():
        for f in dataclasses.fields(cls):
            out.append((f"{name}.{f.name}", tuple(f.metadata.get("choices") or ())))
    return out


def _all_flags() -> dict[str, set[str]]:
    """command → every option string and positional name its argparse parser defines."""
    from hakseup.cli.main import build_parser

    parser = build_parser()
    out = {"": {o for a in parser._actions if not isinstance(a, argparse._HelpAction)
                for o in a.option_strings}}
    (subparsers,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    for name, sub in subparsers.choices.items():
        found = set()
        for action in sub._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            found |= set(action.option_strings) or {action.metavar or action.dest}
        out[name] = found
    return out


def test_the_generator_sees_the_code():
    """Guards the checks below against passing vacuously."""
    keys = dict(_config_keys())
    assert len(keys) > 70 and {"train.lr", "data.path", "model.name"} <= set(keys)
    assert {k["key"] for k in GEN.config_keys()} == set(keys)
    flags = _all_flags()
    assert {"train", "predict", "tune", "doctor"} <= set(flags)
    assert {"--epochs", "--resume", "--set"} <= flags["train"]


@pytest.mark.parametrize("suffix", ["", ".ko"])
def test_every_config_key_is_in_the_reference(pages, suffix):
    text = pages[f"reference/config{suffix}.md"]
    for key, choices in _config_keys():
        assert f'<a id="{key}"></a>`{key}`' in text, key
        row = next(line for line in text.splitlines() if f'<a id="{key}">' in line)
        for choice in choices:
            assert f"`{choice}`" in row, (key, choice)


@pytest.mark.parametrize("suffix", ["", ".ko"])
def test_every_command_and_flag_is_in_the_reference(pages, suffix):
    text = pages[f"reference/cli{suffix}.md"]
    sections = re.split(r"^## ", text, flags=re.MULTILINE)
    for command, flags in _all_flags().items():
        if command:
            matching = [s for s in sections if s.startswith(f"`hakseup {command}`")]
            assert len(matching) == 1, command
            section = matching[0]
        else:
            section = sections[1]         # the options of `hakseup` itself
        for flag in flags:
            assert f"`{flag}`" in section, (command, flag)


def test_a_flag_of_a_config_key_links_to_the_key(pages):
    text = pages["reference/cli.md"]
    assert "[[train.lr](config.md#train.lr)]" in text
    assert "`--epochs`" in pages["reference/config.md"]


def test_the_korean_reference_takes_help_from_the_korean_catalog(pages):
    from hakseup.i18n import catalog

    assert catalog("ko")["flag.train.lr"] in pages["reference/config.ko.md"]
    assert catalog("ko")["cmd.train.description"] in pages["reference/cli.ko.md"]
    assert catalog("en")["cmd.train.description"] in pages["reference/cli.md"]


def test_every_quoted_message_exists_in_both_catalogs():
    from hakseup.i18n import catalog

    quoted = {m for p in DOCS.rglob("*.md")
              for m in re.findall(r"^!msg (\S+)\s*$", p.read_text(encoding="utf-8"), re.MULTILINE)}
    assert len(quoted) > 30
    missing = {k for k in quoted if k not in catalog("en") or k not in catalog("ko")}
    assert not missing


def test_the_architecture_page_names_every_package():
    src = ROOT / "src" / "hakseup"
    names = {p.name for p in src.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    modules = {p.name for p in src.glob("*.py") if p.name not in ("__init__.py", "__main__.py")}
    for page in ("architecture.md", "architecture.ko.md"):
        text = (DOCS / page).read_text(encoding="utf-8")
        for name in names:
            assert f"**`{name}/`**" in text, (page, name)
        for name in modules:
            assert f"**`{name}`**" in text, (page, name)
        for kind in ("io", "table", "series", "image"):
            assert f"{kind}/" in text, (page, kind)


def test_the_readme_is_the_front_door():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.encode("utf-8")) < 8 * 1024
    # .ci/run runs the README's test command; the quick start trains the offline default.
    assert 'pip install -e ".[test]" && python -m pytest' in readme
    assert "pip install -e . && hakseup train" in readme
    for target in re.findall(r"\]\(([^)#]+)", readme):
        if "://" not in target:
            assert (ROOT / target).exists(), target


def test_mkdocs_build_strict(tmp_path):
    for module in ("mkdocs", "material", "mkdocs_static_i18n", "mkdocstrings_handlers.python"):
        pytest.importorskip(module, reason="the docs extra: pip install -e '.[docs]'")
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1",
               PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet",
                           "--site-dir", str(tmp_path / "site")],
                          check=False, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for page in ("index.html", "reference/config/index.html", "reference/cli/index.html",
                 "ko/troubleshooting/index.html", "ko/reference/config/index.html",
                 "architecture/index.html", "reference/api/index.html"):
        assert (tmp_path / "site" / page).is_file(), page
    html = (tmp_path / "site" / "ko" / "troubleshooting" / "index.html").read_text("utf-8")
    assert "hakseup: 오류:" in html


def test_the_hand_written_pages_exist_in_both_languages():
    english = {p.relative_to(DOCS) for p in DOCS.rglob("*.md") if not p.name.endswith(".ko.md")}
    korean = {p.relative_to(DOCS).with_name(p.name.replace(".ko.md", ".md"))
              for p in DOCS.rglob("*.ko.md")}
    assert korean <= english                      # no Korean page without its English one
    generated = {Path("reference", f"{n}.md") for n in ("config", "cli", "packages")}
    # The Python API is rendered from the (English) docstrings.
    missing = english - korean - generated - {Path("reference", "api.md")}
    assert not missing, f"pages without a Korean translation: {sorted(map(str, missing))}"
