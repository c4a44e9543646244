"""Where layers live: ready ones in the store, failed ones (for a while) in Redis.

    layer/<key>  -> JSON: the asset's digest and who made it (model, provider, cost, seconds)
    asset/<sha>  -> the layer's PNG, stored once, whatever number of cards use it

A ready layer never changes (its key names what made it), so any cache may keep it. A failure is
different: it says "do not ask again for a while" (a refusal for days, a vendor error for
minutes), so it lives in Redis with a TTL, never in a cache that could outlive it.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from PIL import Image

from ..cards.encode import encode_png
from ..redis_guard import RedisGuard
from ..store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Made:
    """Who made a layer, what it cost and how long it took."""

    model: str
    provider: str
    cost_usd: float
    seconds: float
    made_at: float


@dataclass(frozen=True)
class ReadyLayer:
    """A generated layer: its PNG, the PNG's digest, and who made it.

    The pixels are decoded only when a card is composed (`image()`): a card already in the cache
    needs the digest for its key, not a decoded megapixel background.
    """

    png: bytes = field(repr=False)
    digest: str
    made: Made

    def image(self) -> Image.Image:
        with Image.open(io.BytesIO(self.png)) as image:
            image.load()
            return image.copy() if image.mode in ("RGB", "RGBA") else image.convert("RGBA")


@dataclass(frozen=True)
class Failure:
    """Why a layer is set locally for now (see report.REASONS)."""

    reason: str
    detail: str = ""


class ReadyLayers:
    """Generated layers by key, in the card store (shared by every web and worker process)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def ready(self, key: str) -> ReadyLayer | None:
        """The stored layer, or None (never made, or its PNG is gone: then it is made again)."""
        entry = self.store.get(f"layer/{key}")
        if entry is None:
            return None
        try:
            meta = json.loads(entry)
            digest, made = meta["digest"], Made(**meta["made"])
        except (ValueError, KeyError, TypeError):
            log.warning("layer/%s is damaged; the layer will be made again", key)
            return None
        png = self.store.get(f"asset/{digest}")
        return None if png is None else ReadyLayer(png, digest, made)

    def save(self, key: str, image: Image.Image, made: Made) -> str:
        """Store the layer's PNG and its index entry (in that order), written through; the digest."""
        png = encode_png(image)
        digest = hashlib.sha256(png).hexdigest()
        self.store.put(f"asset/{digest}", png)
        self.store.put(f"layer/{key}", json.dumps({"digest": digest, "made": asdict(made)}).encode())
        self.store.flush()  # a waiting request must find both once the job is reported done
        return digest


class Failures:
    """Recent failures by layer key, in Redis with a TTL (in-process while Redis is unreachable).

    Most failures belong to the layer (a refusal, a misspelling, a vendor error hold for everyone
    asking for it); a failure `fail` is given a tenant for (`budget`: that tenant's money ran out)
    holds for that tenant only, so one tenant's empty budget never sets another's layers locally.
    """

    def __init__(self, client: Any, prefix: str, guard: RedisGuard | None = None) -> None:
        self.guard = guard or RedisGuard(client, "layer failures", log)
        self.prefix = f"{prefix}layers:failed:"
        self._memory: dict[str, tuple[bytes, float]] = {}  # used only while Redis is unreachable
        self._lock = threading.Lock()

    def failure(self, key: str, tenant: str | None = None) -> Failure | None:
        """The recorded failure that still holds for this layer (or for it and `tenant`), if any."""
        names = [key, *([_for_tenant(key, tenant)] if tenant else [])]
        raws = self.guard.call(
            lambda r: r.mget([self.prefix + n for n in names]), lambda: [self._memory_get(n) for n in names]
        )
        raw = next((r for r in raws if r), None)
        if not raw:
            return None
        data = json.loads(raw)
        return Failure(data["reason"], data.get("detail", ""))

    def fail(self, key: str, failure: Failure, ttl_s: int, tenant: str | None = None) -> None:
        """Record that this layer is set locally for the next `ttl_s` seconds (for `tenant` only,
        when given), and why."""
        name = _for_tenant(key, tenant) if tenant else key
        raw = json.dumps(asdict(failure)).encode()
        self.guard.call(
            lambda r: r.set(self.prefix + name, raw, ex=ttl_s), lambda: self._memory_set(name, raw, ttl_s)
        )

    def forget(self, key: str) -> None:
        self.guard.call(lambda r: r.delete(self.prefix + key), lambda: self._memory_set(key, b"", 0))

    def _memory_get(self, key: str) -> bytes | None:
        with self._lock:
            raw, until = self._memory.get(key, (b"", 0.0))
            return raw if until > time.monotonic() else None

    def _memory_set(self, key: str, raw: bytes, ttl_s: int) -> None:
        with self._lock:
            self._memory[key] = (raw, time.monotonic() + ttl_s)


def _for_tenant(key: str, tenant: str) -> str:
    return f"{key}:{tenant}"
