"""The file formats a table comes in besides plain CSV text: gzip/bz2-compressed CSV, a zip
archive holding one CSV, Parquet and Excel ``.xlsx`` workbooks.

The format is read from the file's first bytes (a name that promises another format is an
error: a download cut short, an HTML error page saved as ``.xlsx``). Compressed CSV is
unpacked into a private temporary folder — nothing is written anywhere else, and the folder
is removed when the table has been read — and unpacking is bounded: past
``max_unpacked_bytes`` (1 GiB or 100 times the packed size, whichever is larger;
``HAKSEUP_MAX_UNPACKED_MB`` sets it) the file is refused as a possible decompression bomb;
a workbook, which openpyxl reads slowly, also past 200 times its size (once over 64 MiB).
Parquet's Arrow types go through one checked conversion (``arrow_columns``).

Example:
    >>> with unpacked(Path("sales.csv.gz"), "gzip") as csv_path:     # doctest: +SKIP
    ...     df = read_csv(csv_path)
"""

from __future__ import annotations

import bz2
import gzip
import os
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from ..errors import DataError
from ..i18n import t

__all__ = [
    "sniff_format",
    "unpacked",
    "read_parquet",
    "read_excel",
    "max_unpacked_bytes",
    "FORMAT_NAMES",
    "arrow_columns",
    "max_ratio_bytes",
]

FORMAT_NAMES = {
    "csv": "CSV text",
    "gzip": "a gzip-compressed CSV",
    "bz2": "a bz2-compressed CSV",
    "zip": "a zip archive",
    "parquet": "a Parquet file",
    "xlsx": "an Excel workbook",
}
_MAGIC = [
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bz2"),
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),
    (b"PAR1", "parquet"),
]
_REFUSED = [
    (b"%PDF", "a PDF document"),
    (
        b"\xd0\xcf\x11\xe0",
        "an old-style Excel/Office document (.xls) or a password-protected workbook",
    ),
    (b"\x89PNG", "a PNG image"),
    (b"\x93NUMPY", "a NumPy array file"),
    (b"SQLite format 3", "an SQLite database"),
]
_SUFFIXES = {
    ".gz": "gzip",
    ".gzip": "gzip",
    ".bz2": "bz2",
    ".zip": "zip",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
}
_CHUNK = 1 << 20
_TEXT_MEMBERS = (".csv", ".tsv", ".txt")


def sniff_format(head: bytes, path: Path) -> str:
    """csv | gzip | bz2 | zip | xlsx | parquet, from the first bytes; refuse the rest."""
    for magic, what in _REFUSED:
        if head.startswith(magic):
            fix = (
                t("fragment.save_as_xlsx")
                if magic == b"\xd0\xcf\x11\xe0"
                else t("fragment.export_csv")
            )
            raise DataError(t("error.data.formats.table_file_csv", path=path, what=what, fix=fix))
    kind = next((k for magic, k in _MAGIC if head.startswith(magic)), "csv")
    if kind == "zip" and _is_workbook(path):
        kind = "xlsx"
    named = _SUFFIXES.get(path.suffix.lower())
    if named and named != kind and not (named == "zip" and kind == "xlsx"):
        shown = head[:8].decode("latin-1").encode("unicode_escape").decode()
        raise DataError(
            t(
                "error.data.formats.named_like_one",
                path=path,
                format_names=FORMAT_NAMES[named],
                shown=shown,
            )
        )
    return kind


def _is_workbook(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as zf:
            return "xl/workbook.xml" in zf.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False  # a damaged zip: said when it is opened


def max_unpacked_bytes(packed: int) -> int:
    """How much a compressed file may unpack to before it is refused."""
    env = os.environ.get("HAKSEUP_MAX_UNPACKED_MB")
    if env:
        try:
            return int(float(env) * (1 << 20))
        except ValueError:
            raise DataError(t("error.data.formats.hakseup_max_unpacked", env=env)) from None
    return max(1 << 30, 100 * packed)


def _too_big(path: Path, limit: int) -> DataError:
    return DataError(t("error.data.formats.unpacks_more_than", path=path, value=limit / (1 << 20)))


@contextmanager
def unpacked(path: Path, kind: str) -> Iterator[Path]:
    """The CSV inside a gzip/bz2 file or a zip archive, unpacked into a temporary folder
    that is removed afterwards (whatever happens)."""
    limit = max_unpacked_bytes(os.path.getsize(path))
    with tempfile.TemporaryDirectory(prefix="hakseup-unpack-") as tmp:
        out = Path(tmp) / "data.csv"
        try:
            if kind == "zip":
                _unzip_one(path, out, limit)
            else:
                opener = gzip.open if kind == "gzip" else bz2.open
                with opener(path, "rb") as src:
                    _copy_bounded(src, out, path, limit)
        except (
            OSError,
            EOFError,
            zlib.error,
            zipfile.BadZipFile,
            NotImplementedError,
            RuntimeError,
        ) as e:
            raise _damaged(path, kind, e) from None
        yield out


def _damaged(path: Path, kind: str, e: BaseException) -> DataError:
    from ..errors import describe_os_error

    if isinstance(e, OSError) and e.errno is not None:
        return DataError(
            t(
                "error.data.formats.unpack_failed",
                path=path,
                tmp=tempfile.gettempdir(),
                reason=describe_os_error(e) or e.strerror,
            )
        )
    reason = (str(e).strip().splitlines() or [type(e).__name__])[0]
    return DataError(
        t(
            "error.data.formats.damaged_complete_file",
            path=path,
            removeprefix=FORMAT_NAMES[kind].removeprefix("a "),
            reason=reason,
        )
    )


def _copy_bounded(src, out: Path, path: Path, limit: int) -> None:
    written = 0
    with open(out, "wb") as dst:
        while chunk := src.read(_CHUNK):
            written += len(chunk)
            if written > limit:
                raise _too_big(path, limit)
            dst.write(chunk)


def _unzip_one(path: Path, out: Path, limit: int) -> None:
    """Exactly one CSV member (macOS resource forks and folders aside), unencrypted, within
    the limit (zipfile never reads past a member's declared size, so checking that bounds it)."""
    with zipfile.ZipFile(path) as zf:
        members = [
            i
            for i in zf.infolist()
            if not i.is_dir()
            and not i.filename.startswith("__MACOSX/")
            and not Path(i.filename).name.startswith("._")
        ]
        tables = [i for i in members if i.filename.lower().endswith(_TEXT_MEMBERS)]
        if len(tables) != 1:
            names = [i.filename for i in (tables or members)]
            shown = ", ".join(map(repr, names[:10])) + (", ..." if len(names) > 10 else "")
            what = (
                t("fragment.csv_files", n=len(tables), shown=shown)
                if tables
                else t("fragment.no_csv_file", shown=shown or t("fragment.it_is_empty"))
            )
            raise DataError(t("error.data.formats.holds_zip_archive", path=path, what=what))
        info = tables[0]
        if info.flag_bits & 0x1:
            raise DataError(
                t(
                    "error.data.formats.encrypted_password_protected",
                    path=path,
                    filename=info.filename,
                )
            )
        if info.file_size > limit:
            raise _too_big(path, limit)
        with zf.open(info) as src:
            _copy_bounded(src, out, path, limit)


def read_parquet(path: Path) -> pd.DataFrame:
    """A Parquet file as a DataFrame (strings, numbers and timestamps as the CSV reader
    gives them), its size bounded like a compressed CSV's."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        meta = pq.read_metadata(path)
        size = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
        if size > max_unpacked_bytes(os.path.getsize(path)):
            raise _too_big(path, max_unpacked_bytes(os.path.getsize(path)))
        table = arrow_columns(pq.read_table(path), path)
        return table.to_pandas(self_destruct=True, split_blocks=True)
    except (pa.ArrowException, OSError, ValueError) as e:
        reason = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise DataError(
            t("error.data.formats.damaged_parquet_file", path=path, reason=reason)
        ) from None


def _nested(tp) -> bool:
    import pyarrow.types as pat

    return (
        pat.is_list(tp)
        or pat.is_large_list(tp)
        or pat.is_fixed_size_list(tp)
        or pat.is_struct(tp)
        or pat.is_map(tp)
        or pat.is_union(tp)
        or getattr(pat, "is_list_view", lambda _: False)(tp)
        or getattr(pat, "is_large_list_view", lambda _: False)(tp)
    )


def arrow_columns(table, path: Path):
    """The one checked conversion of Arrow types into what a table holds here: a decimal
    becomes a float (pandas would keep Python ``Decimal`` objects: "text" to every check),
    a dictionary a category (pandas does that itself), a list, struct, map, union or
    binary column — a cell that is not one value — is dropped with one warning naming it
    and its type. No column left is an error."""
    import warnings

    import pyarrow as pa
    import pyarrow.types as pat

    keep, dropped = [], []
    for i, field in enumerate(table.schema):
        tp = field.type
        inner = tp.value_type if pat.is_dictionary(tp) else tp
        if (
            _nested(inner)
            or pat.is_binary(inner)
            or pat.is_large_binary(inner)
            or pat.is_fixed_size_binary(inner)
        ):
            dropped.append(f"{field.name!r} ({tp})")
            continue
        if pat.is_decimal(tp):
            table = table.set_column(i, field.name, table.column(i).cast(pa.float64()))
        keep.append(field.name)
    if dropped:
        if not keep:
            raise DataError(
                t("error.data.formats.arrow_no_columns", path=path, names=", ".join(dropped[:5]))
            )
        warnings.warn(
            t(
                "warn.data.formats.arrow_dropped",
                path=path,
                n=len(dropped),
                names=", ".join(dropped[:5]) + (", ..." if len(dropped) > 5 else ""),
            ),
            stacklevel=3,
        )
        table = table.select(keep)
    return table


def max_ratio_bytes(packed: int) -> int | None:
    """How much a workbook may unpack to, proportionally: ``WORKBOOK_RATIO`` times its size
    once past ``WORKBOOK_FLOOR`` (a 600 KB file inflating to 600 MB stays under the 1 GiB
    floor of ``max_unpacked_bytes`` and would keep openpyxl busy for minutes); None when
    ``HAKSEUP_MAX_UNPACKED_MB`` sets the limit explicitly."""
    if os.environ.get("HAKSEUP_MAX_UNPACKED_MB"):
        return None
    return max(WORKBOOK_FLOOR, WORKBOOK_RATIO * packed)


WORKBOOK_RATIO = 200  # real workbooks compress 5-50x; 200x is a bomb's signature
WORKBOOK_FLOOR = 64 << 20


def read_excel(path: Path, sheet: str | None, header: bool) -> pd.DataFrame:
    """One sheet of an .xlsx workbook: ``sheet`` by name or 1-based number (default: the
    first). Needs openpyxl (``pip install "hakseup[excel]"``)."""
    try:
        import openpyxl
    except ImportError:
        raise DataError(t("error.data.formats.excel_workbook_reading", path=path)) from None
    try:
        with zipfile.ZipFile(path) as zf:  # a workbook is a zip: bound it too
            size, limit = (
                sum(i.file_size for i in zf.infolist()),
                max_unpacked_bytes(os.path.getsize(path)),
            )
        limit = min(limit, max_ratio_bytes(os.path.getsize(path)) or limit)
        if size > limit:
            raise _too_big(path, limit)
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        names = list(wb.sheetnames)
        wb.close()
        chosen = _sheet(path, names, sheet)
        df = pd.read_excel(path, sheet_name=chosen, header=0 if header else None, engine="openpyxl")
        from .excel_formulas import warn_uncached_formulas

        warn_uncached_formulas(path, chosen, df, header)  # empty columns of formulas
        return df
    except DataError:
        raise
    except Exception as e:  # openpyxl's errors have no common base (KeyError, ...)
        reason = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise DataError(
            t("error.data.formats.could_read_excel", path=path, reason=reason)
        ) from None


def _sheet(path: Path, names: list[str], sheet: str | None) -> str:
    if sheet is None or str(sheet) == "":
        if not names:
            raise DataError(t("error.data.formats.sheets_workbook_table", path=path))
        return names[0]
    sheet = str(sheet)
    if sheet in names:
        return sheet
    if sheet.isdigit() and 1 <= int(sheet) <= len(names):
        return names[int(sheet) - 1]
    shown = ", ".join(f"{i}: {n!r}" for i, n in enumerate(names[:20], 1))
    raise DataError(t("error.data.formats.sheet_sheet_data", path=path, sheet=sheet, shown=shown))
