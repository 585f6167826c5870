"""Inputs that must never do harm: Parquet columns of nested or binary types, a workbook that
inflates far past its size, a pickled weights file holding code, and a --storage database
that holds someone's own tables."""

from __future__ import annotations

import decimal
import pickle
import sqlite3
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import assert_user_error
from hakseup.errors import ConfigError, DataError
from hakseup.io.formats import WORKBOOK_RATIO, arrow_columns, max_ratio_bytes


def _parquet(path: Path, extra: dict) -> Path:
    n = 40
    rng = np.random.default_rng(0)
    cols = {"x": pa.array(rng.normal(size=n)), "y": pa.array(["a", "b"] * (n // 2)), **extra}
    pq.write_table(pa.table(cols), path)
    return path


NESTED = {
    "tags": pa.array([[1, 2]] * 40, type=pa.list_(pa.int64())),
    "rec": pa.array([{"a": 1, "b": "x"}] * 40),
    "raw": pa.array([b"\x00\x01"] * 40, type=pa.binary()),
    "kv": pa.array([[("k", 1)]] * 40, type=pa.map_(pa.string(), pa.int64())),
}


@pytest.mark.parametrize("name", sorted(NESTED))
def test_a_nested_or_binary_parquet_column_is_dropped_with_one_warning(tmp_path, name):
    from hakseup.io.reader import read_csv

    path = _parquet(tmp_path / "d.parquet", {name: NESTED[name]})
    with pytest.warns(UserWarning, match=name) as caught:
        df = read_csv(path)
    assert name not in df.columns and list(df.columns) == ["x", "y"]
    assert str(NESTED[name].type).split("<")[0] in str(caught[0].message)


def test_decimal_becomes_float_and_dictionary_a_category(tmp_path):
    from hakseup.io.reader import read_csv

    dec = pa.array([decimal.Decimal(f"{i}.25") for i in range(40)], type=pa.decimal128(10, 2))
    dic = pa.array(["lo", "hi"] * 20).dictionary_encode()
    df = read_csv(_parquet(tmp_path / "d.parquet", {"price": dec, "level": dic}))
    assert df["price"].dtype == np.float64 and df["price"].iloc[1] == 1.25
    assert isinstance(df["level"].dtype, pd.CategoricalDtype)


def test_train_and_inspect_on_nested_parquet_have_no_traceback(tmp_path, cli):
    path = _parquet(tmp_path / "d.parquet", dict(NESTED))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        code, out, err = cli("inspect", path, "--target", "y")
    assert code == 0, err
    only = tmp_path / "only.parquet"
    pq.write_table(pa.table({"tags": NESTED["tags"]}), only)
    with pytest.raises(DataError, match="no column of single values"):
        arrow_columns(pq.read_table(only), only)


def test_a_workbook_inflating_far_past_its_size_is_refused(tmp_path, monkeypatch):
    """600 KB that would unpack to 600 MB stays under the 1 GiB floor: the ratio refuses it."""
    from hakseup.io.reader import read_csv

    path = tmp_path / "bomb.xlsx"
    pd.DataFrame({"a": [1, 2], "b": [3, 4]}).to_excel(path, index=False)
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/padding.xml", b" " * (80 << 20))           # ~80 KB packed, 80 MB
    size = path.stat().st_size
    assert size * WORKBOOK_RATIO < 80 << 20 < 1 << 30
    with pytest.raises(DataError, match="decompression bomb"):
        read_csv(path)
    monkeypatch.setenv("HAKSEUP_MAX_UNPACKED_MB", "200")           # the explicit limit rules
    assert max_ratio_bytes(size) is None
    assert len(read_csv(path)) == 2


class _Gadget:
    def __reduce__(self):
        return (print, ("pwned",))


def test_a_pickle_holding_code_is_refused_without_suggesting_unsafe_loading(tmp_path, capsys):
    from hakseup.models.pretrained import read_weights

    path = tmp_path / "w.pt"
    path.write_bytes(pickle.dumps({"w": _Gadget()}))
    with pytest.raises(ConfigError) as e:
        read_weights(path)
    assert "holds code" in str(e.value) and "weights_only" not in str(e.value)
    assert "pwned" not in capsys.readouterr().out


TUNE = ("data: {{path: '{data}', target: y}}\ntrain: {{epochs: 1, progress: false, "
        "tensorboard: false}}\noutput: {{plots: false, root: '{root}'}}\n"
        "tune: {{train.lr: {{low: 1.0e-3, high: 1.0e-2, log: true}}}}\n")


def test_a_storage_database_with_other_tables_is_refused_unless_asked(tmp_path, cli):
    data = tmp_path / "d.csv"
    pd.DataFrame({"x": np.random.default_rng(0).normal(size=30),
                  "y": ["a", "b", "c"] * 10}).to_csv(data, index=False)
    (tmp_path / "t.yaml").write_text(TUNE.format(data=data, root=tmp_path / "runs"))
    mine = tmp_path / "mine.db"
    with sqlite3.connect(mine) as con:
        con.execute("create table customers (id integer, name text)")
        con.execute("insert into customers values (1, '홍길동')")
    before = mine.read_bytes()
    url = f"sqlite:///{mine}"
    assert_user_error(*cli("tune", tmp_path / "t.yaml", "--trials", "1", "--storage",
                           url)[::2], "customers", "--add-optuna-tables")
    assert mine.read_bytes() == before and not (tmp_path / "runs").exists()
    code, _, err = cli("tune", tmp_path / "t.yaml", "--trials", "1", "--storage", url,
                       "--add-optuna-tables")
    assert code == 0, err
    with sqlite3.connect(mine) as con:
        tables = {r[0] for r in con.execute("select name from sqlite_master")}
    assert {"customers", "studies"} <= tables
    # Now an Optuna store: a second worker joins without the flag.
    code, _, err = cli("tune", tmp_path / "t.yaml", "--trials", "1", "--storage", url)
    assert code == 0, err
