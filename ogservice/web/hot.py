"""The hot path: repeat hits on an already-resolved /og URL answered before Flask is involved.

Crawlers re-fetch the same og:image URLs all day. Once this process has verified and rendered a
URL, the exact URL bytes map to the asset digest (`ResolvedUrls`), and the encoded card sits in the
in-process memory cache; this WSGI wrapper answers such requests directly, the way a reverse-proxy
cache would, and hands everything else to the Flask app unchanged.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from werkzeug.http import parse_etags

from ..cards.formats import PNG, Format
from ..config import Settings
from ..pipeline import CardService

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def url_key(environ: dict[str, Any]) -> bytes:
    """The exact request target as the client sent it (path + raw query)."""
    path = environ.get("PATH_INFO", "").encode("latin-1")
    return path + b"?" + environ.get("QUERY_STRING", "").encode("latin-1")


# A card that is not final (an AI layer still being made, or failed for now) may change within
# minutes: crawlers and CDNs keep it briefly, then ask again.
NOT_FINAL_CACHE = "public, max-age=30, s-maxage=30"


@dataclass(frozen=True)
class Card:
    """What the headers of a rendered card say: its digest, uncovered characters and AI layers."""

    digest: str
    missing: tuple[str, ...] = ()
    layers: str = ""  # the X-Ogs-Layers value ('' for a card without AI layers)
    final: bool = True  # stored and indexed; False: served once, with NOT_FINAL_CACHE
    provisional: bool = False  # an AI layer is still being made (X-Ogs-Provisional: 1)
    format: Format = PNG  # the URL's extension: what the bytes are and their Content-Type


class ResolvedUrls:
    """Exact URL -> Card for URLs this process already verified and rendered as final cards.

    The same URL bytes always verify and resolve the same way while keys and templates are fixed
    (both are loaded once per process), so a repeat hit needs no parsing, HMAC or hashing. A card
    that is not final is never remembered: the next request must look at its layers again.
    """

    def __init__(self, max_entries: int = 20_000) -> None:
        self.max_entries = max_entries
        self._items: OrderedDict[bytes, Card] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, url: bytes) -> Card | None:
        with self._lock:
            hit = self._items.get(url)
            if hit is not None:
                self._items.move_to_end(url)
            return hit

    def put(self, url: bytes, card: Card) -> None:
        if not card.final:
            return
        with self._lock:
            self._items[url] = card
            if len(self._items) > self.max_entries:
                self._items.popitem(last=False)


def card_headers(settings: Settings, card: Card, cache: str, timing: str) -> list[tuple[str, str]]:
    """Response headers of an /og card, shared by the hot path and the Flask view."""
    final_cache = f"public, max-age={settings.max_age}, s-maxage={settings.s_maxage}"
    headers = [
        ("ETag", f'"{card.digest}"'),
        ("Cache-Control", final_cache if card.final else NOT_FINAL_CACHE),
        ("Server-Timing", timing),
        ("X-Ogs-Cache", cache),
    ]
    if card.final:  # only a final card is stored, so only its asset URL exists
        link = f'<{card.format.asset_path(card.digest)}>; rel="alternate"; type="{card.format.mime}"'
        headers.append(("Link", link))
    if card.missing:
        headers.append(("X-Ogs-Missing-Glyphs", " ".join(f"U+{ord(c):04X}" for c in card.missing)))
    if card.layers:
        headers.append(("X-Ogs-Layers", card.layers))
    if card.provisional:
        headers.append(("X-Ogs-Provisional", "1"))
    return headers


class HotPath:
    """WSGI middleware serving resolved /og URLs from memory; all else goes to `app`."""

    def __init__(self, app: WsgiApp, settings: Settings, cards: CardService, resolved: ResolvedUrls) -> None:
        self.app, self.settings, self.cards, self.resolved = app, settings, cards, resolved

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.perf_counter()
        if environ.get("REQUEST_METHOD") == "GET" and environ.get("PATH_INFO", "").startswith("/og/"):
            hit = self.resolved.get(url_key(environ))
            if hit is not None and (data := self.cards.asset(hit.digest)) is not None:
                return self._answer(environ, start_response, data, hit, started)
        return self.app(environ, start_response)

    def _answer(
        self,
        environ: dict[str, Any],
        start_response: Callable[..., Any],
        data: bytes,
        hit: Card,
        started: float,
    ) -> Iterable[bytes]:
        timing = f"hot;dur={(time.perf_counter() - started) * 1000:.2f}"
        headers = card_headers(self.settings, hit, "hit", timing)
        # Weak comparison, as Flask's request.if_none_match does.
        if parse_etags(environ.get("HTTP_IF_NONE_MATCH")).contains_weak(hit.digest):
            start_response("304 Not Modified", headers)
            return [b""]
        length = str(len(data))
        start_response("200 OK", [*headers, ("Content-Type", hit.format.mime), ("Content-Length", length)])
        return [data]
