"""The reference pages, generated from the code at every build so that they cannot drift.

- ``reference/config.md``: every key of ``RunConfig`` (``hakseup.config.schema``) with its
  type, default, choices, bounds and help, read from the dataclasses' field metadata; the
  flag that sets a key comes from the CLI's flag table (``hakseup.cli.common``).
- ``reference/cli.md``: every subcommand and every flag, read from the argparse parser that
  ``hakseup.cli.main.build_parser`` builds (the same parser ``hakseup --help`` prints).
- ``reference/packages.md``: which package imports which, read from the source with ``ast``.

Each page exists in English and in Korean (``*.ko.md``): the Korean pages take the help texts
from the Korean catalog (``src/hakseup/i18n/ko.json``) where it has them. MkDocs runs this
module through ``docs/hooks.py``; it also runs alone::

    PYTHONPATH=src python docs/gen_reference.py OUTDIR    # writes the pages into OUTDIR
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import sys
import typing
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
if str(SRC) not in sys.path:      # the build works from a checkout without an install
    sys.path.insert(0, str(SRC))

__all__ = [
    "cli_commands",
    "cli_page",
    "config_keys",
    "config_page",
    "package_graph",
    "packages_page",
    "pages",
]

SECTIONS = ("data", "model", "train", "output", "evaluation")
# Front matter of the wide reference pages: Material hides the left navigation, so that the
# tables get the width.
WIDE = ["---", "hide:", "  - navigation", "---", ""]

WORDS = {
    "en": {
        "config_title": "Configuration reference",
        "config_intro": (
            "Every key of a run's configuration, generated from the field metadata of "
            "`RunConfig` (`src/hakseup/config/schema.py`) when the site is built. A key is "
            "set in a YAML file (`section: {key: value}`), with its flag where it has one, "
            "or with `--set section.key=VALUE` on any command that takes a config; "
            "priority: defaults < recipe < config file < flags < `--set`. "
            "`hakseup train --print-config` prints every key with the value the run will use "
            "(the data is read for it: a key left at `auto` shows what the data chose). A key "
            "that allows `auto` defaults to it; `auto` is resolved once, when the data is "
            "loaded (`src/hakseup/config/resolve.py`), and a value you typed is never "
            "replaced. A path in a config file is relative to that file; a path given as a "
            "flag, to the current folder."),
        "tune_intro": (
            "The optional `tune` section is a search space for `hakseup tune`: a mapping "
            "of `section.key` to a range (`{low, high, log, step}`) or a list of choices; "
            "see [Tuning](../tuning.md)."),
        "section": "Section",
        "head_config": ("key", "meaning", "type", "default", "allowed", "flag"),
        "keys": "{n} keys.",
        "null": "unset",
        "path": "a path",
        "auto": "`auto` (chosen from the data)",
        "auto_none": "`auto` (kept unset: chosen from the data)",
        "any": "any",
        "cli_title": "Command-line reference",
        "cli_intro": (
            "Every command and flag of `hakseup`, generated from its argparse parser "
            "(`src/hakseup/cli/`) when the site is built — the same text `hakseup COMMAND "
            "--help` prints. A flag that sets a config key names the key in brackets and "
            "links to it in the [configuration reference](config.md). Exit status: 0 "
            "success, 1 a checked condition is false (`gpu` without a GPU, `doctor` found "
            "a problem), 2 a user error (one line on stderr), 130 interrupted (143 SIGTERM, "
            "129 SIGHUP)."),
        "global": "Options of `hakseup` itself",
        "head_cli": ("flag", "value", "default", "meaning"),
        "head_commands": ("command", "does"),
        "positional": "argument",
        "usage": "Usage",
        "switch": "switch",
        "packages_title": "Package imports",
        "packages_intro": (
            "Which package of `src/hakseup` imports which, read from the source with `ast` "
            "when the site is built (imports inside functions included). "
            "`tests/test_structure.py` checks the same graph for cycles. Root modules "
            "(`errors`, `learn`, `metrics`, `predict`, ...) count as packages of their own."),
        "head_packages": ("package", "modules", "imports"),
        "nothing": "nothing from hakseup",
    },
    "ko": {
        "config_title": "설정 참조",
        "config_intro": (
            "실행 설정의 모든 키입니다. 사이트를 빌드할 때 `RunConfig`"
            "(`src/hakseup/config/schema.py`)의 필드 메타데이터에서 만들어집니다. 키는 YAML "
            "파일(`section: {key: value}`), 해당 플래그, 또는 설정을 받는 모든 명령의 "
            "`--set section.key=VALUE`로 정합니다. 우선순위: 기본값 < 레시피 < 설정 파일 < "
            "플래그 < `--set`. `hakseup train --print-config`는 모든 키를 run이 쓸 값과 함께 "
            "출력합니다(이를 위해 데이터를 읽음: `auto`로 남은 키는 데이터가 고른 값이 보임). "
            "`auto`를 받는 키는 기본값이 `auto`이며, 데이터를 읽을 때 한 번 정해지고"
            "(`src/hakseup/config/resolve.py`), 직접 입력한 값은 절대 바뀌지 않습니다. 설정 "
            "파일 안의 경로는 그 파일 기준, 플래그로 준 경로는 현재 폴더 기준입니다. "
            "설명은 한국어 카탈로그에 있는 것은 한국어로, 없는 것은 영어로 보입니다."),
        "tune_intro": (
            "선택 항목인 `tune` 섹션은 `hakseup tune`의 탐색 공간입니다. `section.key`를 범위"
            "(`{low, high, log, step}`)나 선택지 목록에 대응시킵니다. "
            "[튜닝](../tuning.md)을 보세요."),
        "section": "섹션",
        "head_config": ("키", "설명", "타입", "기본값", "허용 값", "플래그"),
        "keys": "키 {n}개.",
        "null": "없음",
        "path": "경로",
        "auto": "`auto` (데이터에서 정함)",
        "auto_none": "`auto` (비워 둠: 데이터에서 정함)",
        "any": "아무 값",
        "cli_title": "명령줄 참조",
        "cli_intro": (
            "`hakseup`의 모든 명령과 플래그입니다. 사이트를 빌드할 때 argparse 파서"
            "(`src/hakseup/cli/`)에서 만들어지며, `hakseup COMMAND --help --lang ko`가 "
            "출력하는 것과 같은 글입니다. 설정 키를 정하는 플래그는 대괄호 안에 그 키를 적고 "
            "[설정 참조](config.md)로 연결합니다. 종료 상태: 0 성공, 1 확인한 조건이 거짓"
            "(GPU 없이 `gpu`, `doctor`가 문제를 찾음), 2 사용자 오류(stderr에 한 줄), "
            "130 중단(SIGTERM 143, SIGHUP 129)."),
        "global": "`hakseup` 자체의 옵션",
        "head_cli": ("플래그", "값", "기본값", "설명"),
        "head_commands": ("명령", "하는 일"),
        "positional": "인자",
        "usage": "사용법",
        "switch": "스위치",
        "packages_title": "패키지 의존 관계",
        "packages_intro": (
            "`src/hakseup`의 어느 패키지가 어느 패키지를 import하는지, 사이트를 빌드할 때 "
            "`ast`로 소스에서 읽은 표입니다(함수 안의 import 포함). "
            "`tests/test_structure.py`가 같은 그래프에 순환이 없는지 검사합니다. 최상위 모듈"
            "(`errors`, `learn`, `metrics`, `predict` 등)은 각각 하나의 패키지로 셉니다."),
        "head_packages": ("패키지", "모듈 수", "import하는 패키지"),
        "nothing": "hakseup의 것은 없음",
    },
}


# --------------------------------------------------------------------------- reading the code


def config_keys() -> list[dict[str, Any]]:
    """Every config key: section, name, type annotation, default, choices, bounds, help."""
    from hakseup.config import schema

    classes = {"data": schema.DataConfig, "model": schema.ModelConfig,
               "train": schema.TrainConfig, "output": schema.OutputConfig,
               "evaluation": schema.EvaluationConfig}
    keys = []
    for section in SECTIONS:
        cls = classes[section]
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            default = (f.default_factory() if f.default_factory is not dataclasses.MISSING
                       else f.default)
            keys.append({"section": section, "name": f.name, "key": f"{section}.{f.name}",
                         "type": hints[f.name], "default": default, **f.metadata})
    return keys


def _flag_of_key() -> dict[str, list[str]]:
    """config key → the flags of ``train``/``cv``/``tune``/``lr-find`` that set it."""
    from hakseup.config.flags import FLAGS, SWITCHES

    out: dict[str, list[str]] = {}
    for flag, key, *_ in FLAGS + SWITCHES:
        out.setdefault(key, []).append(flag)
    out.setdefault("model.pretrained", []).append("--pretrained")
    out.setdefault("model.weights", []).append("--pretrained FILE")
    return out


def cli_commands() -> tuple[argparse.ArgumentParser, list[tuple[str, argparse.ArgumentParser,
                                                                str]]]:
    """The top-level parser and ``(name, parser, one-line help)`` of every subcommand, in the
    order ``hakseup --help`` lists them, built in the current language."""
    from hakseup.cli.main import build_parser

    parser = build_parser()
    commands = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help for a in action._choices_actions}
            for name, sub in action.choices.items():
                commands.append((name, sub, helps.get(name) or ""))
    return parser, commands


def package_graph() -> dict[str, tuple[int, set[str]]]:
    """package → (number of modules, the hakseup packages it imports), from the source."""
    pkg_dir = SRC / "hakseup"
    modules = {}
    for path in sorted(pkg_dir.rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path

    def package(name: str) -> str:
        parts = name.split(".")
        return parts[1] if len(parts) > 1 else parts[0]

    graph: dict[str, tuple[int, set[str]]] = {}
    for name, path in modules.items():
        count, edges = graph.get(package(name), (0, set()))
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = name.split(".")
                    base = base if path.name == "__init__.py" else base[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    origin = ".".join(base + ([node.module] if node.module else []))
                else:
                    origin = node.module or ""
                targets = [f"{origin}.{a.name}" if f"{origin}.{a.name}" in modules else origin
                           for a in node.names]
            else:
                continue
            edges |= {package(t) for t in targets if t in modules and package(t) != package(name)}
        graph[package(name)] = (count + 1, edges)
    graph.pop("hakseup", None)
    return graph


# --------------------------------------------------------------------------- writing pages


def _cell(text: Any) -> str:
    """Text safe inside a Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ").strip()


def _code(value: Any) -> str:
    text = str(value)
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def _value(value: Any, lang: str) -> str:
    if value is None:
        return WORDS[lang]["null"]
    if isinstance(value, bool):
        return _code(str(value).lower())
    if isinstance(value, list):
        return _code("[" + ", ".join(map(str, value)) + "]")
    if isinstance(value, str) and value.startswith(str(ROOT)):
        value = Path(value).relative_to(ROOT).as_posix()
    return _code(value)


def _number(x: float) -> str:
    return f"{x:,}" if isinstance(x, int) else f"{x:g}"


def _type_text(tp: Any) -> str:
    """The annotation as Python writes it: ``int``, ``list[str]``, ``float | None``."""
    origin = typing.get_origin(tp)
    if origin is typing.Literal:                           # Auto = Literal["auto"]
        return " | ".join(f'"{a}"' for a in typing.get_args(tp))
    if origin is not None and origin is not list:          # a union
        return " | ".join(_type_text(a) for a in typing.get_args(tp))
    if origin is list:
        return f"list[{_type_text(typing.get_args(tp)[0])}]"
    return "None" if tp is type(None) else getattr(tp, "__name__", str(tp))


def _help(key: dict, lang: str) -> str:
    """The key's help: the Korean catalog's flag text where it has one, else the schema's."""
    from hakseup.i18n import catalog

    if lang != "en":
        text = catalog(lang).get(f"flag.{key['key']}")
        if text:
            return text
    return key.get("help") or ""


def config_page(lang: str = "en") -> str:
    """The configuration reference in ``lang``."""
    from hakseup.i18n import set_language

    w = WORDS[lang]
    flags = _flag_of_key()
    set_language(lang)
    try:
        keys = config_keys()
        out = [*WIDE, f"# {w['config_title']}", "", w["config_intro"], ""]
        for section in SECTIONS:
            rows = [k for k in keys if k["section"] == section]
            out += [f"## `{section}`", "", w["keys"].format(n=len(rows)), "",
                    "| " + " | ".join(w["head_config"]) + " |", "|---" * 6 + "|"]
            for k in rows:
                allowed = []
                if k.get("auto") is True:    # a value config.resolve chooses from the data
                    allowed.append(w["auto"])
                elif k.get("auto"):          # "none": left unset, the data layer chooses
                    allowed.append(w["auto_none"])
                if k.get("choices"):
                    allowed.append(", ".join(_code(c) for c in k["choices"]))
                if k.get("min") is not None:
                    allowed.append(f"≥ {_number(k['min'])}")
                if k.get("max") is not None:
                    allowed.append(f"≤ {_number(k['max'])}")
                if k.get("path"):
                    allowed.append(w["path"])
                anchor = f'<a id="{k["key"]}"></a>'
                flag = ", ".join(_code(f) for f in flags.get(k["key"], []))
                out.append("| " + " | ".join(_cell(c) for c in (
                    f"{anchor}{_code(k['key'])}", _help(k, lang), _type_text(k["type"]),
                    _value(k["default"], lang), "; ".join(allowed) or w["any"], flag)) + " |")
            out.append("")
        out += ["## `tune`", "", w["tune_intro"], ""]
        return "\n".join(out)
    finally:
        set_language(None)


def _option_rows(parser: argparse.ArgumentParser, lang: str) -> list[str]:
    w = WORDS[lang]
    rows = ["| " + " | ".join(w["head_cli"]) + " |", "|---" * 4 + "|"]
    for action in parser._actions:
        if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
            continue
        if action.help == argparse.SUPPRESS:
            continue
        names = ", ".join(_code(o) for o in action.option_strings) or \
            f"{_code(action.metavar or action.dest)} ({w['positional']})"
        if action.nargs == 0:
            value = w["switch"]
        elif action.choices:
            value = " \\| ".join(_code(c) for c in action.choices)
        else:
            value = _code(action.metavar or action.dest.upper())
        default = action.default
        shown_default = "" if default in (None, argparse.SUPPRESS, [], False) or \
            action.nargs == 0 else _value(default, lang)
        text = _cell(action.help or "")
        if "." in action.dest and action.dest.split(".")[0] in SECTIONS:
            text = text.replace(f"[{action.dest}]", f"[[{action.dest}](config.md#{action.dest})]")
        rows.append(f"| {names} | {value} | {shown_default} | {text} |")
    return rows


def cli_page(lang: str = "en") -> str:
    """The command-line reference in ``lang``."""
    from hakseup.i18n import set_language

    w = WORDS[lang]
    set_language(lang)
    try:
        parser, commands = cli_commands()
        out = [*WIDE, f"# {w['cli_title']}", "", w["cli_intro"], "",
               "| " + " | ".join(w["head_commands"]) + " |", "|---|---|"]
        out += [f"| [`hakseup {name}`](#hakseup-{name}) | {_cell(help_)} |"
                for name, _, help_ in commands]
        out += ["", f"## {w['global']}", ""] + _option_rows(parser, lang) + [""]
        for name, sub, help_ in commands:
            usage = sub.format_usage().rstrip()    # as --help prints it (the indent fits "usage:")
            out += [f"## `hakseup {name}` {{#hakseup-{name}}}", "",
                    _cell(sub.description or help_), "", f"**{w['usage']}**", "",
                    "```text", usage, "```", ""]
            out += _option_rows(sub, lang)
            if sub.epilog:
                out += ["", "```text", sub.epilog.rstrip(), "```"]
            out.append("")
        return "\n".join(out)
    finally:
        set_language(None)


def packages_page(lang: str = "en") -> str:
    """Which package imports which, as a table."""
    w = WORDS[lang]
    graph = package_graph()
    out = [f"# {w['packages_title']}", "", w["packages_intro"], "",
           "| " + " | ".join(w["head_packages"]) + " |", "|---|---|---|"]
    for name in sorted(graph):
        count, edges = graph[name]
        shown = ", ".join(f"`{e}`" for e in sorted(edges)) or w["nothing"]
        out.append(f"| `{name}` | {count} | {shown} |")
    out.append("")
    return "\n".join(out)


def pages() -> dict[str, str]:
    """Every generated page: path under ``docs/`` → Markdown."""
    out = {}
    for lang, suffix in (("en", ""), ("ko", ".ko")):
        out[f"reference/config{suffix}.md"] = config_page(lang)
        out[f"reference/cli{suffix}.md"] = cli_page(lang)
        out[f"reference/packages{suffix}.md"] = packages_page(lang)
    return out


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "generated-reference")
    for rel, text in pages().items():
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(path)
