"""The one writer for every file a command writes where the user points it (``predict
--output``, ``export --output``): checked before any work, written atomically.

What it promises, whatever path it is given:

- **A symlink is written through**: the file written is the link's target (resolved, links in
  the folders above included), the link itself stays. A target that is not a regular file —
  a device (``/dev/full``, ``/dev/stdout`` on a terminal), a FIFO, a socket — is refused
  without being opened, so is a folder.
- **Nothing a run owns, nothing read**: a path inside a run folder (a folder above it holds
  ``run.json``) is refused — overwriting ``run.json`` or a checkpoint would damage the run —
  and so is a path that is the input itself (by name, through a link, or a hard link).
- **The format its name says**: ``.csv``/``.txt`` (or no suffix) CSV text, ``.tsv``
  tab-separated, ``.csv.gz``/``.gz``, ``.bz2``, ``.xz`` compressed CSV, ``.xlsx`` an Excel
  workbook (openpyxl), ``.parquet`` Parquet; any other suffix is refused with the list.
- **No temporary file outlives the next write**: the data goes to ``.<name>.<pid>.<random>.tmp``
  beside the target and is renamed over it (``files.atomic_write``); a kill -9 in between
  leaves that file, and the next write to the same name removes every such file whose process
  is gone.

Example:
    >>> import pandas as pd, tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "p.csv.gz"
    >>> write_table(pd.DataFrame({"a": [1, 2]}), out).name
    'p.csv.gz'
    >>> import gzip; gzip.decompress(out.read_bytes()).decode()
    'a\\n1\\n2\\n'
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import stat
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from ..i18n import t
from .files import atomic_write, check_output_file

__all__ = ["output_target", "write_table", "table_format", "TABLE_SUFFIXES"]

# suffix -> (format, compression)
TABLE_SUFFIXES: dict[str, tuple[str, str | None]] = {
    "": ("csv", None),
    ".csv": ("csv", None),
    ".txt": ("csv", None),
    ".tsv": ("tsv", None),
    ".gz": ("csv", "gzip"),
    ".bz2": ("csv", "bz2"),
    ".xz": ("csv", "xz"),
    ".xlsx": ("xlsx", None),
    ".parquet": ("parquet", None),
}
_SHOWN = ".csv, .tsv, .txt, .csv.gz, .csv.bz2, .csv.xz, .xlsx, .parquet"
_KINDS = [
    (stat.S_ISFIFO, "words.fifo"),
    (stat.S_ISCHR, "words.char_device"),
    (stat.S_ISBLK, "words.block_device"),
    (stat.S_ISSOCK, "words.socket"),
]


def table_format(
    path: str | os.PathLike, flag: str = "--output", error: type = ValueError
) -> tuple[str, str | None]:
    """(format, compression) that ``path``'s name asks for; ``error`` for a suffix that no
    table writer here produces (``.xls``, ``.json``, ``.zip``, ...)."""
    name = Path(path).name.lower()
    suffix = Path(name).suffix
    if suffix in (".gz", ".bz2", ".xz"):
        inner = Path(name[: -len(suffix)]).suffix
        if inner not in ("", ".csv", ".txt", ".tsv"):
            raise error(
                t(
                    "error.io.output.unknown_suffix",
                    flag=flag,
                    path=path,
                    suffix=inner + suffix,
                    shown=_SHOWN,
                )
            )
        fmt = "tsv" if inner == ".tsv" else "csv"
        return fmt, TABLE_SUFFIXES[suffix][1]
    if suffix not in TABLE_SUFFIXES:
        raise error(
            t("error.io.output.unknown_suffix", flag=flag, path=path, suffix=suffix, shown=_SHOWN)
        )
    return TABLE_SUFFIXES[suffix]


def output_target(
    path: str | os.PathLike,
    flag: str,
    error: type = OSError,
    inputs: Iterable[str | os.PathLike] = (),
    suffixes: Iterable[str] | None = None,
    allow_in_run: str | os.PathLike | None = None,
) -> Path:
    """The regular file that writing ``path`` will replace (a link's target), or ``error``
    with one line: a device, FIFO, socket or folder; a file inside a run folder (except under
    ``allow_in_run``); one of ``inputs``; a suffix not in ``suffixes`` (when given); a place
    that cannot be written."""
    given = Path(path)
    target = Path(os.path.realpath(given))
    try:
        st = os.stat(target)
    except OSError:
        st = None
    if st is not None and not stat.S_ISDIR(st.st_mode):
        for test, kind in _KINDS:
            if test(st.st_mode):
                raise error(
                    t(
                        "error.io.output.not_regular",
                        flag=flag,
                        path=given,
                        target=target,
                        kind=t(kind),
                    )
                )
    run = _run_folder_above(target)
    if run is not None and (allow_in_run is None or Path(os.path.realpath(allow_in_run)) != run):
        raise error(t("error.io.output.inside_run", flag=flag, path=given, run=run))
    for source in inputs:
        if _same(target, Path(source)):
            raise error(t("error.io.files.input_file_itself", flag=flag, path=given))
    if suffixes is not None:
        allowed = list(suffixes)
        if target.suffix.lower() not in allowed:
            raise error(
                t(
                    "error.io.output.wrong_suffix",
                    flag=flag,
                    path=given,
                    suffix=target.suffix or "''",
                    shown=", ".join(allowed),
                )
            )
    check_output_file(target, flag, error)
    return target


def _run_folder_above(target: Path) -> Path | None:
    """The nearest folder above ``target`` that is a run folder (holds run.json), if any."""
    for folder in target.parents:
        try:
            if (folder / "run.json").is_file():
                return folder
        except OSError:  # an unreadable folder above: not ours to judge
            continue
    return None


def _same(target: Path, source: Path) -> bool:
    try:
        if target.exists() and source.exists() and os.path.samefile(target, source):
            return True
    except OSError:
        pass
    return target == Path(os.path.realpath(source))


def _table_bytes(
    frame: pd.DataFrame, fmt: str, compression: str | None, bom: bool, error: type
) -> bytes:
    if fmt == "xlsx":
        try:
            import openpyxl  # noqa: F401
        except ImportError:
            raise error(t("error.io.output.needs_openpyxl")) from None
        buf = io.BytesIO()
        frame.to_excel(buf, index=False, engine="openpyxl")
        return buf.getvalue()
    if fmt == "parquet":
        buf = io.BytesIO()
        # Mixed object columns (pass-through --keep columns) are written as their text.
        safe = frame.apply(lambda c: c.astype(str) if c.dtype == object else c)
        safe.to_parquet(buf, index=False)
        return buf.getvalue()
    text = ("\ufeff" if bom else "") + frame.to_csv(index=False, sep="\t" if fmt == "tsv" else ",")
    data = text.encode("utf-8")
    if compression == "gzip":
        return gzip.compress(data, mtime=0)
    if compression == "bz2":
        return bz2.compress(data)
    if compression == "xz":
        return lzma.compress(data)
    return data


def write_table(
    frame: pd.DataFrame,
    path: str | os.PathLike,
    flag: str = "--output",
    error: type = OSError,
    bom: bool = False,
    inputs: Iterable[str | os.PathLike] = (),
) -> Path:
    """Write ``frame`` (no index) to ``path`` in the format its name asks for, through
    ``output_target``'s checks; ``bom``: a CSV starts with a UTF-8 byte-order mark (what
    Excel needs to show non-ASCII text). Returns the path as given."""
    target = output_target(path, flag, error, inputs=inputs)
    fmt, compression = table_format(path, flag, error)
    data = _table_bytes(frame, fmt, compression, bom, error)
    atomic_write(target, lambda f: f.write(data))
    return Path(path)
