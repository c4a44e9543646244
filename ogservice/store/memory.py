"""A bounded in-process LRU in front of the shared store: hot cards are served without any I/O.

It holds only values that were checked on their way in (read verified, or put checked: see
__init__), so a memory hit is not hashed again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from ..health import Health
from . import Store


class MemoryCache:
    """Wraps a Store; keeps up to `max_bytes` of recently used values in this process."""

    def __init__(self, backend: Store, max_bytes: int) -> None:
        self.backend = backend
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def health(self) -> Health:
        return self.backend.health()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
                return value
        value = self.backend.get(key)
        if value is not None:
            self._remember(key, value)
        return value

    def put(self, key: str, data: bytes, ttl: int | None = None) -> None:
        self.backend.put(key, data, ttl)
        if ttl is None:  # only entries that never expire may be served from memory
            self._remember(key, data)

    def flush(self, timeout: float | None = None) -> bool:
        return self.backend.flush(timeout)

    def close(self) -> None:
        self.backend.close()

    def _remember(self, key: str, value: bytes) -> None:
        if len(value) > self.max_bytes // 8:
            return  # one huge value must not flush the whole cache
        with self._lock:
            if key in self._items:
                self._size -= len(self._items.pop(key))
            self._items[key] = value
            self._size += len(value)
            while self._size > self.max_bytes:
                _, evicted = self._items.popitem(last=False)
                self._size -= len(evicted)
