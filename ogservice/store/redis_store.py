"""Redis store: SET with EX under a key prefix; connection trouble behaves as a miss."""

from __future__ import annotations

import logging

import redis

from . import check_key

log = logging.getLogger(__name__)


class RedisStore:
    """Bytes under PREFIX + key; short socket timeouts so a sick Redis cannot stall a render."""

    def __init__(self, client: redis.Redis, prefix: str = "ogs:") -> None:
        self.client = client
        self.prefix = prefix
        self.errors = 0

    @classmethod
    def from_url(cls, url: str, prefix: str = "ogs:") -> RedisStore:
        client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        return cls(client, prefix)

    def get(self, key: str) -> bytes | None:
        try:
            value = self.client.get(self.prefix + check_key(key))
        except redis.RedisError as exc:
            return self._failed("get", key, exc)
        return value if isinstance(value, bytes) else None

    def put(self, key: str, data: bytes, ttl: int | None = None) -> None:
        try:
            self.client.set(self.prefix + check_key(key), data, ex=ttl or None)
        except redis.RedisError as exc:
            self._failed("set", key, exc)

    def flush(self, timeout: float | None = None) -> bool:
        return True  # every put was written before it returned

    def close(self) -> None:
        self.client.close()

    def _failed(self, action: str, key: str, exc: Exception) -> None:
        self.errors += 1
        log.warning("redis store %s failed for %s: %s", action, key, exc)
        return None
