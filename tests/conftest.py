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
    for key in redis_client.scan_iter(match=prefix + "*", count=500):
        redis_client.delete(key)
