"""The hot path: repeat hits on an already-resolved /og URL answered before Flask is involved.

Crawlers re-fetch the same og:image URLs all day. Once this process has verified and rendered a
URL, the exact URL bytes map to the asset digest (`ResolvedUrls`), and the PNG sits in the
in-process memory cache; this WSGI wrapper answers such requests directly, the way a reverse-proxy
cache would, and hands everything else to the Flask app unchanged.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.http import parse_etags

from ..config import Settings
from ..pipeline import CardService

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def url_key(environ: dict[str, Any]) -> bytes:
    """The exact request target as the client sent it (path + raw query)."""
    path = environ.get("PATH_INFO", "").encode("latin-1")
    return path + b"?" + environ.get("QUERY_STRING", "").encode("latin-1")


class ResolvedUrls:
    """Exact URL -> (digest, missing glyphs) for URLs this process already verified and rendered.

    The same URL bytes always verify and resolve the same way while keys and templates are fixed
    (both are loaded once per process), so a repeat hit needs no parsing, HMAC or hashing.
    """

    def __init__(self, max_entries: int = 20_000) -> None:
        self.max_entries = max_entries
        self._items: OrderedDict[bytes, tuple[str, tuple[str, ...]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, url: bytes) -> tuple[str, tuple[str, ...]] | None:
        with self._lock:
            hit = self._items.get(url)
            if hit is not None:
                self._items.move_to_end(url)
            return hit

    def put(self, url: bytes, digest: str, missing: tuple[str, ...]) -> None:
        with self._lock:
            self._items[url] = (digest, missing)
            if len(self._items) > self.max_entries:
                self._items.popitem(last=False)


def card_headers(
    settings: Settings, digest: str, missing: tuple[str, ...], cache: str, timing: str
) -> list[tuple[str, str]]:
    """Response headers of an /og card, shared by the hot path and the Flask view."""
    headers = [
        ("ETag", f'"{digest}"'),
        ("Cache-Control", f"public, max-age={settings.max_age}, s-maxage={settings.s_maxage}"),
        ("Server-Timing", timing),
        ("X-Ogs-Cache", cache),
        ("Link", f'</a/{digest}.png>; rel="alternate"; type="image/png"'),
    ]
    if missing:
        headers.append(("X-Ogs-Missing-Glyphs", " ".join(f"U+{ord(c):04X}" for c in missing)))
    return headers


class HotPath:
    """WSGI middleware serving resolved /og URLs from memory; all else goes to `app`."""

    def __init__(self, app: WsgiApp, settings: Settings, cards: CardService, resolved: ResolvedUrls) -> None:
        self.app, self.settings, self.cards, self.resolved = app, settings, cards, resolved

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.perf_counter()
        if environ.get("REQUEST_METHOD") == "GET" and environ.get("PATH_INFO", "").startswith("/og/"):
            hit = self.resolved.get(url_key(environ))
            if hit is not None and (png := self.cards.asset(hit[0])) is not None:
                return self._answer(environ, start_response, png, hit, started)
        return self.app(environ, start_response)

    def _answer(
        self,
        environ: dict[str, Any],
        start_response: Callable[..., Any],
        png: bytes,
        hit: tuple[str, tuple[str, ...]],
        started: float,
    ) -> Iterable[bytes]:
        digest, missing = hit
        timing = f"hot;dur={(time.perf_counter() - started) * 1000:.2f}"
        headers = card_headers(self.settings, digest, missing, "hit", timing)
        if parse_etags(environ.get("HTTP_IF_NONE_MATCH")).contains_weak(digest):  # as Flask's request does
            start_response("304 Not Modified", headers)
            return [b""]
        start_response("200 OK", [*headers, ("Content-Type", "image/png"), ("Content-Length", str(len(png)))])
        return [png]
