"""Fuzzed bad input: every generated CSV or config ends in success or in one
`hakseup: error:` line with exit 2 — never a traceback — and no run is marked complete
unless it succeeded. The ``_in_korean`` twins (``slow``) run exactly the same examples with
``--lang ko``: the one line is then ``hakseup: 오류: ...`` and its message is Korean."""

import io
import json
import os
import re
import string
import tempfile
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from hakseup.cli.main import main

# Each fuzz test trains hundreds of times: the whole file runs in the slow pass (-m slow).
pytestmark = pytest.mark.slow

COUNTS = {"ok": 0, "user_error": 0, "ko_ok": 0, "ko_user_error": 0, "ko_hangul": 0}
HANGUL = re.compile("[\uac00-\ud7a3]")
PREFIX = {"en": "hakseup: error: ", "ko": "hakseup: 오류: "}
FAST = ["--epochs", "1", "--no-progress", "--no-tensorboard", "--set", "output.plots=false",
        "--set", "data.val_size=0.2", "--set", "data.test_size=0.2"]

cell = st.one_of(
    st.integers(-10**6, 10**6).map(str), st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["", "NA", "nan", "inf", "-inf", "1e308", "1e309", "abc", "a,b", '"q"',
                     "2020-01-01", "2020-13-45", "TRUE", "false", "ü", "\u202e", "0x1F", " "]),
    st.text(alphabet=string.ascii_letters + "; \t|\"'", max_size=6))
header_name = st.one_of(st.sampled_from(["a", "b", "y", "target", "ä", "", "a", "Unnamed: 0",
                                         "date", "x y"]),
                        st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=4))


@st.composite
def csv_files(draw):
    kind = draw(st.sampled_from(["table", "ragged", "garbage", "empty", "header_only", "delim"]))
    if kind == "garbage":
        return draw(st.binary(min_size=0, max_size=200)), []
    if kind == "empty":
        return b"", []
    n_cols = draw(st.integers(1, 5))
    names = draw(st.lists(header_name, min_size=n_cols, max_size=n_cols))
    if kind == "header_only":
        return (",".join(names) + "\n").encode(), []
    n_rows = draw(st.integers(1, 40))
    sep = draw(st.sampled_from([",", ";", "\t"])) if kind == "delim" else ","
    rows = []
    for _ in range(n_rows):
        k = n_cols if kind != "ragged" else draw(st.integers(1, n_cols + 2))
        rows.append(sep.join(draw(st.lists(cell, min_size=k, max_size=k))))
    text = sep.join(names) + "\n" + "\n".join(rows) + "\n"
    extra = []
    if draw(st.booleans()):
        extra += ["--target", draw(st.sampled_from(names + ["missing_col"]))]
    if draw(st.integers(0, 4)) == 0:
        extra += ["--time-col", draw(st.sampled_from(names + ["date"])), "--window", "2"]
    return text.encode(draw(st.sampled_from(["utf-8", "utf-8-sig"]))), extra


def _run(argv):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as e:  # argparse --help/--version only
            code = e.code
    return code, err.getvalue()


def _check(code, err, run_dir: Path, lang: str = "en"):
    assert "Traceback" not in err, err
    status = json.loads((run_dir / "run.json").read_text())["status"] \
        if (run_dir / "run.json").exists() else None
    count = "" if lang == "en" else "ko_"
    if code == 0:
        COUNTS[count + "ok"] += 1
        assert status == "complete"
    else:
        COUNTS[count + "user_error"] += 1
        lines = [ln for ln in err.splitlines() if ln.startswith(PREFIX[lang])]
        assert code == 2 and len(lines) == 1, (code, err)
        assert status != "complete"
        if lang == "ko":
            korean = bool(HANGUL.search(lines[0][len(PREFIX["ko"]):]))
            COUNTS["ko_hangul"] += korean
            assert korean and PREFIX["en"] not in err, err


# The Korean twins draw the first examples of the English run (the same seed): a third in CI,
# all of them with HAKSEUP_KOREAN_ALL=1 (how the closing tally was taken).
KOREAN_ALL = os.environ.get("HAKSEUP_KOREAN_ALL") == "1"


def _seed_of(test) -> int:
    """The seed a derandomized test draws its examples from (Hypothesis: the digest of the
    test function), so that its Korean twin, seeded with it, runs the same examples."""
    from hypothesis.internal.reflection import function_digest

    return int.from_bytes(function_digest(test.hypothesis.inner_test), "big")


@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=csv_files())
def test_fuzzed_csv_files(tmp_path, data):
    content, extra = data
    case = Path(tempfile.mkdtemp(dir=tmp_path))
    (case / "d.csv").write_bytes(content)
    code, err = _run(["train", "--data", str(case / "d.csv"), *extra, *FAST,
                      "--output", str(case / "run")])
    _check(code, err, case / "run")


@pytest.mark.slow
@seed(_seed_of(test_fuzzed_csv_files))
@settings(max_examples=300 if KOREAN_ALL else 100, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=csv_files())
def test_fuzzed_csv_files_in_korean(tmp_path, data):
    content, extra = data
    case = Path(tempfile.mkdtemp(dir=tmp_path))
    (case / "d.csv").write_bytes(content)
    code, err = _run(["--lang", "ko", "train", "--data", str(case / "d.csv"), *extra, *FAST,
                      "--output", str(case / "run")])
    _check(code, err, case / "run", "ko")


config_value = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=True),
                         st.text(max_size=5), st.lists(st.integers(-2, 300), max_size=3),
                         st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
config_key = st.sampled_from(["train.epochs", "train.lr", "train.batch_size", "train.optimizer",
                              "train.scheduler", "model.hidden", "model.dropout", "model.name",
                              "data.val_size", "data.test_size", "train.patience", "data.window",
                              "train.precision", "train.device", "output.plots", "data.dataset",
                              "train.epocs", "nosection.key", "train", "model.layers"])


@settings(max_examples=120, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(pairs=st.lists(st.tuples(config_key, config_value), min_size=1, max_size=3),
       raw=st.one_of(st.none(), st.text(max_size=40)))
def test_fuzzed_configs(tmp_path, pairs, raw):
    import yaml

    case = Path(tempfile.mkdtemp(dir=tmp_path))
    if raw is not None:
        (case / "c.yaml").write_text(raw, encoding="utf-8")
    else:
        d = {}
        for key, value in pairs:
            section, _, name = key.partition(".")
            d.setdefault(section, {}) if name else None
            if name and isinstance(d.get(section), dict):
                d[section][name] = value
            else:
                d[section] = value
        d.setdefault("train", {}) if isinstance(d.get("train", {}), dict) else None
        if isinstance(d.get("train"), dict):
            d["train"].setdefault("epochs", 1)
            d["train"]["progress"] = False
            d["train"]["tensorboard"] = False
        (case / "c.yaml").write_text(yaml.safe_dump(d), encoding="utf-8")
    code, err = _run(["train", str(case / "c.yaml"), "--output", str(case / "run")])
    _check(code, err, case / "run")


def _config_file(case: Path, pairs, raw) -> Path:
    """The config test_fuzzed_configs writes (the same steps, for its Korean twin)."""
    import yaml

    if raw is not None:
        (case / "c.yaml").write_text(raw, encoding="utf-8")
        return case / "c.yaml"
    d = {}
    for key, value in pairs:
        section, _, name = key.partition(".")
        d.setdefault(section, {}) if name else None
        if name and isinstance(d.get(section), dict):
            d[section][name] = value
        else:
            d[section] = value
    d.setdefault("train", {}) if isinstance(d.get("train", {}), dict) else None
    if isinstance(d.get("train"), dict):
        d["train"].setdefault("epochs", 1)
        d["train"]["progress"] = False
        d["train"]["tensorboard"] = False
    (case / "c.yaml").write_text(yaml.safe_dump(d), encoding="utf-8")
    return case / "c.yaml"


@pytest.mark.slow
@seed(_seed_of(test_fuzzed_configs))
@settings(max_examples=120 if KOREAN_ALL else 40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(pairs=st.lists(st.tuples(config_key, config_value), min_size=1, max_size=3),
       raw=st.one_of(st.none(), st.text(max_size=40)))
def test_fuzzed_configs_in_korean(tmp_path, pairs, raw):
    case = Path(tempfile.mkdtemp(dir=tmp_path))
    path = _config_file(case, pairs, raw)
    code, err = _run(["--lang", "ko", "train", str(path), "--output", str(case / "run")])
    _check(code, err, case / "run", "ko")




def teardown_module(module):
    """How the fuzzed cases ended (shown with `pytest -s`; quoted in the closing notes)."""
    print(f"\nfuzz outcomes: {COUNTS['ok']} trained, {COUNTS['user_error']} one-line user errors, "
          f"0 tracebacks; in Korean: {COUNTS['ko_ok']} trained, {COUNTS['ko_hangul']} of "
          f"{COUNTS['ko_user_error']} one-line errors in Korean")
