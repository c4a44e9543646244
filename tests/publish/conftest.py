"""Publisher-API fixtures: the layer tests' Redis, workers and fal emulator, plus a CMS on loopback
that receives callbacks (answering each with the next status of a script)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import redis

from tests.layers import conftest as layers

# The layer tests' fixtures, shared: Redis prefix and RQ clean-up, settings, fal's emulator.
base_env, fal, layer_env, rq_clean = layers.base_env, layers.fal, layers.layer_env, layers.rq_clean


class CallbackReceiver:
    """An HTTP server on 127.0.0.1 recording every POST; answers with `statuses` in turn (then 200)."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.received.append({"headers": dict(self.headers), "body": body})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/ogs-callback"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r["body"]) for r in self.received]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def cms() -> Iterator[CallbackReceiver]:
    receiver = CallbackReceiver()
    yield receiver
    receiver.close()


@pytest.fixture
def publish_env(
    layer_env: dict[str, str], cms: CallbackReceiver, redis_client: redis.Redis, redis_prefix: str
) -> Iterator[dict[str, str]]:
    """Layer settings, callbacks allowed to reach exactly the loopback CMS, a 1 s callback backoff."""
    yield {
        **layer_env,
        "OGS_CALLBACK_PRIVATE_ADDRESSES": f"127.0.0.1:{cms.port}",
        "OGS_IMAGE_FETCH_ALLOW_HTTP": "1",  # the receiver speaks plain HTTP
        "OGS_IMAGE_FETCH_PORTS": str(cms.port),
        "OGS_CALLBACK_BACKOFF_S": "1",
    }
    redis_client.srem("rq:queues", f"rq:queue:{redis_prefix}cards")
