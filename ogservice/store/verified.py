"""Reads from a backend are verified: a content-addressed value is served only if it hashes to its
name. A damaged one (a torn write from before a crash, a truncated or zero-byte file, bit rot) is
removed and read as a miss, so the next /og request renders the card again and stores it whole.
"""

from __future__ import annotations

import logging

from ..health import Health
from . import Backend, intact

log = logging.getLogger(__name__)


class Verified:
    """Wraps a backend; `get` answers only bytes that match their content-addressed key."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self._damaged = 0

    def get(self, key: str) -> bytes | None:
        value = self.backend.get(key)
        if value is None or intact(key, value):
            return value
        self._damaged += 1
        # Once per damaged entry: it is removed now, so it is not found (or logged) again.
        log.warning("store: %s holds %d bytes that do not match its name; removed", key, len(value))
        self.backend.delete(key)
        return None

    def put(self, key: str, data: bytes, ttl: int | None = None) -> None:
        self.backend.put(key, data, ttl)

    def flush(self, timeout: float | None = None) -> bool:
        return self.backend.flush(timeout)

    def health(self) -> Health:
        """The backend's health; damaged entries found count as errors (they were removed)."""
        return self.backend.health() + Health(self._damaged)

    def close(self) -> None:
        self.backend.close()
