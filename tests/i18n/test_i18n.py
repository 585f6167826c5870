"""English and Korean: catalog parity, what must never be translated, how the language is
chosen, and the Korean output of the CLI (help, summaries, errors), plots and tables."""

from __future__ import annotations

import importlib.util
import json
import re
import string
import warnings
from pathlib import Path

import pytest

from hakseup.cli.main import COMMANDS
from hakseup.i18n import LANGUAGES, catalog, language, set_language, t

HANGUL = re.compile("[\uac00-\ud7a3]")
# Korean strings that are lists of choices or numbers only, or a prefix before another
# (translated) message: nothing in them to translate.
NO_HANGUL = {"flag.train.scheduler", "inspect.tests", "error.config.rules.tune_value_invalid",
             "error.run.check.config_yaml", "error.run.check.schema_json"}
# Words of the English sentence that may follow a flag ("--watch needs ...", "--keep column(s)
# ..."): not the flag's value, so not typed.
_PROSE = ("a", "an", "and", "or", "at", "to", "for", "of", "in", "on", "as", "is", "was", "must",
          "needs", "takes", "names", "carries", "chooses", "reads", "column", "columns", "those",
          "out", "with", "again", "before", "forces")
# What a user types: flags (with their value), commands, config keys, and anything quoted in
# backticks. A sentence's full stop or comma after a flag's value is not part of it.
TYPED = [re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*(?:[ =](?!(?:%s)\b)[A-Za-z0-9_.=\[\],-]*"
                    r"[A-Za-z0-9_=\[\]-])?" % "|".join(_PROSE)),
         re.compile(r"`[^`]+`"),
         re.compile(r"\bhakseup (?:%s)\b" % "|".join(COMMANDS)),
         re.compile(r"\b(?:data|model|train|output|evaluation|tune)\.[a-z_]+\b"),
         re.compile(r"\b[a-z_]+\.(?:yaml|json|csv|py)\b")]


def _fields(text: str) -> set[tuple[str, str]]:
    return {(name, spec) for _, name, spec, _ in string.Formatter().parse(text) if name is not None}


def test_every_key_in_both_languages():
    en, ko = catalog("en"), catalog("ko")
    missing = sorted(set(en) ^ set(ko))
    assert not missing, f"keys not in both catalogs: {missing}"
    assert len(en) > 150


@pytest.mark.parametrize("key", sorted(catalog("en")))
def test_placeholders_match(key):
    en, ko = catalog("en")[key], catalog("ko")[key]
    assert _fields(ko) == _fields(en)
    percent = re.compile(r"%(?:\(\w+\))?[rsd]")     # argparse's own messages
    assert sorted(percent.findall(ko)) == sorted(percent.findall(en))


def test_a_text_without_placeholders_has_no_doubled_braces():
    """t() returns a text without fields as it is (no str.format), so '{{' would show."""
    for lang in LANGUAGES:
        doubled = [k for k, v in catalog(lang).items()
                   if not _fields(v) and ("{{" in v or "}}" in v)]
        assert not doubled, (lang, doubled)


@pytest.mark.parametrize("key", sorted(catalog("en")))
def test_korean_keeps_commands_flags_and_keys(key):
    en, ko = catalog("en")[key], catalog("ko")[key]
    typed = {m.group(0) for rx in TYPED for m in rx.finditer(en)}
    lost = sorted(w for w in typed if w not in ko)
    assert not lost, f"{key}: typed as is in English but not in Korean: {lost}"
    if key not in NO_HANGUL:
        assert HANGUL.search(ko), f"{key} is not translated: {ko!r}"


def test_every_flag_has_its_help_in_both_catalogs():
    """A flag's help is the catalog's ``flag.<config key>`` (``flag.<switch>``), never empty."""
    from hakseup.cli.common import FLAGS, SWITCHES

    for lang in ("en", "ko"):
        texts = catalog(lang)
        assert all(texts.get(f"flag.{key}", "").strip() for _, key, _ in FLAGS), lang
        assert all(texts.get(f"flag.{flag[2:]}", "").strip() for flag, *_ in SWITCHES), lang


@pytest.mark.parametrize("env, expected", [
    ({}, "en"),
    ({"LANG": "ko_KR.UTF-8"}, "ko"),
    ({"LANG": "en_US.UTF-8"}, "en"),
    ({"LC_ALL": "C.UTF-8", "LANG": "ko_KR.UTF-8"}, "en"),     # LC_ALL decides first
    ({"LC_MESSAGES": "ko_KR.UTF-8", "LANG": "en_US.UTF-8"}, "ko"),
    ({"HAKSEUP_LANG": "ko", "LANG": "en_US.UTF-8"}, "ko"),
    ({"HAKSEUP_LANG": "en", "LANG": "ko_KR.UTF-8"}, "en"),
    ({"HAKSEUP_LANG": "fr", "LANG": "ko_KR.UTF-8"}, "ko"),    # unknown: the locale decides
])
def test_language_from_the_environment(monkeypatch, env, expected):
    for var in ("HAKSEUP_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    assert language() == expected
    set_language("en" if expected == "ko" else "ko")           # set_language wins
    assert language() != expected
    set_language(None)
    assert language() == expected
    with pytest.raises(ValueError):
        set_language("fr")


def _table_csv(tmp_path: Path) -> Path:
    path = tmp_path / "가게.csv"
    rows = ["지역,price_usd,등급"] + [f"서울{i % 3},{i * 1.5},{'상' if i % 2 else '하'}"
                                    for i in range(40)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_korean_help_text(capsys):
    from hakseup.cli.main import main

    with pytest.raises(SystemExit):
        main(["--lang=ko", "train", "--help"])
    out = capsys.readouterr().out
    assert "학습률" in out and "--epochs" in out and "[train.lr]" in out
    assert language() == "en"      # main() leaves the language as it found it
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = capsys.readouterr().out
    assert "learning rate [train.lr]" in out and not HANGUL.search(out.split("examples")[0])


def test_korean_errors_and_english_by_default(cli, tmp_path):
    code, _, err = cli("--lang", "ko", "inspect", "nowhere.csv")
    assert code == 2 and err.startswith("hakseup: 오류: ") and "nowhere.csv" in err
    assert len(err.strip().splitlines()) == 1
    code, _, err = cli("inspect", "nowhere.csv")
    assert code == 2 and err.startswith("hakseup: error: ") and not HANGUL.search(err)
    code, _, err = cli("cv", "--folds", "1", "--lang", "ko")
    assert code == 2 and "--folds 1" in err and HANGUL.search(err)
    code, _, err = cli("train", "--set", "train.lrr=1", "--lang", "ko")
    assert code == 2 and "train.lr" in err and "설정 키" in err
    code, _, err = cli("cv", "--lang", "ko", "--no-such-flag")       # argparse's words too
    assert code == 2 and "알 수 없는 인자: --no-such-flag" in err and "`hakseup --help`" in err
    code, _, err = cli("cv", "--no-such-flag")
    assert code == 2 and "unrecognized arguments: --no-such-flag" in err
    code, _, err = cli("--lang", "xx", "doctor")
    assert code == 2 and err.count("\n") == 1 and "xx" in err


def test_korean_inspect_aligns_hangul_columns(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("HAKSEUP_LANG", "ko")
    path = _table_csv(tmp_path)
    code, out, err = cli("inspect", str(path), "--target", "등급")
    assert code == 0, err
    assert "40행" in out and "클래스 균형" in out
    from hakseup.cli.common import display_width

    table = out.split("\n\n")[1].splitlines()
    header, rule, *body = table
    starts = [m.start() for m in re.finditer(r"-+", rule)]
    for line in [header] + body:       # each cell starts at its rule's column, in display width
        for col in (c for c in starts[1:] if display_width(line) > c):   # rstripped lines
            assert display_width(line[:_index_at_width(line, col)]) == col
            assert line[_index_at_width(line, col) - 1] == " "


def _index_at_width(line: str, width: int) -> int:
    from hakseup.cli.common import display_width

    for i in range(len(line) + 1):
        if display_width(line[:i]) >= width:
            return i
    return len(line)


def test_display_width():
    from hakseup.cli.common import display_width

    assert display_width("price") == 5
    assert display_width("가격") == 4
    assert display_width("e\u0301") == 1        # a combining accent takes no column


def test_korean_diagnosis_and_report_headings():
    from hakseup.evaluation.diagnosis import diagnose
    from hakseup.evaluation.report import HEADINGS

    h = [{"epoch": e, "train_loss": 1 / e, "val_loss": v}
         for e, v in enumerate([0.9, 0.6, 0.5, 0.55, 0.62, 0.7], start=1)]
    set_language("ko")
    found = diagnose(h, planned_epochs=6)
    assert found[0].kind == "overfitting" and "과적합" in found[0].text
    assert "--patience N" in found[0].text
    assert HEADINGS["diagnosis"] == t("report.diagnosis") and HANGUL.search(HEADINGS["data"])
    set_language("en")
    assert diagnose(h, planned_epochs=6)[0].text.startswith("Overfitting")
    assert HEADINGS["data"] == "Data"


@pytest.mark.skipif(importlib.util.find_spec("koreanize_matplotlib") is None,
                    reason="the 'korean' extra (koreanize-matplotlib) is not installed")
def test_hangul_plot_has_no_missing_glyphs(tmp_path):
    from hakseup.evaluation.plots import hangul_font, plot_loss

    assert hangul_font() == "NanumGothic"
    set_language("ko")
    history = [{"epoch": e, "train_loss": 1 / e, "val_loss": 1.2 / e} for e in (1, 2, 3)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plot_loss(history, tmp_path / "loss.png", title="학습 곡선: 가격 예측")
    glyphs = [str(w.message) for w in caught if "Glyph" in str(w.message)]
    assert not glyphs, glyphs[:3]
    assert (tmp_path / "loss.png").stat().st_size > 1000


def test_without_a_hangul_font_plots_fall_back_to_english_and_say_so_once(tmp_path,
                                                                          monkeypatch):
    import matplotlib

    from hakseup.evaluation import plots

    monkeypatch.setattr(plots, "_hangul", [None])       # as on a machine without the extra
    monkeypatch.setitem(matplotlib.rcParams, "font.family", ["DejaVu Sans"])
    monkeypatch.setattr(plots, "_told_font", [])
    set_language("ko")
    assert plots.plot_text("plot.epoch") == "epoch"      # English labels, not empty boxes
    history = [{"epoch": e, "train_loss": 1 / e, "val_loss": 1.2 / e} for e in (1, 2, 3)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for name in ("a", "b"):                          # Hangul data names in two figures
            plots.plot_loss(history, tmp_path / f"{name}.png", title="학습 곡선: 가격 예측")
    texts = [str(w.message) for w in caught]
    assert not [m for m in texts if "Glyph" in m], texts[:3]
    told = [m for m in texts if "hakseup[korean]" in m]
    assert len(told) == 1 and HANGUL.search(told[0])
    assert (tmp_path / "b.png").stat().st_size > 1000


def test_languages_listed():
    assert LANGUAGES == ("en", "ko")
    for lang in LANGUAGES:
        text = (Path(__file__).parents[2] / "src" / "hakseup" / "i18n" / f"{lang}.json")
        assert json.loads(text.read_text(encoding="utf-8")) == catalog(lang)


def test_unsupported_optimizers_match_the_catalog():
    from hakseup.config.rules import UNSUPPORTED_OPTIMIZERS

    assert {f"unsupported_optimizer.{k}": v for k, v in UNSUPPORTED_OPTIMIZERS.items()} == {
        k: v for k, v in catalog("en").items() if k.startswith("unsupported_optimizer.")}


def test_os_hints_match_the_catalog():
    import errno

    from hakseup.errors import _OS_HINTS, describe_os_error

    assert {f"oshint.{errno.errorcode[c]}": h for c, h in _OS_HINTS.items()} == {
        k: v for k, v in catalog("en").items() if k.startswith("oshint.")}
    set_language("ko")
    line = describe_os_error(OSError(errno.ENOSPC, "No space left on device", "/x"))
    assert "'/x'" in line and "--output DIR" in line and HANGUL.search(line)
