"""Which text encoding a data file is in: a byte-order mark, else strict UTF-8, else
charset-normalizer's best guess (cp949/EUC-KR from Korean Excel, Latin-1/cp1252 from Western
European spreadsheets, ...); ``--encoding NAME`` (``data.encoding``) forces one.

Example:
    >>> detect_encoding("이름,값\\n가,1\\n".encode("cp949")).codec
    'cp949'
    >>> detect_encoding(b"\\xef\\xbb\\xbfa,b\\n1,2\\n").bom
    True
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from ..errors import DataError
from ..i18n import t

__all__ = ["Charset", "detect_encoding", "guess_encoding", "check_encoding", "is_utf8"]

_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]
# Single-byte Western/Central European code pages that charset-normalizer cannot tell apart on
# a few accented letters (it calls French text cp1250): read them as the Latin-1 family.
_WESTERN = {
    "cp1250",
    "cp1252",
    "iso8859_1",
    "iso8859_15",
    "mac_roman",
    "cp1254",
    "iso8859_9",
    "iso8859_2",
    "cp1257",
    "cp850",
    "mac_latin2",
    "iso8859_10",
    "iso8859_14",
}
# Multi-byte codecs whose superset Windows writes: cp949 ⊇ EUC-KR, cp932 ⊇ Shift-JIS, ...
_SUPERSET = {"euc_kr": "cp949", "shift_jis": "cp932", "gb2312": "gb18030", "gbk": "gb18030"}


@dataclass(frozen=True)
class Charset:
    """How to decode a file: ``codec`` (a Python codec name), whether it starts with a
    byte-order mark, and whether the codec was detected (True) or forced/plain UTF-8."""

    codec: str
    bom: bool = False
    detected: bool = False

    @property
    def wide(self) -> bool:
        """UTF-16/32: NUL bytes are part of the text, not a sign of binary data."""
        return self.codec.startswith(("utf-16", "utf-32", "utf_16", "utf_32"))

    @property
    def plain_utf8(self) -> bool:
        return self.codec in ("utf-8", "utf-8-sig")


# Codecs Python calls text encodings that are not character sets of a file: domain names
# (idna, punycode), Python's escapes, and the codec that refuses everything.
_NOT_CHARSETS = {
    "idna",
    "punycode",
    "undefined",
    "unicode-escape",
    "unicode_escape",
    "raw-unicode-escape",
    "raw_unicode_escape",
}


def check_encoding(name: str) -> str:
    """The Python codec name for ``name``; an unknown name is one line with examples."""
    try:
        info = codecs.lookup(str(name).strip())
    except LookupError:
        raise DataError(t("error.data.charsets.unknown_text_encoding", name=name)) from None
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_CHARSETS:
        raise DataError(t("error.data.charsets.text_encoding_encoding", name=name))
    return info.name


def is_utf8(head: bytes) -> bool:
    """Strict UTF-8, allowing only a character cut at the end of the sample."""
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as e:
        return e.start >= len(head) - 3 and e.reason == "unexpected end of data"
    return True


def detect_encoding(head: bytes, forced: str | None = None, name: object = "data file") -> Charset:
    """The encoding of a file that starts with ``head`` (up to 64 KiB is plenty); ``name``
    is the file's name for messages."""
    bom = next((codec for mark, codec in _BOMS if head.startswith(mark)), None)
    if forced:
        codec = check_encoding(forced)
        if codec == "utf-8" and bom == "utf-8-sig":
            codec = "utf-8-sig"  # the BOM is not part of the first name
        return Charset(codec, bom is not None, detected=False)
    if bom:
        return Charset(bom, True, detected=bom != "utf-8-sig")
    if is_utf8(head):
        return Charset("utf-8")
    return Charset(guess_encoding(head, name), False, detected=True)


def guess_encoding(head: bytes, name: object = "data file") -> str:
    """charset-normalizer's best match, mapped to the codec Windows programs write."""
    from charset_normalizer import from_bytes

    best = from_bytes(head).best()
    if best is None:
        raise DataError(t("error.data.charsets.text_any_encoding", name=name))
    codec = codecs.lookup(best.encoding).name.replace("-", "_")
    codec = _SUPERSET.get(codec, codec)
    if codec in _WESTERN:
        # cp1252 and Latin-1 agree outside 0x80-0x9F; cp1252 leaves five of those undefined.
        if not any(0x80 <= b <= 0x9F for b in head):
            return "latin-1"
        try:
            head.decode("cp1252")
            return "cp1252"
        except UnicodeDecodeError:
            return "latin-1"
    return codecs.lookup(codec).name
