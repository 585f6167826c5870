"""Values that were silently accepted or ended in a traceback (issue 24, item 3): each is now
one line — an error (exit 2) or a warning — naming what happened and what to do."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import hakseup
from conftest import assert_user_error
from hakseup.config import RunConfig
from hakseup.errors import ConfigError, DataError

QUICK = ["--epochs", "1", "--no-progress", "--no-tensorboard", "--set", "output.plots=false"]


def _series(path: Path, dates: list[str], values=None) -> Path:
    values = values if values is not None else np.sin(np.arange(len(dates)) / 5)
    path.write_text("date,v\n" + "".join(f"{d},{v}\n" for d, v in zip(dates, values)))
    return path


def _days(n: int) -> list[str]:
    return [str(np.datetime64("2020-01-01") + i) for i in range(n)]


def _table(path: Path, labels=("0", "1")) -> Path:
    rng = np.random.default_rng(0)
    path.write_text("a,b,y\n" + "".join(f"{rng.normal():.3f},{rng.normal():.3f},"
                                        f"{labels[i % len(labels)]}\n" for i in range(60)))
    return path


def _setup_warnings(**data) -> list[str]:
    """The warnings of an Experiment's setup (data loaded, config resolved; no training)."""
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        exp = hakseup.Experiment(RunConfig.from_dict({"data": data, "train": {"epochs": 1}}))
        exp.setup().close()
    return [str(w.message) for w in seen]


# ------------------------------------------------------------------ time columns and series


def test_mixed_utc_offsets_are_one_line(cli, tmp_path):
    dates = [f"{d}T00:00:00{'+09:00' if i % 2 else ''}" for i, d in enumerate(_days(40))]
    code, _, err = cli("train", "--data", _series(tmp_path / "s.csv", dates), "--time-col",
                       "date", "--target", "v", *QUICK)
    assert_user_error(code, err, "mixes 20 stamp(s) with a UTC offset", "20 without")


def test_stamps_that_all_carry_an_offset_are_read_in_utc():
    import pandas as pd

    from hakseup.data.series.dates import parse_dates

    out = parse_dates(pd.Series(["2020-01-01T09:00:00+09:00", "2020-01-02T00:00:00Z"]))
    assert list(out.strftime("%Y-%m-%d %H")) == ["2020-01-01 00", "2020-01-02 00"]


def test_dates_outside_pandas_range_are_named(cli, tmp_path):
    dates = [f"{1000 + i}-01-01" for i in range(30)]
    code, _, err = cli("train", "--data", _series(tmp_path / "s.csv", dates), "--time-col",
                       "date", "--target", "v", *QUICK)
    assert_user_error(code, err, "outside the range pandas can hold", "'1000-01-01'")


def test_a_one_row_series_is_too_short_not_constant(cli, tmp_path):
    code, _, err = cli("train", "--data", _series(tmp_path / "s.csv", _days(1), [3.0]),
                       "--time-col", "date", "--target", "v", *QUICK)
    assert_user_error(code, err, "too short", "1 point")


def test_values_near_1e300_are_refused(cli, tmp_path):
    values = 1e300 * (1.5 + np.sin(np.arange(40) / 5))
    code, _, err = cli("train", "--data", _series(tmp_path / "s.csv", _days(40), values),
                       "--time-col", "date", "--target", "v", *QUICK)
    assert_user_error(code, err, "too large", "rescale")


# ------------------------------------------------------------------ keys of another kind


def test_series_keys_on_a_table_are_said_not_used(tmp_path):
    seen = _setup_warnings(path=str(_table(tmp_path / "t.csv")), target="y", horizon=3,
                           window=5)
    line = next(m for m in seen if "are not used" in m)
    assert "data.window, data.horizon" in line and "table" in line and "\n" not in line


def test_table_keys_on_a_series_are_said_not_used(tmp_path):
    path = _series(tmp_path / "s.csv", _days(80))
    seen = _setup_warnings(path=str(path), time_col="date", target="v", categorical=["x"])
    assert any("data.categorical" in m and "time series" in m for m in seen), seen


def test_a_negative_sequence_shape_is_refused(cli, tmp_path):
    code, _, err = cli("train", "--data", _table(tmp_path / "t.csv"), "--target", "y",
                       "--layout", "sequence", "--sequence-shape=-1x-2", *QUICK)
    assert_user_error(code, err, "Invalid --sequence-shape '-1x-2'")


# ------------------------------------------------------------------ labels, encodings, xlsx


def test_labels_1_and_01_are_warned_about(tmp_path):
    seen = _setup_warnings(path=str(_table(tmp_path / "t.csv", ("1", "01", "2"))), target="y")
    line = next(m for m in seen if "several ways" in m)
    assert "'01' = '1'" in line, line


def test_a_cp949_file_read_as_utf8_suggests_cp949(cli, tmp_path):
    path = tmp_path / "k.csv"
    path.write_bytes(("이름,값,y\n" + "".join(f"가나{i},{i},{i % 2}\n" for i in range(40))
                      ).encode("cp949"))
    code, _, err = cli("inspect", path, "--encoding", "utf-8")
    assert_user_error(code, err, "is not UTF-8", "--encoding cp949")


@pytest.mark.parametrize("codec", ["idna", "punycode", "unicode_escape", "undefined"])
def test_codecs_that_are_not_charsets_are_refused(cli, tmp_path, codec):
    code, _, err = cli("inspect", _table(tmp_path / "t.csv"), "--encoding", codec)
    assert_user_error(code, err, "is not a text encoding")


def test_formula_columns_without_values_are_named(tmp_path):
    import openpyxl

    from hakseup.io.reader import read_data

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["a", "total", "y"])
    for i in range(2, 30):
        ws.append([float(i), f"=A{i}*2", i % 2])
    wb.save(tmp_path / "f.xlsx")
    with pytest.warns(UserWarning, match=r"formulas without saved values \(total\)"):
        read_data(tmp_path / "f.xlsx", hakseup.DataConfig())


def test_a_text_target_on_a_regression_run_is_one_line(cli, tmp_path):
    data = _table(tmp_path / "t.csv")
    code, _, err = cli("train", "--data", data, "--target", "a", "--output", tmp_path / "run",
                       *QUICK)
    assert code == 0, err
    text = data.read_text().splitlines()
    (tmp_path / "x.csv").write_text("\n".join([text[0]] + [
        f"x{i},{ln.split(',')[1]},{ln.split(',')[2]}" for i, ln in enumerate(text[1:])]))
    code, _, err = cli("evaluate", tmp_path / "run", "--data", tmp_path / "x.csv")
    assert_user_error(code, err, "not finite numbers", "'x0'")


# ------------------------------------------------------------------ paths and terminals


def test_arguments_with_bytes_that_are_not_utf8_are_refused_before_anything(cli, tmp_path):
    data = _table(tmp_path / "t.csv")
    bad = os.fsdecode(b"out\xfe")
    code, _, err = cli("train", "--data", data, "--target", "y", "--output", bad, *QUICK)
    assert_user_error(code, err, "not UTF-8")
    assert not (tmp_path / os.fsencode(bad).decode("latin-1")).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "t.csv"] or \
        sorted(p.name for p in tmp_path.iterdir()) == ["t.csv"]
    with pytest.raises(ConfigError, match="not UTF-8"):
        hakseup.load_config(flags={"data.path": os.fsdecode(b"bad\xff.csv")})


@pytest.mark.slow          # two fresh interpreters
def test_an_ascii_terminal_gets_escapes_not_a_unicode_error(tmp_path):
    path = tmp_path / "k.csv"
    path.write_text("이름,값,y\n" + "".join(f"가나{i},{i * 1.5},{i % 2}\n" for i in range(40)))
    env = {**os.environ, "PYTHONIOENCODING": "ascii",
           "PYTHONPATH": str(Path(hakseup.__file__).parents[1])}
    for argv in (["inspect", str(path)], ["--lang", "ko", "train", "--data", "nope.csv"]):
        out = subprocess.run([sys.executable, "-m", "hakseup", *argv], capture_output=True,
                             env=env, cwd=tmp_path, timeout=120)
        assert b"Traceback" not in out.stderr and b"UnicodeEncodeError" not in out.stderr, \
            out.stderr[-500:]
        assert out.returncode in (0, 2) and (b"\\u" in out.stdout + out.stderr)


def test_the_regression_target_check_is_a_data_error():
    import pandas as pd

    from hakseup.data.table.preprocess import TablePreprocessor

    assert hasattr(TablePreprocessor, "transform_target")
    with pytest.raises(DataError):
        pre = TablePreprocessor.__new__(TablePreprocessor)
        pre.task, pre.target = "regression", "y"
        pre.transform_target(pd.DataFrame({"y": ["a", "1"]}))


def test_an_image_csv_whose_target_names_every_image_is_refused(tmp_path):
    from hakseup.data.image.folder import scan_table

    (tmp_path / "img.csv").write_text("file,name\n" + "".join(
        f"i{i}.png,n{i}\n" for i in range(10)))
    with pytest.raises(DataError, match="its own class"):
        scan_table(tmp_path / "img.csv", "file", "name")
    with pytest.raises(DataError, match="column of image paths"):
        scan_table(tmp_path / "img.csv", "file", "file")


def test_evaluate_data_without_any_label_is_one_line(cli, tmp_path):
    data = _table(tmp_path / "t.csv")
    code, _, err = cli("train", "--data", data, "--target", "y", "--output", tmp_path / "run",
                       *QUICK)
    assert code == 0, err
    (tmp_path / "e.csv").write_text("a,b,y\n1,2,\n2,1,\n")
    code, _, err = cli("evaluate", tmp_path / "run", "--data", tmp_path / "e.csv")
    assert_user_error(code, err, "no row with a value in the target column")
