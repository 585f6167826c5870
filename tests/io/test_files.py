"""Every file a table comes in: encodings, compressed CSV, Parquet, Excel; numbers written for
people; predictions carrying identifier columns and opening in Excel."""

from __future__ import annotations

import bz2
import gzip
import json
import struct
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import assert_user_error
from files_table import FORMATS, korean_table, write_formats
from hakseup.cli.main import main
from hakseup.config import DataConfig
from hakseup.io.reader import read_csv, source_info
from hakseup.data.table.prepare import prepare_table

QUICK = ["--epochs", "3", "--seed", "0", "--no-progress", "--no-tensorboard",
         "--set", "output.plots=false", "--references", "none"]


@pytest.fixture(scope="module")
def formats(tmp_path_factory) -> dict[str, Path]:
    pytest.importorskip("openpyxl")
    return write_formats(korean_table(), tmp_path_factory.mktemp("formats"))


def _train(data: Path, out: Path, *extra: str) -> dict:
    code = main(["train", "--data", str(data), "--target", "결과", *QUICK, "--output", str(out),
                 *extra])
    assert code == 0
    return json.loads((out / "metrics.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def reference(formats, tmp_path_factory) -> dict:
    """The UTF-8 CSV's test metrics, trained once for the module."""
    return _train(formats["utf8"], tmp_path_factory.mktemp("ref") / "run")


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f != "utf8"])
def test_every_format_trains_to_the_same_metrics(formats, reference, fmt, tmp_path):
    got = _train(formats[fmt], tmp_path / "run")
    assert got["metrics"] == reference["metrics"]            # exactly, every value
    assert got["baseline"] == reference["baseline"]
    report = (tmp_path / "run" / "report.md").read_text(encoding="utf-8")
    if fmt != "utf8":                                        # the data section says how
        assert f"Read '{formats[fmt].name}' as" in report


def test_every_format_reads_to_the_same_frame(formats):
    ref = read_csv(formats["utf8"])
    assert list(ref.columns) == ["나이", "소득", "도시", "group", "결과"]
    for fmt, path in formats.items():
        df = read_csv(path)
        pd.testing.assert_frame_equal(df, ref, check_dtype=True)
        assert source_info(df)["format"] == {"gz": "gzip", "bz2": "bz2", "zip": "zip",
                                             "parquet": "parquet", "xlsx": "xlsx"}.get(fmt, "csv")


# ------------------------------------------------------------------ encodings

@pytest.mark.parametrize("encode,codec,bom", [
    (lambda t: t.encode("cp949"), "cp949", False),
    (lambda t: t.encode("euc-kr"), "cp949", False),          # cp949 is EUC-KR's superset
    (lambda t: t.encode("utf-8-sig"), "utf-8-sig", True),
    (lambda t: t.encode("utf-16-le").join([b"\xff\xfe", b""]), "utf-16", True),
    (lambda t: t.encode("utf-16-be").join([b"\xfe\xff", b""]), "utf-16", True),
])
def test_korean_text_encodings_are_detected(encode, codec, bom):
    text = "이름,도시,값\n" + "".join(f"가나{i},서울,{i}\n" for i in range(30))
    Path("k.csv").write_bytes(encode(text))
    df = read_csv("k.csv")
    assert list(df.columns) == ["이름", "도시", "값"]
    assert df["도시"].eq("서울").all() and df["값"].tolist() == list(range(30))
    info = source_info(df)
    assert (info["encoding"], info["bom"]) == (codec, bom)


def test_latin1_is_detected():
    rows = "".join(f"{c},{i}\n" for i, c in enumerate(["café", "crème", "rouge", "noël"] * 5))
    Path("l.csv").write_bytes(("mot,n\n" + rows).encode("latin-1"))
    df = read_csv("l.csv")
    assert set(df["mot"]) == {"café", "crème", "rouge", "noël"}
    assert source_info(df)["encoding"] in ("latin-1", "cp1252")


def test_non_ascii_past_the_sampled_head_is_detected_too():
    """The first 64 KiB are ASCII; the Korean text (cp949) comes after them."""
    ascii_rows = "".join(f"abc,{i}\n" for i in range(12000))           # ~100 KB
    Path("late.csv").write_bytes(("w,n\n" + ascii_rows + "서울,1\n부산,2\n").encode("cp949"))
    df = read_csv("late.csv")
    assert df["w"].iloc[-2:].tolist() == ["서울", "부산"]
    assert source_info(df)["encoding"] == "cp949"


def test_encoding_can_be_forced(cli):
    # Latin-1 bytes that charset detection may call another code page: forced, they are Latin-1.
    Path("f.csv").write_bytes(("a,b,y\n" + "".join(f"\xe9{i % 3},{i},{i % 2}\n"
                                                  for i in range(40))).encode("latin-1"))
    df = read_csv("f.csv", encoding="latin-1")
    assert df["a"].iloc[0] == "é0" and source_info(df)["encoding"] == "iso8859-1"
    code, _, err = cli("train", "--data", "f.csv", "--target", "y", "--encoding", "klingon",
                       *QUICK)
    assert_user_error(code, err, "Unknown text encoding 'klingon'", "cp949")
    Path("k.csv").write_bytes("a,b,y\n서울,1,0\n부산,2,1\n".encode("cp949"))
    code, _, err = cli("inspect", "k.csv", "--encoding", "utf-8")
    assert_user_error(code, err, "not utf-8 text", "--encoding")


def test_utf16_without_bom_needs_the_encoding_named(cli):
    Path("u.csv").write_bytes("a,b\n1,2\n3,4\n".encode("utf-16-le"))
    code, _, err = cli("inspect", "u.csv")
    assert_user_error(code, err, "NUL bytes", "--encoding utf-16-le")
    assert read_csv("u.csv", encoding="utf-16-le").shape == (2, 2)


# ------------------------------------------------------------------ compressed, Parquet, Excel

def _zip(name: str, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(name, "w", zipfile.ZIP_DEFLATED) as zf:
        for member, data in members.items():
            zf.writestr(member, data)
    return Path(name)


def _patch_zip(path: Path, sig: bytes, offset: int, value: bytes, mask: bool = False) -> None:
    b = bytearray(path.read_bytes())
    i = b.find(sig)
    if mask:
        b[i + offset] |= value[0]
    else:
        b[i + offset:i + offset + len(value)] = value
    path.write_bytes(bytes(b))


CSV = b"a,b,y\n" + b"".join(b"%d,%d,%d\n" % (i, i % 7, i % 2) for i in range(50))


def test_zip_with_one_csv_reads_and_others_are_one_line(cli):
    _zip("one.zip", {"__MACOSX/._t.csv": b"junk", "data/t.csv": CSV, "notes/": b""})
    assert read_csv("one.zip").shape == (50, 3)
    _zip("two.zip", {"a.csv": CSV, "b.csv": CSV})
    code, _, err = cli("inspect", "two.zip")
    assert_user_error(code, err, "holds 2 CSV files", "'a.csv', 'b.csv'")
    _zip("none.zip", {"readme.md": b"hi", "t.json": b"{}"})
    code, _, err = cli("inspect", "none.zip")
    assert_user_error(code, err, "no CSV file", "'readme.md', 't.json'")


def test_encrypted_zip_is_one_line(cli):
    p = _zip("enc.zip", {"t.csv": CSV})
    _patch_zip(p, b"PK\x03\x04", 6, b"\x01", mask=True)      # the "encrypted" flag bit
    _patch_zip(p, b"PK\x01\x02", 8, b"\x01", mask=True)
    code, _, err = cli("train", "--data", "enc.zip", "--target", "y", *QUICK)
    assert_user_error(code, err, "encrypted")
    assert not Path("runs").exists()


def test_decompression_bombs_are_refused_before_they_fill_the_disk(cli, monkeypatch, tmp_path):
    p = _zip("bomb.zip", {"t.csv": CSV})                     # declares ~4 GiB unpacked
    _patch_zip(p, b"PK\x01\x02", 24, struct.pack("<I", 0xFFFFFFF0))
    code, _, err = cli("inspect", "bomb.zip")
    assert_user_error(code, err, "decompression bomb", "HAKSEUP_MAX_UNPACKED_MB")
    # gzip declares nothing reliable: the unpacking itself stops at the limit.
    Path("bomb.csv.gz").write_bytes(gzip.compress(b"a,b\n" + b"0,0\n" * (1 << 20)))   # 4 MiB
    monkeypatch.setenv("HAKSEUP_MAX_UNPACKED_MB", "1")
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)           # TMPDIR read again
    code, _, err = cli("inspect", "bomb.csv.gz")
    assert_user_error(code, err, "more than 1 MiB", "decompression bomb")
    assert not any((tmp_path / "tmp").iterdir())             # the temp folder is gone
    monkeypatch.setenv("HAKSEUP_MAX_UNPACKED_MB", "8")
    assert read_csv("bomb.csv.gz").shape == (1 << 20, 2)


@pytest.mark.parametrize("name,data,needle", [
    ("t.csv.gz", gzip.compress(CSV, mtime=0)[:40], "damaged gzip"),
    ("t.csv.gz", gzip.compress(CSV, mtime=0)[:12] + b"\xff" * 30 +
     gzip.compress(CSV, mtime=0)[42:], "damaged gzip"),
    ("t.csv.bz2", bz2.compress(CSV)[:8] + b"\x00" * 40, "damaged bz2"),
    ("t.csv.gz", CSV, "named like a gzip-compressed CSV"),
    ("t.xlsx", CSV, "named like an Excel workbook"),
    ("t.parquet", b"PAR1" + b"\x00" * 64, "damaged Parquet"),
    ("t.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "password-protected workbook"),
], ids=["gzip_cut", "gzip_flipped", "bz2_zeroed", "gz_named_text", "xlsx_named_text",
        "parquet_empty", "xls_or_encrypted"])
def test_hostile_containers_are_one_line(cli, name, data, needle):
    Path(name).write_bytes(data)
    code, _, err = cli("train", "--data", name, "--target", "y", *QUICK)
    assert_user_error(code, err, needle)


def test_truncated_parquet_is_one_line(cli):
    pd.DataFrame({"a": np.arange(100), "y": np.arange(100) % 2}).to_parquet("t.parquet")
    raw = Path("t.parquet").read_bytes()
    Path("t.parquet").write_bytes(raw[:len(raw) // 2])
    code, _, err = cli("inspect", "t.parquet")
    assert_user_error(code, err, "damaged Parquet")


def test_excel_sheets_by_name_and_number(cli):
    pytest.importorskip("openpyxl")
    with pd.ExcelWriter("w.xlsx") as xw:
        pd.DataFrame({"note": ["x", "y"]}).to_excel(xw, sheet_name="표지", index=False)
        pd.DataFrame({"a": [i % 7 for i in range(40)], "y": [i % 2 for i in range(40)]}).to_excel(
            xw, sheet_name="데이터", index=False)
    assert read_csv("w.xlsx", sheet="데이터").shape == (40, 2)
    assert read_csv("w.xlsx", sheet="2").equals(read_csv("w.xlsx", sheet="데이터"))
    code, _, err = cli("inspect", "w.xlsx")                  # the first sheet: one column
    assert_user_error(code, err, "only one column")
    code, _, err = cli("inspect", "w.xlsx", "--sheet", "3")
    assert_user_error(code, err, "no sheet '3'", "1: '표지', 2: '데이터'")
    code, _, err = cli("train", "--data", "w.xlsx", "--sheet", "데이터", "--target", "y", *QUICK)
    assert code == 0, err


def test_excel_without_openpyxl_names_the_extra(cli, monkeypatch, formats):
    monkeypatch.setitem(sys.modules, "openpyxl", None)       # import openpyxl fails
    code, _, err = cli("inspect", str(formats["xlsx"]))
    assert_user_error(code, err, 'pip install "hakseup[excel]"')


# ------------------------------------------------------------------ numbers written for people

def _formatted_table(n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    price = rng.integers(500, 90000, n)
    return pd.DataFrame({"price": [f"${p:,}" for p in price],
                         "won": [f"₩{p * 10:,}" for p in price],
                         "rate": [f"{p / 1000:.1f}%" for p in price],
                         "spaced": [f"{p:,}".replace(",", " ") for p in price],
                         "code": [f"0{i:03d}" if i % 2 else f"1,{i:03d}" for i in range(n)],
                         "ref": [f"{100000 + i:,}" for i in range(n)],
                         "day": [f"2021-03-{1 + i % 28:02d}" for i in range(n)],
                         "y": (price > 40000).astype(int)}), price


def test_formatted_numbers_are_parsed_and_said_so():
    df, price = _formatted_table()
    df.to_csv("f.csv", index=False)
    got = read_csv("f.csv")
    assert got["price"].tolist() == price.tolist()
    assert got["won"].tolist() == (price * 10).tolist()
    assert got["rate"].tolist() == [float(f"{p / 1000:.1f}") / 100 for p in price]
    assert got["spaced"].tolist() == price.tolist()
    assert got["code"].iloc[1] == "0001"                      # zero-padded codes stay text
    assert got["ref"].iloc[0] == 100000                        # parsed, then an identifier:
    assert not pd.api.types.is_numeric_dtype(got["day"])      # dates are not numbers
    plan = prepare_table(got, DataConfig(target="y"))
    assert {plan.kinds[c] for c in ("price", "won", "rate", "spaced")} == {"numeric"}
    assert "ref" not in plan.kinds and plan.kinds.get("code") != "numeric"
    said = " ".join(plan.notices)
    assert "Column 'ref' looks like an identifier" in said
    for col in ("price", "won", "rate", "spaced"):
        assert f"Column '{col}' holds numbers written with" in said
    assert "currency symbol ($)" in said and "currency symbol (₩)" in said
    assert "percent signs" in said


@pytest.mark.parametrize("values,needle", [
    (["$1,000", "€2,000"] * 30, "mixes currencies"),
    ([f"{1000 + i:,}" for i in range(57)] + ["lots", "n.a.", "lots"], "3 value(s) are not"),
    (["10%", "20%", "0.3"] * 20, "mixes percentages"),
])
def test_nearly_formatted_columns_stay_text_with_a_reason(values, needle):
    pd.DataFrame({"v": values, "x": range(len(values)), "y": [i % 2 for i in range(len(values))]}
                 ).to_csv("f.csv", index=False)
    df = read_csv("f.csv")
    assert pd.api.types.is_string_dtype(df["v"])
    assert any(needle in n for n in source_info(df)["notices"])


def test_plain_csv_reads_as_before():
    pd.DataFrame({"a": [1.5, 2.5] * 20, "b": ["x", "y"] * 20, "y": [0, 1] * 20}).to_csv(
        "p.csv", index=False)
    df = read_csv("p.csv")
    assert source_info(df)["notices"] == [] and df["a"].dtype == np.float64


# ------------------------------------------------------------------ predictions out

@pytest.fixture
def table_run(tmp_path) -> Path:
    df = korean_table(120)
    df.insert(0, "고객번호", [f"C{i:04d}" for i in range(len(df))])
    df.to_csv(tmp_path / "train.csv", index=False, encoding="utf-8-sig")
    code = main(["train", "--data", str(tmp_path / "train.csv"), "--target", "결과",
                 "--drop", "고객번호", *QUICK, "--output", str(tmp_path / "run")])
    assert code == 0
    return tmp_path / "run"


def test_predict_keeps_columns_and_writes_a_bom_when_asked(cli, table_run, tmp_path):
    new = korean_table(30, seed=5).drop(columns=["결과"])
    new.insert(0, "고객번호", [f"N{i:03d}" for i in range(30)])
    new.to_csv("new.csv", index=False)                        # plain UTF-8, no BOM
    code, _, err = cli("predict", table_run, "--data", "new.csv", "--keep", "고객번호,도시",
                       "--output", "p.csv")
    assert code == 0, err
    raw = Path("p.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    out = pd.read_csv("p.csv", encoding="utf-8")
    assert list(out.columns[:3]) == ["고객번호", "도시", "predicted_결과"]
    assert out["고객번호"].tolist() == new["고객번호"].tolist()
    assert out["도시"].tolist() == new["도시"].tolist()
    code, _, err = cli("predict", table_run, "--data", "new.csv", "--excel", "--output", "x.csv")
    assert code == 0 and Path("x.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    new.to_csv("bom.csv", index=False, encoding="utf-8-sig")  # the input has one: so does the output
    cli("predict", table_run, "--data", "bom.csv", "--output", "b.csv")
    assert Path("b.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    plain = pd.read_csv("x.csv", encoding="utf-8-sig")
    assert plain.equals(out.drop(columns=["고객번호", "도시"]))   # the same predictions


def test_predict_keep_unknown_column_is_one_line(cli, table_run):
    korean_table(10, seed=2).to_csv("new.csv", index=False)
    code, _, err = cli("predict", table_run, "--data", "new.csv", "--keep", "고객번호",
                       "--output", "p.csv")
    assert_user_error(code, err, "--keep column(s) '고객번호' not in", "Columns: 나이, 소득")
    assert not Path("p.csv").exists()


def test_predict_and_evaluate_read_other_formats(cli, table_run):
    pytest.importorskip("openpyxl")
    df = korean_table(40, seed=3)
    df.insert(0, "고객번호", [f"K{i}" for i in range(40)])
    df.to_excel("new.xlsx", index=False)
    Path("new.csv").write_bytes(df.to_csv(index=False).encode("cp949"))
    code, _, err = cli("predict", table_run, "--data", "new.xlsx", "--keep", "고객번호",
                       "--output", "px.csv")
    assert code == 0, err
    code, _, err = cli("predict", table_run, "--data", "new.csv", "--keep", "고객번호",
                       "--output", "pc.csv")
    assert code == 0, err
    px, pc = Path("px.csv").read_bytes(), Path("pc.csv").read_bytes()
    assert px.startswith(b"\xef\xbb\xbf") and px[3:] == pc     # same rows; a BOM for Excel's
    code, out, err = cli("evaluate", table_run, "--data", "new.csv")
    assert code == 0, err
