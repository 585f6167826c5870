"""One generated table (a Korean text column and Korean column names) written in every format
the reader takes: UTF-8, cp949, UTF-16, .csv.gz, .csv.bz2, .zip, Parquet and .xlsx. Used by
tests/io/test_files.py; nothing here touches the network."""

from __future__ import annotations

import bz2
import gzip
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["korean_table", "write_formats", "FORMATS"]

FORMATS = ["utf8", "cp949", "utf16", "gz", "bz2", "zip", "parquet", "xlsx"]
_CITIES = ["서울", "부산", "대구", "인천", "광주"]


def korean_table(n: int = 240, seed: int = 0) -> pd.DataFrame:
    """Two numbers, a city (Korean text), a group and a binary label '합격'/'불합격' that
    depends on all of them."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n).round(4), rng.normal(size=n).round(4)
    city = rng.integers(0, len(_CITIES), n)
    group = rng.integers(0, 2, n)
    score = x1 + 0.5 * x2 + (city - 2) * 0.4 - 0.3 * group + rng.normal(scale=0.3, size=n)
    return pd.DataFrame({"나이": x1, "소득": x2, "도시": np.array(_CITIES)[city],
                         "group": np.array(["A", "B"])[group],
                         "결과": np.where(score > 0, "합격", "불합격")})


def write_formats(df: pd.DataFrame, folder: Path) -> dict[str, Path]:
    """The same table in every format: {format: path}."""
    folder.mkdir(parents=True, exist_ok=True)
    text = df.to_csv(index=False)
    out = {"utf8": folder / "t.csv", "cp949": folder / "t-cp949.csv",
           "utf16": folder / "t-utf16.csv", "gz": folder / "t.csv.gz",
           "bz2": folder / "t.csv.bz2", "zip": folder / "t.zip",
           "parquet": folder / "t.parquet", "xlsx": folder / "t.xlsx"}
    out["utf8"].write_text(text, encoding="utf-8")
    out["cp949"].write_bytes(text.encode("cp949"))
    out["utf16"].write_bytes(text.encode("utf-16"))
    out["gz"].write_bytes(gzip.compress(text.encode()))
    out["bz2"].write_bytes(bz2.compress(text.encode()))
    with zipfile.ZipFile(out["zip"], "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("표.csv", text)
    df.to_parquet(out["parquet"], index=False)
    df.to_excel(out["xlsx"], index=False, sheet_name="데이터")
    return out
