"""Redis hung (SIGSTOP) under the layer queue: `GET /og?bg=ai` still answers at once with the local
layer, and the hung Redis is asked about layers once, then left alone until it answers again.
Each test stops only the private redis-server it started (never the shared one)."""

from __future__ import annotations

import time

import pytest
import redis

from ogservice import create_app
from tests.layers.conftest import settings_from
from tests.store.test_redis_hung import PrivateRedis
from tests.store.test_redis_hung import private_redis as private_redis  # noqa: F401  (fixture)

GENEROUS_S = 5.0  # loose: one socket timeout per request, unguarded, would be 10 x 0.5-1.5 s


class CountingRedis(redis.Redis):
    """A real client that counts the commands the layer service sends it."""

    sent = 0

    def execute_command(self, *args, **options):
        self.sent += 1
        return super().execute_command(*args, **options)


@pytest.fixture
def counting_layer_clients(monkeypatch: pytest.MonkeyPatch) -> None:
    """The layer service's Redis client counts its commands (the service is real otherwise)."""
    from ogservice.layers import service

    original = service._redis

    def counting(settings):
        client = original(settings)
        return None if client is None else CountingRedis(connection_pool=client.connection_pool)

    monkeypatch.setattr(service, "_redis", counting)


def test_a_hung_queue_gives_the_local_layer_at_once_and_is_left_alone(
    layer_env: dict[str, str], private_redis: PrivateRedis, counting_layer_clients: None
) -> None:
    settings = settings_from({**layer_env, "OGS_REDIS_URL": private_redis.url})
    app = create_app(settings)
    client = app.test_client()
    layer_client = app.extensions["ogs.cards"].layers._client
    assert isinstance(layer_client, CountingRedis)
    private_redis.hang()
    before, started = layer_client.sent, time.monotonic()
    answers = [client.get(f"/og/blog-post.png?title=Card%20{i}&bg=ai") for i in range(10)]
    elapsed = time.monotonic() - started
    print(f"10 bg=ai cards with the layer queue hung: {elapsed:.2f} s, {layer_client.sent - before} commands")
    for resp in answers:
        assert resp.status_code == 200
        assert resp.headers["X-Ogs-Layers"] == "background=local;queue-down"
        assert resp.headers["Cache-Control"] == "public, max-age=30, s-maxage=30"  # short-lived
    assert layer_client.sent - before <= 2, "asked the hung Redis about layers on every request"
    assert elapsed < GENEROUS_S
