"""Cache and asset storage behind one small protocol; backends never raise for backend failures.

Keys are `namespace/hexdigest` (e.g. `asset/<sha256 of png>`, `req/<sha256 of canonical request>`,
`image/<sha256 of a stored source image>`).
A backend failure is counted (`health()`), logged once per episode and behaves as a miss: the cache
is an optimisation, never a reason for a 500.

Content-addressed namespaces (`asset/`, `image/`) name a value by the sha256 of its bytes, so every value is
checked against its name where it can go wrong: bytes read from a backend (disk, Redis) are
verified before they are served (`Verified`: a damaged entry is removed and read as a miss), and a
put is refused unless the bytes match their name. Values held in this process (the write-behind
queue, the memory cache) passed one of those checks, so a memory hit costs no hashing.
"""

from __future__ import annotations

import hashlib
import re
from typing import Protocol

from ..config import Settings
from ..health import Health

KEY_PATTERN = re.compile(r"^[a-z]{1,16}/[0-9a-f]{16,64}$")
CONTENT_ADDRESSED = frozenset({"asset", "image"})  # namespaces whose keys are the sha256 of the value


class Store(Protocol):
    """get/put bytes by key, and the health of whatever holds them."""

    def get(self, key: str) -> bytes | None: ...

    def put(self, key: str, data: bytes, ttl: int | None = None) -> None: ...

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every put so far is written through (True), or `timeout` seconds pass."""
        ...

    def health(self) -> Health:
        """Failures so far; degraded while the latest failure episode lasts."""
        ...

    def close(self) -> None: ...


class Backend(Store, Protocol):
    """A store that holds values outside this process (files, Redis), where they can be damaged."""

    def delete(self, key: str) -> None: ...


def check_key(key: str) -> str:
    """Keys come from our own hashing; anything else is a programming error, never a path."""
    if not KEY_PATTERN.match(key):
        raise ValueError(f"invalid store key {key!r}")
    return key


def intact(key: str, data: bytes) -> bool:
    """False when a content-addressed key does not name these bytes (other keys are not checked)."""
    namespace, _, digest = key.partition("/")
    return namespace not in CONTENT_ADDRESSED or hashlib.sha256(data).hexdigest() == digest


def check_entry(key: str, data: bytes) -> None:
    """Refuse a bad key, or bytes that are not what a content-addressed key names (a caller's bug)."""
    if not intact(check_key(key), data):
        raise ValueError(f"refusing to store {len(data)} bytes under {key}: their sha256 differs")


def open_store(settings: Settings) -> Store:
    """The backend named by OGS_STORE, verified on read (verified.py), written behind
    (write_behind.py), under the in-process hot cache (OGS_MEMORY_CACHE_MB)."""
    from .verified import Verified
    from .write_behind import WriteBehind

    backend: Backend
    if settings.store == "redis":
        from .redis_store import RedisStore

        backend = RedisStore.from_url(settings.redis_url, prefix=settings.redis_prefix)
    else:
        from .files import FileStore

        backend = FileStore(settings.data_dir)
    store: Store = WriteBehind(Verified(backend))
    if not settings.memory_cache_mb:
        return store
    from .memory import MemoryCache

    return MemoryCache(store, settings.memory_cache_mb * 1024 * 1024)
