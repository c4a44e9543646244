"""Write-behind in front of a store: a render's response never waits for the disk or the network.

A card's two writes (the PNG and its request-index entry) cost 0.1-0.9 ms of file-system calls
here, or a Redis round trip each, on the request's path. `WriteBehind.put` queues the value and
returns; one writer thread per process writes the queue in order, so an index entry never lands
before the asset it points to. Until it is written, a value is served from the queue, so a
second request for the same card, in this process, finds it at once. `put` checks the key and, in a
content-addressed namespace, that the bytes match it (see __init__), before anything is queued.

Nothing is dropped: the queue is bounded in bytes and `put` waits for room when it is full
(backpressure, never loss); `flush()` waits until everything queued is written, and runs at
interpreter exit. A write that fails is counted and logged once per episode like any store failure:
the cache is an optimisation, and the next request renders the card again.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import weakref
from collections import deque

from ..health import FailureLog, Health
from . import Store, check_entry, check_key

log = logging.getLogger(__name__)
MAX_PENDING_BYTES = 64 * 1024 * 1024


class WriteBehind:
    """Wraps a Store; puts are written by a background thread, in order, and readable meanwhile."""

    def __init__(self, backend: Store, max_pending_bytes: int = MAX_PENDING_BYTES) -> None:
        self.backend = backend
        self.max_pending_bytes = max_pending_bytes
        self._failures = FailureLog(log, "store write-behind", "write raised", "cards are not stored")
        self._reset()
        _INSTANCES.add(self)

    def health(self) -> Health:
        return self.backend.health() + self._failures.health()

    def get(self, key: str) -> bytes | None:
        with self._changed:
            if (queued := self._latest.get(check_key(key))) is not None:
                return queued[0]
        return self.backend.get(key)

    def put(self, key: str, data: bytes, ttl: int | None = None) -> None:
        check_entry(key, data)  # a caller's bug: say so now, not later on the writer thread
        data = bytes(data)
        with self._changed:
            while self._queued_bytes and self._queued_bytes + len(data) > self.max_pending_bytes:
                self._changed.wait()  # full: wait for the writer (backpressure, never loss)
            self._queue.append((key, data, ttl))
            self._queued_bytes += len(data)
            self._latest[key] = (data, self._latest.get(key, (b"", 0))[1] + 1)
            self._start_writer()
            self._changed.notify_all()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every queued value is written; False if `timeout` seconds passed first."""
        with self._changed:
            return self._changed.wait_for(lambda: not self._queue and not self._writing, timeout)

    def close(self) -> None:
        self.flush()
        self.backend.close()

    def _reset(self) -> None:
        """An empty queue and no writer yet (also in a forked child: the parent writes its queue)."""
        self._changed = threading.Condition()
        self._queue: deque[tuple[str, bytes, int | None]] = deque()
        self._latest: dict[str, tuple[bytes, int]] = {}  # key -> (newest queued value, times queued)
        self._queued_bytes = 0
        self._writing = False
        self._writer: threading.Thread | None = None

    def _start_writer(self) -> None:
        if self._writer is None:
            self._writer = threading.Thread(
                target=_write_queued, args=(weakref.ref(self),), name="store-write-behind", daemon=True
            )
            self._writer.start()

    def _next(self) -> tuple[str, bytes, int | None] | None:
        """The oldest queued write, taken off the queue (None after a second with nothing to do)."""
        with self._changed:
            if not self._changed.wait_for(lambda: self._queue, timeout=1.0):
                return None
            self._writing = True
            return self._queue.popleft()

    def _written(self, key: str, data: bytes) -> None:
        with self._changed:
            self._writing = False
            self._queued_bytes -= len(data)
            value, times = self._latest[key]
            if times == 1:
                del self._latest[key]
            else:
                self._latest[key] = (value, times - 1)
            self._changed.notify_all()

    def _write(self, key: str, data: bytes, ttl: int | None) -> None:
        try:
            self.backend.put(key, data, ttl)
        except Exception as exc:  # noqa: BLE001 - the writer must outlive any one failed write
            self._failures.failed(exc, f"writing {key}", traceback=True)  # backends do not raise
        else:
            self._failures.succeeded()
        finally:
            self._written(key, data)


def _write_queued(owner: weakref.ref[WriteBehind]) -> None:
    """The writer thread: write queued values in order while the store is alive."""
    while (store := owner()) is not None:
        item = store._next()
        if item is not None:
            store._write(*item)
        del store  # hold no reference while waiting, so an unused store can be collected


_INSTANCES: weakref.WeakSet[WriteBehind] = weakref.WeakSet()


def _reset_after_fork() -> None:
    """In a forked child (gunicorn preloads the app, then forks its workers), before any thread
    runs: start every store afresh; the parent still writes what it had queued."""
    for store in list(_INSTANCES):
        store._reset()


os.register_at_fork(after_in_child=_reset_after_fork)


@atexit.register
def _flush_all() -> None:
    """At interpreter exit, write what is still queued (the writer threads are daemons)."""
    for store in list(_INSTANCES):
        store.flush(timeout=30)
