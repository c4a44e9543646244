"""The ceiling for `ogservice bench cached`: a raw WSGI app answering with a card's exact response.

It sends the bytes and headers a cached GET /og answered with (captured by the benchmark into
OGS_BENCH_FILE and OGS_BENCH_FILE.headers.json) from memory, doing nothing else, under the same
server as `ogservice serve`: the difference to the real cached path is ogservice's own work.

    python -m ogservice.bench_ceiling PORT WORKERS
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any


def ceiling_app(body: bytes, headers: list[tuple[str, str]]) -> Callable[..., Iterable[bytes]]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        start_response("200 OK", headers)
        return [body]

    return app


def main() -> None:
    from .config import load_settings
    from .server import serve

    port, workers = int(sys.argv[1]), int(sys.argv[2])
    card = Path(os.environ["OGS_BENCH_FILE"])
    headers = [(name, value) for name, value in json.loads(Path(f"{card}.headers.json").read_text())]
    settings = load_settings(dev=True, port=port, workers=workers)
    serve(settings, lambda: ceiling_app(card.read_bytes(), headers))


def ceiling_command(workers: int) -> Callable[[int], list[str]]:
    """The command serving the ceiling on a given port (for `loopback.server_process`)."""
    return lambda port: [sys.executable, "-m", "ogservice.bench_ceiling", str(port), str(workers)]


if __name__ == "__main__":
    main()
