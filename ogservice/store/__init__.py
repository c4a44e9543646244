"""Cache and asset storage behind one small protocol; backends never raise for backend failures.

Keys are `namespace/hexdigest` (e.g. `asset/<sha256 of png>`, `req/<sha256 of canonical request>`).
A backend failure is logged, counted and behaves as a miss: the cache is an optimisation, never a
reason for a 500.
"""

from __future__ import annotations

import re
from typing import Protocol

from ..config import Settings

KEY_PATTERN = re.compile(r"^[a-z]{1,16}/[0-9a-f]{16,64}$")


class Store(Protocol):
    """get/put bytes by key; `errors` counts backend failures swallowed so far."""

    errors: int

    def get(self, key: str) -> bytes | None: ...

    def put(self, key: str, data: bytes, ttl: int | None = None) -> None: ...

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every put so far is written through (True), or `timeout` seconds pass."""
        ...

    def close(self) -> None: ...


def check_key(key: str) -> str:
    """Keys come from our own hashing; anything else is a programming error, never a path."""
    if not KEY_PATTERN.match(key):
        raise ValueError(f"invalid store key {key!r}")
    return key


def open_store(settings: Settings) -> Store:
    """The backend named by OGS_STORE, written behind (see write_behind.py), under the in-process
    hot cache (OGS_MEMORY_CACHE_MB)."""
    from .write_behind import WriteBehind

    backend: Store
    if settings.store == "redis":
        from .redis_store import RedisStore

        backend = RedisStore.from_url(settings.redis_url, prefix=settings.redis_prefix)
    else:
        from .files import FileStore

        backend = FileStore(settings.data_dir)
    backend = WriteBehind(backend)
    if not settings.memory_cache_mb:
        return backend
    from .memory import MemoryCache

    return MemoryCache(backend, settings.memory_cache_mb * 1024 * 1024)
