"""Redis calls that cannot stall the service: after a failure (down, or hung until the socket times
out) Redis is left alone for `retry_s` and the caller's fallback answers at once; then one call tries
again. Shared by the Redis store and the gateway's breaker and ledger.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

import redis

from .health import FailureLog, Health

T = TypeVar("T")


class RedisGuard:
    """Runs Redis calls with a fallback; logs once per outage; stops asking for a while after a failure."""

    def __init__(
        self,
        client: redis.Redis | None,
        what: str,
        log: logging.Logger,
        meanwhile: str = "using in-process state",
        retry_s: float = 5.0,
    ) -> None:
        self.client = client
        self.retry_s = retry_s
        # No settling time: Redis is asked again only every `retry_s`, so a success after a
        # failure means it answers again.
        self.failures = FailureLog(log, what, "Redis unavailable", meanwhile, settle_s=0.0)
        self._down_until = 0.0

    def call(self, fn: Callable[[redis.Redis], T], fallback: Callable[[], T]) -> T:
        """fn(client), or fallback() when there is no client or Redis fails; never raises RedisError."""
        if self.client is None or time.monotonic() < self._down_until:
            return fallback()
        try:
            result = fn(self.client)
        except redis.RedisError as exc:
            # One timeout is enough: a hung Redis costs every caller a full socket timeout.
            self._down_until = time.monotonic() + self.retry_s
            self.failures.failed(exc)
            return fallback()
        self.failures.succeeded()
        return result

    def available(self) -> bool:
        """False while Redis is left alone after a failure (or there is no client): `call` would fall back."""
        return self.client is not None and time.monotonic() >= self._down_until

    def health(self) -> Health:
        """Degraded from a failed call until a call succeeds again."""
        return self.failures.health()
