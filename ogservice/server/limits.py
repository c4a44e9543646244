"""The HTTP server's limits (what one request may cost before the app sees it) and its size."""

from __future__ import annotations

from dataclasses import dataclass

from ..config import MAX_BODY_BYTES, Settings
from ..web.assets_api import FORM_OVERHEAD

# Method, path and "HTTP/1.1" around the query: card paths are short, so 2 KiB leaves room.
REQUEST_LINE_OVERHEAD = 2048
# All header fields together, like nginx's default large_client_header_buffers (4 x 8 KiB).
HEADER_BYTES = 32 * 1024


@dataclass(frozen=True)
class HttpLimits:
    """Limits of the HTTP server, each refusal answered with a problem+json status of its own.

    The request line is sized from OGS_MAX_QUERY_BYTES, so a query the settings allow always
    reaches the app (which answers 413 past the setting) instead of being cut off by the server.
    """

    request_line: int  # 414 beyond
    header_fields: int = 100  # 431 beyond (gunicorn's and hyper's default)
    header_field_bytes: int = 8190  # one field, name and value; 431 beyond
    body_bytes: int = MAX_BODY_BYTES  # 413 beyond, from Content-Length, before the body is read
    head_seconds: float = 30.0  # a request line and header fields must arrive within this; closed otherwise
    idle_seconds: float = 15.0  # a connection that sends nothing this long (idle or mid-body) is closed
    connections: int = 1000  # open connections per worker process; more wait in the listen backlog
    threads: int = 4  # app threads per worker process: they only ever see complete requests

    @classmethod
    def from_settings(cls, settings: Settings) -> HttpLimits:
        return cls(
            request_line=settings.max_query_bytes + REQUEST_LINE_OVERHEAD,
            body_bytes=max(MAX_BODY_BYTES, settings.image_max_bytes + FORM_OVERHEAD),  # POST /v1/assets
        )

    @property
    def head_bytes(self) -> int:
        """Request line and every header field: 431 beyond."""
        return self.request_line + HEADER_BYTES
