"""One contract suite run against every Store backend (real filesystem, real Redis), bare and in the
stack the service uses (verified on read, written behind)."""

from __future__ import annotations

import hashlib
import itertools
import os
import threading
import time

import pytest
import redis

from ogservice.store.files import FileStore
from ogservice.store.redis_store import RedisStore
from ogservice.store.verified import Verified
from ogservice.store.write_behind import WriteBehind


def key(ns: str, text: str) -> str:
    return f"{ns}/{hashlib.sha256(text.encode()).hexdigest()}"


def asset(data: bytes) -> str:
    """A content-addressed key: the sha256 of the value."""
    return f"asset/{hashlib.sha256(data).hexdigest()}"


@pytest.fixture(params=["files", "redis"])
def backend(request, tmp_path):
    if request.param == "files":
        backend = FileStore(tmp_path)
    else:
        prefix = request.getfixturevalue("redis_prefix")
        backend = RedisStore(redis.Redis(host="127.0.0.1", port=6379), prefix=prefix)
    yield backend
    backend.close()


@pytest.fixture(params=["bare", "verified, written behind"])
def store(request, backend):
    return backend if request.param == "bare" else WriteBehind(Verified(backend))


def test_miss_then_hit(store):
    k = asset(b"\x89PNG payload")
    assert store.get(k) is None
    store.put(k, b"\x89PNG payload")
    assert store.get(k) == b"\x89PNG payload"
    assert store.health().errors == 0 and not store.health().degraded


def test_overwrite_replaces(store):
    k = key("req", "b")
    store.put(k, b"one")
    store.put(k, b"two")
    assert store.get(k) == b"two"


def test_ttl_expires(store):
    k = key("req", "c")
    store.put(k, b"short-lived", ttl=1)
    assert store.get(k) == b"short-lived"
    time.sleep(1.2)
    assert store.get(k) is None


@pytest.mark.parametrize("bad", ["../etc/passwd", "asset/../../x", "asset/XYZ", "Asset/" + "a" * 64, ""])
def test_keys_are_never_paths(store, bad):
    with pytest.raises(ValueError):
        store.get(bad)


def test_concurrent_writers_leave_one_complete_value(store):
    k = key("req", "concurrent")
    payloads = [bytes([i]) * 200_000 for i in range(8)]
    threads = [threading.Thread(target=store.put, args=(k, p)) for p in payloads]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.get(k) in payloads


def test_delete_removes_a_value(backend):
    k = key("req", "gone")
    backend.put(k, b"soon gone")
    backend.delete(k)
    assert backend.get(k) is None
    backend.delete(k)  # deleting what is not there is not a failure
    assert backend.health().errors == 0


@pytest.mark.parametrize("damage", [b"", b"\x89PNG torn", b"other bytes of the same length!"])
def test_a_damaged_content_addressed_value_is_a_miss_and_is_removed(backend, damage, caplog):
    good = b"\x89PNG the whole card, 31 bytes"
    k = asset(good)
    backend.put(k, damage)  # the bare backend stores what it is given, as a torn write did
    verified = Verified(backend)
    assert verified.get(k) is None
    assert backend.get(k) is None  # removed, so it is not found (or logged) again
    assert verified.health().errors == 1 and len(caplog.records) == 1
    verified.put(k, good)
    assert verified.get(k) == good


def test_other_namespaces_are_not_hashed(backend):
    k = key("req", "index")
    backend.put(k, b"any bytes")
    assert Verified(backend).get(k) == b"any bytes"


def test_the_service_stack_refuses_bytes_that_do_not_match_their_name(backend):
    store = WriteBehind(Verified(backend))
    with pytest.raises(ValueError, match="sha256"):
        store.put(asset(b"the card"), b"another card")
    assert store.flush(timeout=5) and backend.get(asset(b"the card")) is None


def test_file_store_leaves_no_temp_files(tmp_path):
    store = FileStore(tmp_path)
    k = key("asset", "tmp")
    threads = [threading.Thread(target=store.put, args=(k, b"x" * 100_000)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    leftovers = [name for _, _, files in os.walk(tmp_path) for name in files if name.startswith(".tmp-")]
    assert leftovers == []


def test_file_store_lays_out_shards_once_and_survives_a_removed_shard(tmp_path):
    store = FileStore(tmp_path)
    first = key("asset", "first")
    store.put(first, b"one")
    assert len([p for p in (tmp_path / "asset").iterdir() if p.is_dir()]) == 256
    shard = store.path(key("asset", "second")).parent
    shard.rmdir()  # e.g. an operator pruned it while the process ran
    store.put(key("asset", "second"), b"two")
    assert store.get(key("asset", "second")) == b"two" and store.get(first) == b"one"


def test_a_leftover_temp_file_with_the_next_name_is_skipped_not_reused(tmp_path, monkeypatch):
    from ogservice.store import files

    store = FileStore(tmp_path)
    k = key("asset", "leftover")
    shard = store.path(k).parent
    store.put(key("asset", "warm"), b"w")  # lays out the shards
    monkeypatch.setattr(files, "_temp_serial", itertools.count(7))
    leftover = shard / f".tmp-{os.getpid()}-{threading.get_ident()}-7"
    leftover.write_bytes(b"crashed writer")
    store.put(k, b"fresh")
    assert store.get(k) == b"fresh" and leftover.read_bytes() == b"crashed writer"


def test_unwritable_root_is_a_miss_not_an_error(tmp_path):
    blocker = tmp_path / "file-not-dir"
    blocker.write_bytes(b"")
    store = FileStore(blocker)
    store.put(key("asset", "x"), b"data")
    assert store.get(key("asset", "x")) is None
    assert store.health().errors >= 1 and store.health().degraded


def test_redis_down_is_a_miss_not_an_error():
    store = RedisStore.from_url("redis://127.0.0.1:1/0")
    store.put(key("asset", "x"), b"data")
    assert store.get(key("asset", "x")) is None  # not even asked: it failed a moment ago
    assert store.health().errors == 1 and store.health().degraded


def test_memory_cache_serves_hot_values_without_the_backend(tmp_path):
    from ogservice.store.memory import MemoryCache

    backend = FileStore(tmp_path)
    cache = MemoryCache(backend, max_bytes=1000)
    k = key("asset", "hot")
    cache.put(k, b"x" * 100)
    backend.path(k).unlink()  # gone from disk: only memory can answer now
    assert cache.get(k) == b"x" * 100


def test_memory_cache_is_bounded_and_skips_expiring_values(tmp_path):
    from ogservice.store.memory import MemoryCache

    cache = MemoryCache(FileStore(tmp_path), max_bytes=800)
    for i in range(20):
        cache.put(key("asset", str(i)), bytes([i]) * 100)
    assert sum(len(v) for v in cache._items.values()) <= 800
    assert key("asset", "19") in cache._items and key("asset", "0") not in cache._items
    cache.put(key("req", "short"), b"v", ttl=5)
    assert key("req", "short") not in cache._items


def test_a_value_kept_without_expiry_is_not_given_one_by_a_later_put_with_a_ttl(store):
    """A pinned card is stored without expiry; the same bytes rendered again by an unpinned request
    (stored with OGS_ASSET_TTL) must not make it expire."""
    pinned, unpinned = b"\x89PNG pinned card", b"\x89PNG unpinned card"
    store.put(asset(pinned), pinned)  # the publish hook's put: no expiry
    store.put(asset(pinned), pinned, ttl=1)  # a later render of the same card, with a TTL
    store.put(asset(unpinned), unpinned, ttl=1)
    store.flush()
    time.sleep(2.1)  # past the TTL (Redis and mtimes count whole seconds)
    assert store.get(asset(pinned)) == pinned
    assert store.get(asset(unpinned)) is None
    store.put(asset(pinned), pinned, ttl=3600)  # and it can still be kept longer than before
    store.flush()
    assert store.get(asset(pinned)) == pinned
