"""Redis store: SET with EX under a key prefix; a Redis that is down or hung behaves as a miss."""

from __future__ import annotations

import logging

import redis

from ..health import Health
from ..redis_guard import RedisGuard
from . import CONTENT_ADDRESSED, check_key

log = logging.getLogger(__name__)
# TTL -1: the key exists without expiry; keep it so (its bytes are these very bytes).
_SET_UNLESS_KEPT = """
if redis.call('TTL', KEYS[1]) == -1 then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return 1
"""


class RedisStore:
    """Bytes under PREFIX + key; short socket timeouts, and after one the guard stops asking for a
    while, so a sick Redis cannot stall renders (a hung one cost every uncached request 0.5 s)."""

    def __init__(self, client: redis.Redis, prefix: str = "ogs:", retry_s: float = 5.0) -> None:
        self.client = client
        self.prefix = prefix
        self.guard = RedisGuard(client, "redis store", log, "serving without the cache", retry_s)
        self._set_unless_kept = client.register_script(_SET_UNLESS_KEPT)

    @classmethod
    def from_url(cls, url: str, prefix: str = "ogs:") -> RedisStore:
        client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        return cls(client, prefix)

    def get(self, key: str) -> bytes | None:
        name = self.prefix + check_key(key)
        value = self.guard.call(lambda r: r.get(name), lambda: None)
        return value if isinstance(value, bytes) else None

    def put(self, key: str, data: bytes, ttl: int | None = None) -> None:
        name = self.prefix + check_key(key)
        if ttl and key.split("/", 1)[0] in CONTENT_ADDRESSED:
            # The same bytes put again with a TTL never give a value stored without expiry (a pinned
            # card) one: checked and set in one script, so no pin can slip in between.
            self.guard.call(lambda r: self._set_unless_kept([name], [data, ttl], client=r), lambda: None)
            return
        self.guard.call(lambda r: r.set(name, data, ex=ttl or None), lambda: None)

    def delete(self, key: str) -> None:
        name = self.prefix + check_key(key)
        self.guard.call(lambda r: r.delete(name), lambda: None)

    def flush(self, timeout: float | None = None) -> bool:
        return True  # every put was written before it returned

    def health(self) -> Health:
        return self.guard.health()

    def close(self) -> None:
        self.client.close()
