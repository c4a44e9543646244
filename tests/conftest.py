"""Shared fixtures: settings for tests, a real Redis with a private key prefix."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis

from ogservice.config import Settings, load_settings


@pytest.fixture
def settings(tmp_path) -> Settings:
    return load_settings(dev=True, data_dir=tmp_path / "data", signing_keys="test-key-1,test-key-0")


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    """The machine's real Redis; yields a client and deletes every key under this test's prefix."""
    client = redis.Redis(host="127.0.0.1", port=6379)
    client.ping()
    yield client
    client.close()


@pytest.fixture
def redis_prefix(redis_client: redis.Redis) -> Iterator[str]:
    prefix = f"ogs-test:{uuid.uuid4().hex[:12]}:"
    yield prefix
    _delete_under(redis_client, prefix)


@pytest.fixture(autouse=True)
def _own_redis_namespace(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Settings loaded in a test write under a prefix of their own (OGS_REDIS_PREFIX), deleted after it:
    no test sees another's breakers, spend or API keys, nor those of a service running on this Redis
    (an API key issued under "ogs:" would close /v1 for every dev-mode test)."""
    prefix = f"ogs-test:{uuid.uuid4().hex[:12]}:"
    monkeypatch.setenv("OGS_REDIS_PREFIX", prefix)
    yield
    client = redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=0.5)
    try:
        _delete_under(client, prefix)
    except redis.ConnectionError:
        pass  # no Redis, so nothing was written
    finally:
        client.close()


def _delete_under(client: redis.Redis, prefix: str) -> None:
    for key in client.scan_iter(match=prefix + "*", count=500):
        client.delete(key)
