"""`ogservice serve` as a real process: slow clients, the server's limits in step with the settings."""

from __future__ import annotations

import hashlib
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from ogservice.loopback import SlowClients, ogservice_env, ogservice_serve, server_process

MAX_QUERY = 5000  # past gunicorn's 4094-byte request line, which used to answer first (with HTML)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = ogservice_env(tmp_path_factory.mktemp("data"), max_query_bytes=str(MAX_QUERY))
    with server_process(ogservice_serve(workers=2), env) as served:
        yield served.base_url


def get(url: str, timeout: float = 10) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.headers["Content-Type"], resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers["Content-Type"], err.read()


def test_healthz_answers_while_64_slow_clients_hold_connections(server: str) -> None:
    with SlowClients(server, 64, interval=0.5) as slow:
        time.sleep(1)  # every head started and trickling
        for _ in range(5):
            started = time.monotonic()
            status, _, body = get(f"{server}/healthz", timeout=10)
            assert status == 200 and json.loads(body)["status"] == "ok"
            assert time.monotonic() - started < 2  # generous: it is milliseconds; gthread: never
        assert slow.reopened == 0  # all 64 were held the whole time


def query_of_length(length: int) -> str:
    """A valid blog-post query of exactly `length` bytes: CJK text (9 bytes a character), ASCII to pad."""
    parts: list[str] = []
    for name, max_chars in (("title", 200), ("subtitle", 300), ("author", 80), ("site", 80)):
        room = length - len("&".join(parts)) - len(name) - 2  # "&" and "="
        cjk = min(max_chars - 8, room // 9)
        value = quote("漢" * cjk)
        if room - len(value) < 8:
            value += "a" * (room - len(value))
            parts.append(f"{name}={value}")
            break
        parts.append(f"{name}={value}")
    query = "&".join(parts)
    assert len(query) == length
    return query


def test_a_query_just_under_the_setting_is_rendered(server: str) -> None:
    status, content_type, _ = get(f"{server}/og/blog-post.png?{query_of_length(MAX_QUERY - 1)}", timeout=30)
    assert (status, content_type) == (200, "image/png")


def test_a_query_just_over_the_setting_is_refused_by_the_app(server: str) -> None:
    status, content_type, body = get(f"{server}/og/blog-post.png?{query_of_length(MAX_QUERY + 1)}")
    assert (status, content_type) == (413, "application/problem+json")
    assert json.loads(body)["detail"] == f"query string is {MAX_QUERY + 1} bytes; the limit is {MAX_QUERY}"


def test_a_request_line_far_past_the_limit_is_a_problem_414(server: str) -> None:
    status, content_type, body = get(f"{server}/og/blog-post.png?title={'a' * 1_000_000}")
    assert (status, content_type) == (414, "application/problem+json")
    assert json.loads(body)["status"] == 414


def test_a_stopped_server_exits_cleanly_with_the_cards_it_rendered_written(tmp_path: Path) -> None:
    with server_process(ogservice_serve(workers=1), ogservice_env(tmp_path)) as served:
        status, _, png = get(f"{served.base_url}/og/blog-post.png?title=Written+before+exit", timeout=30)
        assert status == 200
    assert served.process.returncode == 0  # SIGTERM: workers drain, then the master exits
    digest = hashlib.sha256(png).hexdigest()
    assert any(digest in path.name for path in tmp_path.rglob("*"))
