"""Filesystem store: a value is committed whole or not at all (temp file, every byte written, then
os.replace); expiry is kept in the file's mtime.

No fsync: a value is a cache entry that can always be rendered again, local filesystems report a
full disk at write() (and NFS at close(), which is checked), and what a power loss could still tear
is caught on read (`Verified`, the index parser). fsync would cost the writer thread ~0.3 ms a file
here (0.04 ms without) and far more on slow disks.
"""

from __future__ import annotations

import errno
import itertools
import logging
import os
import threading
import time
from contextlib import suppress
from pathlib import Path

from ..health import FailureLog, Health
from . import CONTENT_ADDRESSED, check_key

log = logging.getLogger(__name__)
FOREVER = 10 * 365 * 86400


class FileStore:
    """Stores `ns/hex` at ROOT/ns/he/hex; readers never see a partial file."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._reads = FailureLog(log, "file store", "read failed", "serving without the cache")
        self._writes = FailureLog(log, "file store", "write failed", "cards are served but not stored")
        self._laid_out: set[str] = set()

    def path(self, key: str) -> Path:
        namespace, digest = check_key(key).split("/")
        return self.root / namespace / digest[:2] / digest

    def get(self, key: str) -> bytes | None:
        path = self.path(key)
        try:
            if path.stat().st_mtime < time.time():
                return None  # expired: its mtime is its expiry time
            value = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            self._reads.failed(exc, key)
            return None
        self._reads.succeeded()
        return value

    def put(self, key: str, data: bytes, ttl: int | None = None) -> None:
        path = str(self.path(key))
        expires = time.time() + (ttl if ttl else FOREVER)
        try:
            if ttl and _kept_longer(key, path, expires):
                return
            self._lay_out(key.split("/", 1)[0])
            _write_whole(path, data, expires=expires)
        except OSError as exc:
            self._writes.failed(exc, key)
            return
        self._writes.succeeded()

    def delete(self, key: str) -> None:
        try:
            self.path(key).unlink(missing_ok=True)
        except OSError as exc:
            self._writes.failed(exc, key)

    def flush(self, timeout: float | None = None) -> bool:
        return True  # every put was written before it returned

    def health(self) -> Health:
        return self._reads.health() + self._writes.health()

    def close(self) -> None:
        pass

    def _lay_out(self, namespace: str) -> None:
        """Create a namespace's 256 shard folders on its first write in this process.

        A new shard otherwise costs its write a failed open, a mkdir and a retry (measured here:
        1.8 ms for a card's two writes instead of 0.3 ms), and on a young store most writes land
        in a new shard. Existing folders are left as they are. Tried once: on a full disk the
        folders that could not be made are made by the write that needs one (`_temp_beside`).
        """
        if namespace in self._laid_out:
            return
        self._laid_out.add(namespace)
        with suppress(OSError):
            for shard in range(256):
                (self.root / namespace / f"{shard:02x}").mkdir(parents=True, exist_ok=True)


def _kept_longer(key: str, path: str, expires: float) -> bool:
    """A content-addressed value already stored to expire later (a pinned card: never) keeps its
    expiry: the same bytes put again with a TTL must not shorten it."""
    if key.split("/", 1)[0] not in CONTENT_ADDRESSED:
        return False
    try:
        return os.stat(path).st_mtime >= expires
    except FileNotFoundError:
        return False


def _write_whole(path: str, data: bytes, expires: float) -> None:
    """Commit `data` at `path` only once every byte is written; otherwise leave nothing behind."""
    fd, tmp = _temp_beside(path)
    try:
        try:
            _write_all(fd, data)
        finally:
            os.close(fd)  # may report a deferred write error (NFS): checked before the rename
        os.utime(tmp, (expires, expires))
        os.replace(tmp, path)  # atomic on POSIX: readers see the old file or the new one
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise


def _write_all(fd: int, data: bytes) -> None:
    """write() may write fewer bytes than asked (a full disk does, before it fails): go on until all
    are written, or the error that stopped it is raised."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written <= 0:
            raise OSError(errno.EIO, "write made no progress")
        view = view[written:]


_TEMP_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
_temp_serial = itertools.count()


def _temp_beside(path: str) -> tuple[int, str]:
    """A new temp file in the target's folder (same filesystem, so os.replace is atomic).

    Its name is unique to this process, thread and write, and O_EXCL refuses any leftover, so
    two writers never share a temp file; cheaper than tempfile.mkstemp's random names (~0.2 ms
    a write here).
    """
    folder = os.path.dirname(path)
    while True:
        tmp = f"{folder}/.tmp-{os.getpid()}-{threading.get_ident()}-{next(_temp_serial)}"
        try:
            return os.open(tmp, _TEMP_FLAGS, 0o644), tmp
        except FileExistsError:  # a leftover of a crashed process that had our pid: skip its name
            continue
        except FileNotFoundError:  # the shard folder was removed behind our back: create it again
            os.makedirs(folder, exist_ok=True)
