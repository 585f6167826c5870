"""Downloads: from a list of mirrors, over HTTPS, verified by checksum, cached once.

A cached file is verified before use; a corrupt or truncated file is deleted and fetched again
from the next mirror. A whole download has a deadline (``HAKSEUP_DOWNLOAD_DEADLINE`` seconds,
not a per-read timeout that a trickling server never trips); a redirect may only lead to
HTTPS (or loopback HTTP); a malformed response or mirror URL is one line in the final error,
and nothing but a verified file is ever left in the cache. When every mirror fails, the error
names the file, its checksum and where to place it by hand. ``HAKSEUP_MIRRORS`` (base URLs
separated by commas or spaces) or the ``data.mirrors`` config key replace the built-in mirrors
(tests serve files from 127.0.0.1).

Example:
    >>> path = fetch(RemoteFile("SBUX.csv", "sha256", "4293b10a..."), cache_dir)   # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DataError, describe_os_error
from ..i18n import t
from .files import atomic_write

__all__ = ["RemoteFile", "fetch", "cache_dir", "mirror_override", "deadline_seconds"]

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
READ_TIMEOUT_S = 30.0  # no byte for this long: the mirror is gone
DEFAULT_DEADLINE_S = 900.0  # the whole download, however the bytes trickle in


@dataclass
class RemoteFile:
    name: str  # file name in the cache and on every mirror
    algorithm: str  # sha256 | md5
    digest: str
    mirrors: list[str] = field(default_factory=list)  # base URLs (ending in /)


def cache_dir(configured: str | None = None) -> Path:
    """``data.cache_dir``, else ``$HAKSEUP_CACHE``, else ``$XDG_CACHE_HOME/hakseup``."""
    if configured:
        return Path(configured)
    if os.environ.get("HAKSEUP_CACHE"):
        return Path(os.environ["HAKSEUP_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "hakseup"


def mirror_override(configured: list[str] | None = None) -> list[str]:
    if configured:
        return list(configured)
    env = os.environ.get("HAKSEUP_MIRRORS", "")
    return [m for m in env.replace(",", " ").split() if m]


def _digest(path: Path, algorithm: str) -> str:
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _url(base: str, name: str) -> str:
    return base if base.endswith(name) else base.rstrip("/") + "/" + name


def _allowed(url: str) -> bool:
    u = urllib.parse.urlparse(url)
    return u.scheme == "https" or (u.scheme == "http" and u.hostname in _LOOPBACK)


def _check_url(url: str) -> str | None:
    """Why ``url`` cannot be a mirror (None when it can)."""
    if any(ord(c) < 33 for c in url):
        return "malformed URL: it contains spaces or control characters"
    try:
        u = urllib.parse.urlparse(url)
        u.port  # noqa: B018 - raises for a port that is not a number in 0..65535
    except ValueError as e:
        return f"malformed URL: {e}"
    if not u.scheme or not u.hostname:
        return "malformed URL: expected https://host/path/"
    if not _allowed(url):
        return "refused: not HTTPS"
    return None


def deadline_seconds() -> float:
    """The limit for one whole download (``HAKSEUP_DOWNLOAD_DEADLINE``, default 15 minutes):
    a server that sends a byte every few seconds never trips a per-read timeout."""
    raw = os.environ.get("HAKSEUP_DOWNLOAD_DEADLINE", "")
    try:
        value = float(raw) if raw else DEFAULT_DEADLINE_S
    except ValueError:
        value = -1.0
    if not value > 0 or value == float("inf"):
        raise DataError(t("error.data.download.hakseup_download_deadline", raw=raw))
    return value


class _Refused(urllib.error.URLError):
    """A redirect to a place a download may not go."""


class _SafeRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to HTTPS (or to loopback HTTP, for tests), at most 5 times."""

    max_redirections = 5

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        problem = _check_url(newurl)
        if problem:
            raise _Refused(f"redirected to {newurl} ({problem})")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class _Deadline:
    """Time left until a whole download must be over."""

    def __init__(self, seconds: float):
        self.seconds, self.end = seconds, time.monotonic() + seconds

    def left(self) -> float:
        left = self.end - time.monotonic()
        if left <= 0:
            raise TimeoutError(
                f"not finished within {self.seconds:g} s (HAKSEUP_DOWNLOAD_DEADLINE)"
            )
        return left


def _download(url: str, dest: Path, algorithm: str, progress: bool) -> str:
    """Stream ``url`` into ``dest`` (atomically) within the deadline; return the digest.

    The transfer runs in a worker thread so that the deadline also covers connecting and a
    server that trickles its headers (urllib's timeout is per read); once the body flows the
    worker checks the deadline itself, so it never leaves a temporary file behind."""
    deadline = _Deadline(deadline_seconds())
    box: dict = {}
    worker = threading.Thread(
        target=_transfer, args=(url, dest, algorithm, progress, deadline, box), daemon=True
    )
    worker.start()
    try:
        worker.join(deadline.seconds + 1)
    finally:
        if worker.is_alive():  # past the deadline, or Ctrl-C: wake the worker so it cleans up
            box["abort"] = True
            if box.get("resp") is not None:  # the body flows: a temporary file may exist
                _shut(box["resp"])
                worker.join(5)
            # else it still waits for headers, before any file exists: leave it (a daemon)
    if "error" in box:
        raise box["error"]
    if "digest" not in box:
        raise TimeoutError(
            f"not finished within {deadline.seconds:g} s (HAKSEUP_DOWNLOAD_DEADLINE)"
        )
    return box["digest"]


def _transfer(
    url: str, dest: Path, algorithm: str, progress: bool, deadline: _Deadline, box: dict
) -> None:
    try:
        box["digest"] = _stream(url, dest, algorithm, progress, deadline, box)
    except BaseException as e:  # handed to the caller's thread
        box["error"] = e


def _stream(
    url: str, dest: Path, algorithm: str, progress: bool, deadline: _Deadline, box: dict
) -> str:
    h = hashlib.new(algorithm)
    opener = urllib.request.build_opener(_SafeRedirects)
    req = urllib.request.Request(url, headers={"User-Agent": "hakseup"})
    with opener.open(req, timeout=min(READ_TIMEOUT_S, deadline.left())) as resp:
        box["resp"] = resp
        if box.get("abort"):  # the caller gave up while the headers arrived
            raise TimeoutError("the download was stopped")
        raw = resp.headers.get("Content-Length")
        if raw is not None and not raw.strip().isdigit():
            raise ValueError(f"the server sent an invalid Content-Length {raw!r}")
        total = int(raw) if raw else None
        from ..monitor.bars import tqdm_class  # no IProgress warning

        tqdm = tqdm_class()

        with tqdm(
            total=total,
            unit="B",
            unit_scale=True,
            desc=f"downloading {dest.name}",
            disable=not progress,
            leave=False,
        ) as bar:

            def write(f):
                got = 0
                while not box.get("abort"):
                    _set_timeout(resp, min(READ_TIMEOUT_S, deadline.left()))
                    try:
                        chunk = resp.read1(1 << 16)
                    except TimeoutError:
                        deadline.left()  # says so when it is the whole deadline that passed
                        raise
                    if not chunk:
                        break
                    got += len(chunk)
                    f.write(chunk)
                    h.update(chunk)
                    bar.update(len(chunk))
                if box.get("abort"):  # raising makes atomic_write delete its temp file
                    raise TimeoutError("the download was stopped")
                if total is not None and got != total:
                    raise ValueError(f"the server promised {total:,} bytes and sent {got:,}")

            atomic_write(dest, write)
    return h.hexdigest()


def _socket(resp):
    return getattr(getattr(getattr(resp, "fp", None), "raw", None), "_sock", None)


def _set_timeout(resp, seconds: float) -> None:
    """Shorten the socket's per-read timeout to the time the deadline leaves."""
    sock = _socket(resp)
    if sock is not None:
        sock.settimeout(max(seconds, 0.01))


def _shut(resp) -> None:
    sock = _socket(resp)
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _reason(e: BaseException) -> str:
    """One line for why a mirror failed."""
    reason = getattr(e, "reason", None)
    if isinstance(e, urllib.error.HTTPError):
        return f"HTTP {e.code} {e.reason}"
    if isinstance(e, http.client.BadStatusLine):
        return "not an HTTP response (malformed status line)"
    if isinstance(e, http.client.IncompleteRead):
        return (
            f"the response was cut short or its chunked encoding is broken "
            f"({len(e.partial):,} bytes of the last part received)"
        )
    if isinstance(e, http.client.HTTPException):
        return f"malformed HTTP response ({type(e).__name__}: {str(e)[:80] or 'no detail'})"
    text = str(reason if reason is not None else e).strip() or type(e).__name__
    return text.splitlines()[0][:200]


# What a mirror can do wrong: refuse, break the connection, or send nonsense.
_MIRROR_ERRORS = (
    urllib.error.URLError,
    OSError,
    TimeoutError,
    http.client.HTTPException,
    ValueError,
)


def _ready(directory: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        if not os.access(directory, os.W_OK):
            raise PermissionError(13, "Permission denied", str(directory))
    except OSError as e:
        raise DataError(
            t(
                "error.data.download.cache_unusable",
                directory=directory,
                reason=describe_os_error(e) or e,
            )
        ) from None


def fetch(
    remote: RemoteFile,
    directory: str | os.PathLike,
    mirrors: list[str] | None = None,
    progress: bool = True,
) -> Path:
    """The verified local copy of ``remote``, downloading it if needed."""
    directory = Path(directory)
    _ready(directory)
    dest = directory / remote.name
    if dest.exists():
        if dest.is_file() and _digest(dest, remote.algorithm) == remote.digest:
            return dest
        import warnings

        warnings.warn(t("warn.data.download.cached_corrupt_checksum", dest=dest))
        shutil.rmtree(dest) if dest.is_dir() else dest.unlink()
    failures = []
    for base in mirrors or remote.mirrors:
        url = _url(base, remote.name)
        problem = _check_url(url)
        if problem:
            failures.append(f"{url!r} ({problem})")
            continue
        try:
            got = _download(url, dest, remote.algorithm, progress)
        except _MIRROR_ERRORS as e:
            failures.append(f"{url} ({_reason(e)})")
            dest.unlink(missing_ok=True)
            continue
        if got == remote.digest:
            return dest
        failures.append(f"{url} (checksum mismatch: got {got[:12]}…)")
        dest.unlink()  # corrupt or truncated: never leave it for the next run
    raise DataError(
        t(
            "error.data.download.could_download_from",
            name=remote.name,
            algorithm=remote.algorithm.upper(),
            digest=remote.digest,
            value="; ".join(failures) or "none given",
            dest=dest,
        )
    )
