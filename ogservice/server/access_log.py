"""One access-log line per request (OGS_ACCESS_LOG=1), written through gunicorn's access logger."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any


class AccessLog:
    """WSGI middleware: `addr "METHOD target PROTOCOL" status bytes duration_ms` per request."""

    def __init__(self, app: Callable[..., Iterable[bytes]], logger: logging.Logger) -> None:
        self.app, self.logger = app, logger

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.perf_counter()
        answer: list[str] = []

        def recording(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            length = next((v for k, v in headers if k.lower() == "content-length"), "-")
            answer[:] = [status.split(" ", 1)[0], length]
            return start_response(status, headers, exc_info)

        body = self.app(environ, recording)
        target = environ.get("PATH_INFO", "") + (f"?{q}" if (q := environ.get("QUERY_STRING")) else "")
        self.logger.info(
            '%s "%s %s %s" %s %s %.1fms',
            environ.get("REMOTE_ADDR", "-"),
            environ.get("REQUEST_METHOD"),
            target,
            environ.get("SERVER_PROTOCOL"),
            *(answer or ["-", "-"]),
            (time.perf_counter() - started) * 1000,
        )
        return body
