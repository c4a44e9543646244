"""Per-key request rates, shared by every process through Redis (the `limits` library).

Strategy: `limits`' sliding window counter. It keeps two counters per key (O(1) in Redis whatever
the rate), and it has no fixed window's edge burst (up to twice the rate across a window boundary);
a moving window would be exact but keeps one list entry per request, 100,000 for "100000/day".

Redis trouble fails open onto per-process counters: a rate limiter protects capacity, not money or
identity (budgets and API keys have their own checks, which fail closed), so an outage of its
storage must not take the API down; meanwhile each process enforces the full rate on its own.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from functools import cached_property

import limits
import redis
from limits.storage import MemoryStorage, RedisStorage
from limits.strategies import SlidingWindowCounterRateLimiter

from ..health import Health
from ..redis_guard import RedisGuard

log = logging.getLogger(__name__)
MAX_AMOUNT = 10_000_000
RATE_EXAMPLE = "COUNT/PERIOD such as 120/minute, 10/second or 5000/day"


def parse_rate(text: str) -> limits.RateLimitItem:
    """'120/minute' (or '120 per minute', '5/2 minutes') -> the rate; ValueError saying what is accepted."""
    try:
        items = limits.parse_many(text)
    except ValueError:
        raise ValueError(f"invalid rate {text!r}: expected {RATE_EXAMPLE}") from None
    if len(items) != 1:
        raise ValueError(f"invalid rate {text!r}: give one rate, {RATE_EXAMPLE}")
    if not 1 <= items[0].amount <= MAX_AMOUNT:
        raise ValueError(f"invalid rate {text!r}: the count must be between 1 and {MAX_AMOUNT:,}")
    return items[0]


@dataclass(frozen=True)
class RateWindow:
    """The outcome of one request against its key's rate, with what the RateLimit headers report."""

    allowed: bool
    limit: int
    remaining: int
    reset_s: int  # seconds until the window has room again (0 when it has room now)
    window_s: int

    def headers(self) -> dict[str, str]:
        """RateLimit-* as in the IETF draft's widely deployed form, plus Retry-After when refused."""
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_s),
            "RateLimit-Policy": f"{self.limit};w={self.window_s}",
        }
        if not self.allowed:
            headers["Retry-After"] = str(max(1, self.reset_s))
        return headers


class RateLimiter:
    """Counts requests per API key id against that key's rate; Redis-backed, per process when down."""

    def __init__(self, client: redis.Redis | None, prefix: str, retry_s: float = 5.0) -> None:
        meanwhile = "counting requests in each process on its own"
        self.guard = RedisGuard(client, "rate limiter", log, meanwhile, retry_s=retry_s)
        self.prefix = f"{prefix}ratelimit"
        self._shared = (
            SlidingWindowCounterRateLimiter(
                RedisStorage("redis://", connection_pool=client.connection_pool, key_prefix=self.prefix)
            )
            if client is not None
            else None
        )

    def hit(self, key_id: str, rate: str) -> RateWindow:
        """Count one request of `key_id` against `rate` (already validated by parse_rate)."""
        item = parse_rate(rate)
        if self._shared is None:
            return _hit(self._local, item, key_id)
        shared = self._shared
        return self.guard.call(lambda _: _hit(shared, item, key_id), lambda: _hit(self._local, item, key_id))

    def health(self) -> Health:
        return self.guard.health()

    @cached_property
    def _local(self) -> SlidingWindowCounterRateLimiter:
        # Built on first use: MemoryStorage starts an expiry timer thread, wanted only during an outage.
        return SlidingWindowCounterRateLimiter(MemoryStorage())


def _hit(limiter: SlidingWindowCounterRateLimiter, item: limits.RateLimitItem, key_id: str) -> RateWindow:
    allowed = limiter.hit(item, key_id)
    stats = limiter.get_window_stats(item, key_id)
    reset_s = max(0, math.ceil(stats.reset_time - time.time()))
    if reset_s == 0 and stats.remaining < item.amount:
        # limits 5.8 takes the new window's Redis TTL (twice the window) modulo the window, which is 0
        # while the TTL still reads exactly 2 windows: the window just began, so it resets in a window.
        reset_s = item.get_expiry()
    return RateWindow(allowed, item.amount, stats.remaining, reset_s, item.get_expiry())
