"""Source images by content hash: an upload or a fetched URL is decoded once and stored clean.

    add(bytes) / fetch(url) -> StoredImage(id = sha256 of the clean PNG, width, height, format)
    resolve(field value)    -> an image id, from an id or a URL (signed GET URLs: OGS_IMAGE_HOSTS only)
    load_image(id)          -> PIL.Image for compose

Images live in the store under `image/<sha256>`, a content-addressed namespace, so every read is
verified against its name. They are not served at /a/: uploads must not make the service a public
image host. A fetched URL is remembered for OGS_IMAGE_URL_TTL seconds (`imgurl/<sha256 of the
URL>` -> the StoredImage), so a card naming it can put the image's id in its key without a fetch;
concurrent first requests for one URL in a process fetch it once.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

from PIL import Image

from ..cards.encode import encode_png
from ..config import Settings
from ..errors import GatewayTimeout, ImageUrlRefused, NotFound
from ..store import Store
from .decode import DecodeLimits, decode
from .fetch import Fetcher
from .hosts import HostAllowList
from .policy import FetchPolicy

IMAGE_ID = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class StoredImage:
    """What POST /v1/assets answers: the id, the stored image's size and the format it arrived in."""

    id: str
    width: int
    height: int
    format: str

    def json(self) -> dict[str, Any]:
        return asdict(self)


class ImageSources:
    """Uploads and URL fetches into the store, and images out of it; one per app (app.extensions)."""

    def __init__(
        self, store: Store, fetcher: Fetcher, limits: DecodeLimits, hosts: HostAllowList, url_ttl: int
    ) -> None:
        self.store = store
        self.fetcher = fetcher
        self.limits = limits
        self.hosts = hosts
        self.url_ttl = url_ttl
        self._flights: dict[str, threading.Lock] = {}
        self._flights_lock = threading.Lock()
        # fetch_within's fetches, which may outlive the request that started them
        self._background = ThreadPoolExecutor(max_workers=4, thread_name_prefix="ogs-image-fetch")

    @classmethod
    def from_settings(cls, settings: Settings, store: Store) -> ImageSources:
        """The app's ImageSources (tests build one around a Fetcher with their own policy and resolver)."""
        fetcher = Fetcher(
            FetchPolicy.from_settings(settings),
            max_bytes=settings.image_max_bytes,
            timeout_s=settings.image_fetch_timeout_s,
        )
        limits = DecodeLimits(max_pixels=settings.image_max_pixels, max_side=settings.image_max_side)
        return cls(store, fetcher, limits, HostAllowList(settings.image_hosts), settings.image_url_ttl)

    @property
    def max_bytes(self) -> int:
        return self.fetcher.max_bytes

    def add(self, data: bytes) -> StoredImage:
        """Decode, clean and store image bytes (an upload, or a fetched body)."""
        decoded = decode(data, self.limits)
        png = encode_png(decoded.image)
        digest = hashlib.sha256(png).hexdigest()
        self.store.put(f"image/{digest}", png)
        return StoredImage(digest, decoded.image.width, decoded.image.height, decoded.source_format)

    def fetch(self, url: str, deadline: float | None = None) -> StoredImage:
        """The image at `url`, fetched SSRF-safely unless fetched in the last OGS_IMAGE_URL_TTL seconds."""
        target = self.fetcher.policy.check_url(url)  # before the cache: a tightened policy applies at once
        key = f"imgurl/{hashlib.sha256(str(target.url).encode()).hexdigest()}"
        if (known := self._remembered(key)) is not None:
            return known
        with self._single_flight(key):
            if (known := self._remembered(key)) is not None:
                return known
            stored = self.add(self.fetcher.fetch(str(target.url), deadline))
            self.store.put(key, json.dumps(stored.json()).encode(), ttl=self.url_ttl)
            return stored

    def fetch_within(self, url: str, deadline: float) -> StoredImage:
        """fetch(url), waiting until `deadline` (monotonic) at most. A fetch still running then is
        not abandoned: it goes on within OGS_IMAGE_FETCH_TIMEOUT_S and its image is remembered, so
        a crawler that is answered 504 (Retry-After: 1) finds the image when it asks again."""
        self.fetcher.policy.check_url(url)  # a URL the rules refuse is refused here, not in a thread
        future = self._background.submit(self.fetch, url)
        try:
            return future.result(timeout=max(0.0, deadline - time.monotonic()))
        except FutureTimeout:
            future.cancel()  # one still queued behind other fetches is dropped; a running one goes on
            raise GatewayTimeout(
                "the image is still being fetched; ask again in a moment", retry_after=1
            ) from None

    def resolve(self, value: str, *, signed: bool = False, deadline: float | None = None) -> str:
        """The image id an image field's value stands for: an uploaded id as it is, a URL fetched."""
        if IMAGE_ID.match(value):
            return value
        if signed:
            self.check_url_allowed_in_signed_url(value)
        return self.fetch(value, deadline).id

    def check_url_allowed_in_signed_url(self, url: str) -> None:
        """Refuse an image URL in a signed GET URL unless its host is in OGS_IMAGE_HOSTS."""
        host = self.fetcher.policy.check_url(url).host
        if not self.hosts.allows(host):
            empty = "" if self.hosts else " (it is empty: signed URLs may name uploaded image ids only)"
            raise ImageUrlRefused(
                f"image URL refused: signed URLs fetch from OGS_IMAGE_HOSTS only; {host} is not one{empty}",
                reason="host-not-allowed",
            )

    def has(self, image_id: str) -> bool:
        """Whether the store holds (a verified copy of) the image `image_id` names."""
        return bool(IMAGE_ID.match(image_id)) and self.store.get(f"image/{image_id}") is not None

    def load_image(self, image_id: str) -> Image.Image:
        """The stored image (RGB or RGBA); NotFound for an id the store does not hold."""
        data = self.store.get(f"image/{image_id}") if IMAGE_ID.match(image_id) else None
        if data is None:
            raise NotFound(
                f"no image with id {image_id[:64]!r}; upload it with POST /v1/assets", image=image_id[:64]
            )
        image = Image.open(io.BytesIO(data), formats=("PNG",))
        image.load()
        return image

    def close(self) -> None:
        self._background.shutdown(wait=False, cancel_futures=True)
        self.fetcher.close()

    def _remembered(self, key: str) -> StoredImage | None:
        raw = self.store.get(key)
        try:
            return StoredImage(**json.loads(raw)) if raw else None
        except (ValueError, TypeError):
            return None  # unreadable entry (an older layout): fetch again

    @contextmanager
    def _single_flight(self, key: str) -> Iterator[None]:
        with self._flights_lock:
            lock = self._flights.setdefault(key, threading.Lock())
        try:
            with lock:
                yield
        finally:
            with self._flights_lock:
                self._flights.pop(key, None)
