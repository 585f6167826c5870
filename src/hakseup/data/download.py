"""Downloads: from a list of mirrors, over HTTPS, verified by checksum, cached once.

A cached file is verified before use; a corrupt or truncated file is deleted and fetched again
from the next mirror. When every mirror fails, the error names the file, its checksum and where
to place it by hand. ``HAKSEUP_MIRRORS`` (base URLs separated by commas or spaces) or the
``data.mirrors`` config key replace the built-in mirrors (tests serve files from 127.0.0.1).

Example:
    >>> path = fetch(RemoteFile("SBUX.csv", "sha256", "4293b10a..."), cache_dir)   # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DataError
from ..fileio import atomic_write

__all__ = ["RemoteFile", "fetch", "cache_dir", "mirror_override"]

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@dataclass
class RemoteFile:
    name: str                      # file name in the cache and on every mirror
    algorithm: str                 # sha256 | md5
    digest: str
    mirrors: list[str] = field(default_factory=list)   # base URLs (ending in /)


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


def _download(url: str, dest: Path, algorithm: str, progress: bool) -> str:
    """Stream ``url`` into ``dest`` (atomically); return the digest of what arrived."""
    h = hashlib.new(algorithm)
    req = urllib.request.Request(url, headers={"User-Agent": "hakseup"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        total = int(resp.headers.get("Content-Length") or 0) or None
        from tqdm.auto import tqdm

        with tqdm(total=total, unit="B", unit_scale=True, desc=f"downloading {dest.name}",
                  disable=not progress, leave=False) as bar:
            def write(f):
                for chunk in iter(lambda: resp.read(1 << 16), b""):
                    f.write(chunk)
                    h.update(chunk)
                    bar.update(len(chunk))

            atomic_write(dest, write)
    return h.hexdigest()


def fetch(remote: RemoteFile, directory: str | os.PathLike, mirrors: list[str] | None = None,
          progress: bool = True) -> Path:
    """The verified local copy of ``remote``, downloading it if needed."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    dest = directory / remote.name
    if dest.exists():
        if _digest(dest, remote.algorithm) == remote.digest:
            return dest
        import warnings

        warnings.warn(f"cached '{dest}' is corrupt (checksum mismatch); downloading it again.")
        dest.unlink()
    bases = mirrors or remote.mirrors
    failures = []
    for base in bases:
        url = _url(base, remote.name)
        if not _allowed(url):
            failures.append(f"{url} (refused: not HTTPS)")
            continue
        try:
            got = _download(url, dest, remote.algorithm, progress)
        except (urllib.error.URLError, OSError, TimeoutError) as e:
            reason = getattr(e, "reason", None) or e
            failures.append(f"{url} ({reason})")
            if dest.exists():
                dest.unlink()
            continue
        if got == remote.digest:
            return dest
        failures.append(f"{url} (checksum mismatch: got {got[:12]}…)")
        dest.unlink()  # corrupt or truncated: never leave it for the next run
    raise DataError(f"Could not download '{remote.name}' (expected {remote.algorithm.upper()} "
                    f"{remote.digest}) from any mirror: {'; '.join(failures) or 'none given'}. "
                    f"Download it by hand and place it at '{dest}', or set HAKSEUP_MIRRORS.")
