"""How long a rendered card is kept: OGS_ASSET_TTL for cards (0: for ever), never expiring when pinned.

A card a publish hook produced is **pinned**: its asset is recorded in `{prefix}pinned` (digest ->
job) and stored without expiry, whatever OGS_ASSET_TTL says, so the URL the CMS put in a page
keeps working. Three things keep it so:

- the job that renders it stores it without expiry from the start (`keep`), cache hits included;
- any later render of the same bytes looks the digest up in the pin list and stores it without
  expiry too (a Redis that does not answer counts as pinned: a card kept too long costs disk, a
  pinned card lost breaks a published page);
- a backend never shortens the expiry of a content-addressed value already stored without one
  (store/files.py, store/redis_store.py), which closes the race between a pin and a put.

Layer assets and fetched or uploaded images are not cards: they are kept for ever, as before.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import redis

from ..config import Settings
from ..redis_guard import RedisGuard

log = logging.getLogger(__name__)


def pinned_key(prefix: str) -> str:
    """Hash of pinned asset digests -> the job that produced them."""
    return f"{prefix}pinned"


class Retention:
    """The TTL to store a card with; records and answers which assets are pinned."""

    def __init__(self, ttl_s: int, client: redis.Redis | None, prefix: str) -> None:
        self.ttl_s, self.key = ttl_s, pinned_key(prefix)
        self.guard = RedisGuard(client, "pinned assets", log, "keeping every card without expiry")

    @classmethod
    def from_settings(cls, settings: Settings) -> Retention:
        client = None
        if settings.asset_ttl:  # with no expiry at all, nothing needs the pin list on the render path
            client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=0.25, socket_timeout=0.5)
        return cls(settings.asset_ttl, client, settings.redis_prefix)

    def ttl(self, digest: str, keep: bool = False) -> int | None:
        """None (no expiry) for a card to keep or a pinned one, else OGS_ASSET_TTL (None when 0)."""
        if not self.ttl_s or keep:
            return None
        pinned = self.guard.call(lambda r: bool(r.hexists(self.key, digest)), lambda: True)
        return None if pinned else self.ttl_s

    def close(self) -> None:
        if self.guard.client is not None:
            self.guard.client.close()


def pin(client: redis.Redis, prefix: str, digests: Iterable[str], job_id: str) -> None:
    """Record assets as pinned by `job_id` (the job stored them without expiry already)."""
    mapping = dict.fromkeys(digests, job_id)
    if mapping:
        client.hset(pinned_key(prefix), mapping=mapping)
