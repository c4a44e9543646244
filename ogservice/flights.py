"""Single flight: one request at a time works on a given key in this process; the others wait for it,
each no longer than its own deadline.

An entry lives exactly as long as some request holds or waits for its lock: every holder and waiter
counts itself in and out, and the last one out removes the entry, on every path (done, failed or
timed out), so the map holds only the keys in flight right now.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


class FlightTimeout(Exception):
    """The deadline passed while another request still held the key."""


@dataclass
class _Flight:
    lock: threading.Lock = field(default_factory=threading.Lock)
    users: int = 0  # requests holding or waiting for `lock`


class Flights:
    """Per-key locks, reference-counted."""

    def __init__(self) -> None:
        self._entries: dict[str, _Flight] = {}
        self._guard = threading.Lock()

    def __len__(self) -> int:
        with self._guard:
            return len(self._entries)

    @contextmanager
    def hold(self, key: str, deadline: float) -> Iterator[None]:
        """Hold `key` for the block; FlightTimeout if it is still held by another request at
        `deadline` (a time.monotonic() value)."""
        flight = self._join(key)
        try:
            if not flight.lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
                raise FlightTimeout(key)
            try:
                yield
            finally:
                flight.lock.release()
        finally:
            self._leave(key, flight)

    def _join(self, key: str) -> _Flight:
        with self._guard:
            flight = self._entries.setdefault(key, _Flight())
            flight.users += 1
            return flight

    def _leave(self, key: str, flight: _Flight) -> None:
        with self._guard:
            flight.users -= 1
            if not flight.users:
                del self._entries[key]
