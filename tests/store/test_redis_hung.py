"""Redis hung (SIGSTOP), not down: the Redis store stops asking after a timeout, /healthz says so,
and both recover when Redis does. Each test stops only the private redis-server it started."""

from __future__ import annotations

import hashlib
import logging
import os
import random
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import redis

from ogservice import create_app
from ogservice.config import load_settings
from ogservice.store.redis_store import RedisStore


@dataclass
class PrivateRedis:
    process: subprocess.Popen[bytes]
    port: int

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def hang(self) -> None:
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)


def _start_redis(port: int) -> subprocess.Popen[bytes] | None:
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    process.wait()
    return None  # the port was taken (or the server would not start): try another


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    """A redis-server of our own on a random high port (Redis cannot take port 0)."""
    for _ in range(20):
        port = random.randrange(20_000, 60_000)
        if (process := _start_redis(port)) is not None:
            break
    else:
        pytest.fail("could not start a private redis-server")
    try:
        yield PrivateRedis(process, port)
    finally:
        os.kill(process.pid, signal.SIGCONT)  # a stopped process cannot act on SIGKILL's exit cleanly
        process.kill()
        process.wait(timeout=10)


class CountingRedis(redis.Redis):
    """A real client that counts the commands it sends, to show when the store stops asking."""

    sent = 0

    def execute_command(self, *args, **options):
        self.sent += 1
        return super().execute_command(*args, **options)


def key(text: str) -> str:
    return f"asset/{hashlib.sha256(text.encode()).hexdigest()}"


def test_a_hung_redis_is_asked_once_then_left_alone_until_it_recovers(private_redis, caplog):
    client = CountingRedis.from_url(private_redis.url, socket_timeout=0.3, socket_connect_timeout=0.3)
    store = RedisStore(client, prefix="ogs-test:", retry_s=1.0)
    store.put(key("card"), b"card")
    assert store.get(key("card")) == b"card" and not store.health().degraded
    private_redis.hang()
    before, started = client.sent, time.monotonic()
    with caplog.at_level(logging.INFO, logger="ogservice"):
        results = [store.get(key("card")) for _ in range(20)]
        results += [store.put(key(str(i)), b"x") for i in range(20)]
        asked = client.sent - before
        assert results == [None] * 40  # misses, never an exception
        assert asked <= 2, f"asked a hung Redis {asked} times"
        assert time.monotonic() - started < 5  # loose: 40 timeouts would take 12 s
        assert store.health().degraded and store.health().errors == asked
        private_redis.resume()
        time.sleep(1.2)  # the retry interval passes
        assert store.get(key("card")) == b"card"
    assert not store.health().degraded
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2 and "Redis unavailable" in messages[0] and "recovered" in messages[1]


def test_healthz_reports_a_hung_redis_as_degraded_but_serves_and_recovers(private_redis, tmp_path):
    settings = load_settings(
        dev=True, data_dir=tmp_path, store="redis", redis_url=private_redis.url, redis_prefix="ogs-test:"
    )
    client = create_app(settings).test_client()
    assert client.get("/healthz").get_json()["status"] == "ok"
    private_redis.hang()
    card = client.get("/og/blog-post.png?title=Redis+is+hung")
    assert card.status_code == 200  # served from the procedural path, without the cache
    assert client.get("/v1/models").status_code == 200  # the breaker and the ledger ask Redis too
    health = client.get("/healthz")
    assert health.status_code == 200  # degraded but serving: a load balancer keeps this node
    body = health.get_json()
    assert body["status"] == "degraded"
    for name, backend in (("store", "redis"), ("breaker", "redis"), ("ledger", "redis")):
        check = body["checks"][name]
        assert check["status"] == "degraded" and check["backend"] == backend and check["errors"] >= 1
        assert "Timeout" in check["last_error"], check
    started = time.monotonic()
    for i in range(10):  # uncached cards: none waits for the hung Redis any more
        assert client.get(f"/og/blog-post.png?title=Card+{i}").status_code == 200
    assert time.monotonic() - started < 5  # loose: 10 x 2 socket timeouts would be 10 s
    private_redis.resume()
    deadline = time.monotonic() + 30  # the guards ask Redis again after their retry interval (5 s)
    while client.get("/healthz").get_json()["status"] != "ok" and time.monotonic() < deadline:
        client.get(f"/og/blog-post.png?title=Card+{time.monotonic()}")
        client.get("/v1/models")
        time.sleep(0.5)
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok", body
    assert {check["status"] for check in body["checks"].values()} == {"ok"}
