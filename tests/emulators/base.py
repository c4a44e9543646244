"""Shared machinery for vendor emulators: failure injection, request log, expiring file URLs, loopback.

Each vendor emulator (tests/emulators/<vendor>.py) subclasses `Emulator`, registers its routes on
`self.app` in `routes()`, validates requests as strictly as the vendor, and calls
`self.take_failure()` at the point where the vendor would fail. It also exports `CASES`, a list of
`ContractCase`, which tests/gateway/providers/test_contract.py runs through the shared suite.
"""

from __future__ import annotations

import io
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import httpx
from flask import Flask, Response, abort
from PIL import Image
from werkzeug.serving import make_server

# The failure kinds every emulator understands (a vendor may not support all; see ContractCase.failures).
FAILURES = (
    "rate_limit",  # 429 with the vendor's retry signal
    "server_error",  # 5xx in the vendor's envelope
    "slow",  # answers after `slow_seconds` (use with a loopback server and a short client timeout)
    "malformed",  # 200 with a body that is not the documented shape
    "not_image",  # 200, documented shape, but the image bytes are not an image
    "safety",  # the vendor's own safety-block answer
    "unauthorized",  # 401/403 in the vendor's envelope
    "expired_url",  # URL-returning vendors: the image URL answers 403/404 as when expired
    "misspell",  # text models (Ideogram, OpenAI): 200 with the prompt's quoted text lettered wrongly
    "lookalike",  # text models: 200 with one character of the quoted text swapped for a look-alike (0 for O)
)

# What each failure must become in the gateway, for a vendor that answers with JSON or bytes...
DEFAULT_FAILURES = MappingProxyType(
    {
        "rate_limit": "RateLimited",
        "server_error": "ProviderUnavailable",
        "malformed": "BadResponse",
        "not_image": "BadResponse",
        "safety": "ContentRefused",
        "unauthorized": "KeyRefused",
    }
)
# ...and for one that answers with an image URL that can expire (Ideogram, Replicate, fal).
URL_FAILURES = MappingProxyType({**DEFAULT_FAILURES, "expired_url": "BadResponse"})


def png_bytes(
    width: int, height: int, color: tuple[int, int, int] = (40, 90, 200), fmt: str = "PNG"
) -> bytes:
    """A real image of the given size, as a vendor would return it."""
    buf = io.BytesIO()
    mode = "RGBA" if fmt == "PNG" else "RGB"
    Image.new(mode, (width, height), color).save(buf, fmt)
    return buf.getvalue()


class Emulator:
    """Base of every vendor emulator: a Flask app plus failure queue, request log and file store."""

    name = "emulator"
    slow_seconds = 2.0

    def __init__(self) -> None:
        self.app = Flask(f"emulator-{self.name}")
        self.requests: list[
            dict[str, Any]
        ] = []  # what the vendor received: {"path", "headers", "json"|"form"}
        self._failures: list[str] = []
        self._files: dict[str, tuple[bytes, str, float]] = {}
        self.base_url = "http://emulator.test"
        self.app.add_url_rule("/_files/<token>", "files", self._serve_file)
        self.routes()

    def routes(self) -> None:
        raise NotImplementedError

    # --- failure injection -------------------------------------------------------------------
    def inject(self, kind: str, count: int = 1) -> None:
        if kind not in FAILURES:
            raise ValueError(kind)
        self._failures.extend([kind] * count)

    def take_failure(self, *kinds: str) -> str | None:
        """Pop the next injected failure if it is one of `kinds` (all when empty)."""
        if self._failures and (not kinds or self._failures[0] in kinds):
            kind = self._failures.pop(0)
            if kind == "slow":
                time.sleep(self.slow_seconds)
                return None
            return kind
        return None

    # --- files served by URL (dall-e-3, Ideogram, Replicate, fal) ------------------------------
    def host_file(self, data: bytes, media_type: str = "image/png", ttl: float = 3600) -> str:
        token = secrets.token_hex(8)
        expires = time.time() + ttl
        if self.take_failure("expired_url"):
            expires = 0.0
        self._files[token] = (data, media_type, expires)
        return f"{self.base_url}/_files/{token}"

    def _serve_file(self, token: str) -> Response:
        data, media_type, expires = self._files.get(token, (b"", "", 0.0))
        if not data or time.time() > expires:
            abort(403)
        return Response(data, mimetype=media_type)

    # --- transports ------------------------------------------------------------------------------
    def client(self, **kw: Any) -> httpx.Client:
        """An httpx client that talks to this emulator in-process."""
        return httpx.Client(transport=httpx.WSGITransport(app=self.app), base_url=self.base_url, **kw)

    @contextmanager
    def serve(self) -> Iterator[str]:
        """Serve on a loopback port (for timeouts and end-to-end runs); yields the base URL."""
        server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.base_url = f"http://127.0.0.1:{server.server_port}"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self.base_url
        finally:
            server.shutdown()
            thread.join(5)


@dataclass
class ContractCase:
    """One catalog model run against its emulator by the shared contract suite."""

    model_id: str  # id in the shipped catalog, e.g. "gpt-image-1"
    provider_cls: type  # the HttpProvider subclass
    emulator_cls: Callable[[], Emulator]
    api_key: str | None = "test-key"
    extra_config: dict[str, Any] = field(default_factory=dict)  # e.g. {"project": "p"} for Vertex
    # Failure kinds this vendor can produce, with the gateway error class name each must map to.
    failures: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_FAILURES))
