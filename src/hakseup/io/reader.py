"""Reading the table file the user points at: CSV text in any common encoding, compressed
CSV, Parquet or Excel — fast (pyarrow), forgiving of dialects, strict on garbage.

Handles byte-order marks, detected encodings (UTF-8, UTF-16, cp949/EUC-KR, Latin-1; see
``charsets.py``; ``--encoding`` forces one), sniffed delimiters (``,`` ``;`` tab ``|``), quoted
fields and files without a header; ``.csv.gz``, ``.csv.bz2``, a ``.zip`` holding one CSV,
Parquet and ``.xlsx`` (``--sheet``) are read directly (``formats.py``), and columns of numbers
written with thousands separators, percent or currency signs become numbers (``numbers.py``).
What was decided is in ``df.attrs["hakseup_source"]`` (its ``notices`` reach the run's data
section). Another format (PDF, binary), an empty file, a header with no rows, duplicate column
names and ragged rows each end in one clear ``DataError``.

Example:
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "readings.csv"
    >>> _ = path.write_text("1.5;2;a\\n3.5;4;b\\n")
    >>> df = read_csv(path, header=False)                 # columns named 0, 1, 2, ...
    >>> list(df.columns), df.shape
    (['0', '1', '2'], (2, 3))
"""

from __future__ import annotations

import csv
import io
import os
from collections import Counter
from pathlib import Path

import pandas as pd

from ..errors import DataError
from ..i18n import t
from .charsets import Charset, detect_encoding, guess_encoding
from .files import check_input_file, read_head

__all__ = [
    "valid_delimiter",
    "read_csv",
    "read_data",
    "sniff_delimiter",
    "check_delimiter",
    "source_info",
    "blank_to_missing",
    "SOURCE_KEY",
]

SOURCE_KEY = "hakseup_source"
_HEAD = 64 * 1024


def _check_text(path: Path, name: object, head: bytes, encoding: str | None) -> Charset:
    """The encoding of a text file that looks like text (not binary, decodable)."""
    if not head.strip():
        raise DataError(t("error.empty_file", name=name))
    charset = detect_encoding(head, encoding, name)
    if not charset.wide and b"\x00" in head:
        raise DataError(t("error.binary_file", name=name))
    if charset.plain_utf8 and encoding:  # --encoding utf-8 on a file in another charset
        _check_forced_utf8(head, name, charset.codec)
    elif not charset.plain_utf8:
        try:
            head.decode(charset.codec)
        except UnicodeDecodeError as e:
            if e.start < len(head) - 4:  # not just a character cut at the buffer's end
                raise DataError(
                    t(
                        "error.data.reader.text_byte_cannot",
                        name=name,
                        codec=charset.codec,
                        start=e.start,
                        reason=e.reason,
                    )
                ) from None
    return charset


def _check_forced_utf8(head: bytes, name: object, codec: str) -> None:
    """A file read with ``--encoding utf-8`` that is not UTF-8: one line naming the charset
    it looks like, rather than the mangled header it would give."""
    try:
        head.decode(codec)
    except UnicodeDecodeError as e:
        if e.start >= len(head) - 4:  # a character cut at the buffer's end
            return
        guess = guess_encoding(head, name)
        raise DataError(
            t("error.data.reader.not_utf8_forced", name=name, start=e.start, guess=guess)
        ) from None


def check_delimiter(delimiter: str | None) -> None:
    """Refuse a delimiter the CSV readers cannot use (pandas would silently read a longer one
    as a regular expression, with its slow Python engine)."""
    if delimiter is None:
        return
    if not valid_delimiter(delimiter):
        raise DataError(t("error.data.reader.invalid_delimiter_single", delimiter=delimiter))


def sniff_delimiter(sample: str) -> str:
    """The most plausible delimiter among , ; tab | (comma when unsure)."""
    lines = [ln for ln in sample.splitlines()[:50] if ln.strip()]
    if len(lines) > 1:
        try:
            return csv.Sniffer().sniff("\n".join(lines), delimiters=",;\t|").delimiter
        except csv.Error:
            pass
    counts = {d: sum(ln.count(d) for ln in lines) for d in ",;\t|"}
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] > 0 else ","


def _read_arrow(path: Path, sep: str, header: bool, codec: str) -> pd.DataFrame:
    """pyarrow's streaming reader: one 4 MiB block of text in flight at a time (the one-shot
    reader held the whole text and its parsed columns at once, 3.5x the file in memory), then a
    column-by-column conversion that releases Arrow's buffers as it goes. Column types come from
    the first block; a file whose later rows disagree raises, and the caller falls back to the
    pandas C reader. Text in another encoding is transcoded to UTF-8 as it streams."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    reader = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(
            autogenerate_column_names=not header,
            block_size=4 << 20,
            encoding="utf8" if codec.startswith("utf-8") else codec,
        ),
        parse_options=pacsv.ParseOptions(delimiter=sep),
    )
    table = pa.Table.from_batches(list(reader), schema=reader.schema)
    if any(pa.types.is_binary(f.type) or pa.types.is_large_binary(f.type) for f in table.schema):
        # Arrow types a column with undecodable text as bytes; the C reader names the byte.
        raise ValueError("text that is not valid in the encoding")
    df = table.to_pandas(self_destruct=True, split_blocks=True)
    del table
    # Arrow's allocator keeps the buffers it freed for reuse; nothing after this reads through
    # Arrow, so hand them back (for a 1M x 20 table: 180 MB of resident memory).
    pa.default_memory_pool().release_unused()
    if not header:
        df.columns = list(range(df.shape[1]))
    return df


def _check_header(text: str, sep: str, name: object) -> None:
    # newline=None: universal newlines, so a file with old-Mac CR-only line ends parses too
    first = next(csv.reader(io.StringIO(text, newline=None), delimiter=sep), [])
    names = [c.strip() for c in first]
    dups = [n for n, k in Counter(names).items() if k > 1]
    if dups:
        raise DataError(t("error.duplicate_columns", name=name, columns=", ".join(map(repr, dups))))
    if any(n == "" for n in names) and len(names) > 1:
        empty = [i for i, n in enumerate(names) if n == ""]
        if empty != [0]:  # a leading unnamed index column (pandas' to_csv) is fine
            raise DataError(
                t(
                    "error.data.reader.empty_column_name",
                    name=name,
                    names=", ".join(str(i + 1) for i in empty),
                )
            )


def _parse(path: Path, name: object, sep: str, header: bool, codec: str) -> pd.DataFrame:
    """The whole file through pyarrow, else the pandas C reader; errors become one line
    (a ``UnicodeDecodeError`` past the sampled head is left to the caller)."""
    kwargs = dict(
        sep=sep,
        header=0 if header else None,
        skipinitialspace=False,
        encoding="utf-8-sig" if codec.startswith("utf-8") else codec,
    )
    try:
        try:
            return _read_arrow(path, sep, header, codec)
        except Exception:  # dialects pyarrow refuses; the C engine says what is wrong
            return pd.read_csv(path, engine="c", low_memory=False, **kwargs)
    except pd.errors.EmptyDataError:
        raise DataError(t("error.no_columns", name=name)) from None
    except pd.errors.ParserError as e:
        msg = str(e).strip().splitlines()[-1]
        raise DataError(t("error.bad_csv", name=name, detail=msg, sep=repr(sep))) from None
    except UnicodeDecodeError:
        raise
    except ValueError as e:
        raise DataError(
            t("error.data.reader.could_read_csv", name=name, e=e, codec=codec)
        ) from None


def _read_text(
    path: Path, name: object, header: bool, delimiter: str | None, encoding: str | None
) -> tuple[pd.DataFrame, Charset, str]:
    """A CSV text file in any encoding, its encoding and delimiter; ``name`` is what
    messages call it."""
    head = read_head(path, _HEAD, "Data file", DataError)
    charset = _check_text(path, name, head, encoding)
    text = head.decode(charset.codec, errors="ignore").lstrip("\ufeff")
    sep = delimiter or sniff_delimiter(text)
    if header:
        _check_header(text, sep, name)
    try:
        return _parse(path, name, sep, header, charset.codec), charset, sep
    except UnicodeDecodeError as e:
        bad = e.object[e.start] if isinstance(e.object, bytes) else 0
        # An ASCII head says nothing about the encoding: detect it where the text stopped
        # decoding, and read the file again once with that.
        if not encoding and charset.codec == "utf-8" and head.isascii():
            codec = guess_encoding(_non_ascii_lines(path), name)
            if codec != "utf-8":
                retry = Charset(codec, False, detected=True)
                try:
                    return _parse(path, name, sep, header, codec), retry, sep
                except UnicodeDecodeError:
                    pass
        raise DataError(
            t(
                "error.data.reader.text_byte_past",
                name=name,
                codec=charset.codec,
                bad=bad,
                n_head=len(head),
                reason=e.reason,
            )
        ) from None


def _non_ascii_lines(path: Path, limit: int = _HEAD) -> bytes:
    """Up to ``limit`` bytes of the file's lines that hold non-ASCII bytes: what an encoding
    can be told from (a few Korean words among 100 KB of ASCII look like Chinese)."""
    out: list[bytes] = []
    rest = b""
    with open(path, "rb") as f:
        while (chunk := f.read(1 << 20)) and sum(map(len, out)) < limit:
            lines = (rest + chunk).split(b"\n")
            rest = lines.pop()
            out += [ln + b"\n" for ln in lines if not ln.isascii()]
    if not rest.isascii():
        out.append(rest)
    return b"".join(out)[:limit]


def blank_to_missing(df: pd.DataFrame) -> pd.DataFrame:
    """Empty or whitespace-only text cells become missing values (NaN). pandas' C reader reads
    an empty cell as missing while pyarrow keeps it as the text ''; a blank cell is a missing
    value to every part of hakseup (``inspect`` counts it as missing, training imputes it)."""
    for i in range(df.shape[1]):  # by position: names may repeat before _tidy
        s = df.iloc[:, i]
        if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            blank = s.astype("string").str.strip().eq("").fillna(False).to_numpy(dtype=bool)
            if blank.any():
                df.isetitem(i, s.mask(blank))
    return df


def _tidy(
    df: pd.DataFrame, name: object, header: bool, sep: str | None, min_columns: int = 2
) -> pd.DataFrame:
    """String column names; a leading unnamed index column dropped; at least one row and
    ``min_columns`` columns (two to train: a target and a feature; one to predict from)."""
    df.columns = [str(c).strip() for c in df.columns]
    df = blank_to_missing(df)
    if header and len(df.columns) and df.columns[0].startswith("Unnamed: 0"):
        df = df.drop(columns=df.columns[0])
    if df.shape[1] == 0:
        raise DataError(t("error.no_columns", name=name))
    if len(df) == 0:
        raise DataError(t("error.no_rows", name=name))
    if df.shape[1] < min_columns:
        how = t("fragment.with_delimiter", sep=sep) if sep else ""
        fix = t("fragment.other_delimiter") if sep else ""
        raise DataError(
            t(
                "error.data.reader.only_one_column",
                name=name,
                columns=df.columns[0],
                how=how,
                fix=fix,
            )
        )
    return df


def read_csv(
    path: str | os.PathLike,
    header: bool = True,
    delimiter: str | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    min_columns: int = 2,
) -> pd.DataFrame:
    """Read a table file into a DataFrame with string column names; errors become
    ``DataError``. ``encoding`` forces a text encoding; ``sheet`` picks an Excel sheet (name or
    1-based number); ``min_columns``: 1 for rows to predict (a lone feature, no target). What
    was decided is in ``source_info(df)``."""
    from .formats import read_excel, read_parquet, sniff_format, unpacked
    from .numbers import parse_formatted_numbers

    path = Path(path)
    check_delimiter(delimiter)
    check_input_file(path, "Data file", DataError)
    head = read_head(path, _HEAD, "Data file", DataError)
    if not head.strip():
        raise DataError(t("error.empty_file", name=path))
    kind = sniff_format(head, path)
    charset = sep = None
    if kind == "parquet":
        df = read_parquet(path)
    elif kind == "xlsx":
        df = read_excel(path, sheet, header)
    elif kind == "csv":
        df, charset, sep = _read_text(path, path, header, delimiter, encoding)
    else:
        with unpacked(path, kind) as inner:
            df, charset, sep = _read_text(inner, path, header, delimiter, encoding)
    df = _tidy(df, path, header, sep, min_columns)
    notices = _source_notices(path, kind, charset, sheet) + parse_formatted_numbers(df)
    df.attrs[SOURCE_KEY] = {
        "format": kind,
        "encoding": charset.codec if charset else None,
        "bom": bool(charset and charset.bom),
        "notices": notices,
        "sep": sep,
    }
    return df


def _source_notices(path: Path, kind: str, charset: Charset | None, sheet: str | None) -> list[str]:
    from .formats import FORMAT_NAMES

    parts = []
    if kind != "csv":
        parts.append(
            FORMAT_NAMES[kind]
            + (t("notice.data.reader.sheet", sheet=sheet) if kind == "xlsx" and sheet else "")
        )
    if charset and (charset.detected or not charset.plain_utf8):
        how = t("notice.data.reader.detected") if charset.detected else "--encoding"
        parts.append(t("notice.data.reader.codec_text", codec=charset.codec, how=how))
    return (
        [t("notice.data.reader.read_as", name=path.name, parts=", ".join(parts))] if parts else []
    )


def source_info(df: pd.DataFrame) -> dict:
    """How the reader read ``df``: format, encoding, BOM and notices (empty if unknown)."""
    return dict(df.attrs.get(SOURCE_KEY) or {})


def read_data(path: str | os.PathLike, cfg) -> pd.DataFrame:
    """``read_csv`` with a ``DataConfig``'s reading options."""
    return read_csv(
        path,
        header=cfg.header,
        delimiter=cfg.delimiter,
        encoding=getattr(cfg, "encoding", None),
        sheet=getattr(cfg, "sheet", None),
    )


def valid_delimiter(delimiter: str) -> bool:
    """A delimiter the CSV readers can use: one character, not a letter, digit, quote or line
    break (pandas would silently read a longer one as a regular expression, with its slow
    Python engine). ``check_delimiter`` raises its error, and the config checks
    ``data.delimiter`` with it.

    >>> valid_delimiter(";"), valid_delimiter("::"), valid_delimiter("a")
    (True, False, False)
    """
    return len(delimiter) == 1 and delimiter not in '\r\n"' and not delimiter.isalnum()
