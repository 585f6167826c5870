"""MkDocs hooks (``hooks:`` in mkdocs.yml): generated pages and messages quoted from the catalogs.

- ``on_pre_build`` writes the reference pages that ``gen_reference.py`` makes from the code
  (config keys, CLI flags, package imports, each in English and Korean) into
  ``docs/reference/`` before MkDocs collects the files; they are ignored by git (never
  stored), so they cannot drift from the code. (They are written as files rather than added
  as in-memory pages because mkdocs-static-i18n sorts pages by their file on disk.)
- ``on_files`` gives the tutorial notebooks back to mkdocs-jupyter: mkdocs-static-i18n
  rebuilds every file of each language as a plain ``File`` after all the other plugins
  (its ``on_files`` runs at priority -100), which turns mkdocs-jupyter's notebook pages back
  into static files, so each tutorial's page was its raw JSON
  (https://github.com/ultrabug/mkdocs-static-i18n/issues/198). Run after it, the hook wraps
  every ``.ipynb`` again, keeping the language's address that i18n gave it;
  ``on_post_build`` fails the build if a tutorial's page is not an HTML page.
- ``on_page_markdown`` replaces a line ``!msg KEY`` with the message ``KEY`` of the catalog
  of the page's language (``src/hakseup/i18n/en.json`` / ``ko.json``), as the command line
  prints it (``hakseup: error: ...``); a key the catalogs lack fails the build.
"""

from __future__ import annotations

import html
import importlib.util
import re
import sys
from pathlib import Path

from mkdocs.plugins import event_priority

HERE = Path(__file__).resolve().parent
MSG = re.compile(r"^!msg ([A-Za-z0-9_.\-]+)\s*$", re.MULTILINE)


def _generator():
    """``gen_reference`` loaded by path (the docs folder is not a package)."""
    name = "hakseup_docs_gen_reference"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, HERE / "gen_reference.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def on_pre_build(config, **kwargs):
    docs = Path(config.docs_dir)
    for rel, text in _generator().pages().items():
        path = docs / rel
        # Written only when changed: ``mkdocs serve`` would otherwise rebuild forever.
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")


@event_priority(-200)                      # after mkdocs-static-i18n's on_files (-100)
def on_files(files, config, **kwargs):
    from mkdocs_jupyter.plugin import NotebookFile

    def page(file):
        if not file.src_uri.endswith(".ipynb") or isinstance(file, NotebookFile):
            return file
        wrapped = NotebookFile(file, use_directory_urls=config.use_directory_urls,
                               site_dir=config.site_dir)
        # NotebookFile recomputes the address from the source name (``x.ko.ipynb`` would go
        # to ``x.ko/``); i18n's (``ko/x/``) is the one its navigation links to.
        wrapped.dest_uri, wrapped.url = file.dest_uri, file.url
        wrapped.abs_dest_path = file.abs_dest_path
        _add_alternates(file, config)
        return wrapped

    # The same collection, changed in place and in its order: i18n's own Files class finds a
    # page's translation when a link names the page.
    for file in list(files):
        files.remove(file)
        files.append(page(file))
    return files


def _add_alternates(file, config) -> None:
    """The language switch of a notebook page: i18n finds a Markdown page's other languages
    but not a notebook's (a Korean tutorial's "English" went to the site's home page)."""
    from mkdocs.structure.files import File

    i18n = config.plugins.get("i18n")
    alternates = getattr(file, "alternates", None)
    if i18n is None or alternates is None:
        return
    stem = file.norm_src_uri.removesuffix(".ipynb")          # tutorials/01-tensors-autograd
    for lang in i18n.all_languages:
        if lang not in alternates:
            prefix = "" if lang == i18n.default_language else f"{lang}/"
            page = "/index.html" if config.use_directory_urls else ".html"
            dest = f"{prefix}{stem}{page}"
            alternates[lang] = File(file.src_uri, config.docs_dir, config.site_dir,
                                    config.use_directory_urls, dest_uri=dest)


def on_post_build(config, **kwargs):
    from mkdocs.exceptions import PluginError

    site = Path(config.site_dir)
    pattern = "**/tutorials/*/index.html" if config.use_directory_urls else "**/tutorials/*.html"
    pages = list(site.glob(pattern))
    if not pages and any((Path(config.docs_dir) / "tutorials").glob("*.ipynb")):
        raise PluginError(f"no tutorial page was built under {site} ({pattern}): "
                          "the notebooks were left out (see on_files in docs/hooks.py)")
    for page in pages:
        head = page.read_text(encoding="utf-8")[:200].lstrip().lower()
        if not head.startswith("<!doctype html"):
            raise PluginError(f"{page}: the notebook was copied as it is, not rendered "
                              "(see on_files in docs/hooks.py)")


def _language(page, config) -> str:
    if page.file.src_uri.endswith(".ko.md"):
        return "ko"
    lang = getattr(page.file, "locale", None) or config.theme.get("language") or "en"
    return "ko" if str(lang).startswith("ko") else "en"


def message_block(key: str, lang: str) -> str:
    """The message as the command line shows it, in a block that wraps."""
    from hakseup.i18n import catalog

    text = catalog(lang).get(key) or catalog("en").get(key)
    if text is None:
        raise KeyError(f"!msg {key}: no such key in src/hakseup/i18n/en.json")
    if key.startswith("error."):
        text = catalog(lang)["cli.error"].replace("{message}", text)
    elif key.startswith(("warn.", "warning.")):
        text = catalog(lang)["cli.warning"].replace("{message}", text)
    # ``{value!r}``, ``{diff:.2e}``: the reader needs the name of what is filled in, not its format.
    text = re.sub(r"\{(\w+)[!:][^{}]*\}", r"{\1}", text)
    # A wrapped block, not a fenced one: a one-line message is long, and the fix is at its end.
    return f'<pre class="hakseup-msg"><code>{html.escape(text)}</code></pre>'



def on_page_markdown(markdown, page, config, files, **kwargs):
    _generator()                     # puts src/ on sys.path for the catalogs
    lang = _language(page, config)
    return MSG.sub(lambda m: message_block(m.group(1), lang), markdown)
