"""Write-behind: responses do not wait for the store, and nothing queued is lost or reordered."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap
import threading

import pytest

from ogservice.store.files import FileStore
from ogservice.store.write_behind import WriteBehind


def key(ns: str, text: str) -> str:
    return f"{ns}/{hashlib.sha256(text.encode()).hexdigest()}"


def asset(data: bytes) -> str:
    return f"asset/{hashlib.sha256(data).hexdigest()}"


class GatedStore(FileStore):
    """A real file store whose writes wait until the test opens the gate, and are logged in order."""

    def __init__(self, root, fail_on: str | None = None) -> None:
        super().__init__(root)
        self.gate = threading.Event()
        self.written: list[str] = []
        self.fail_on = fail_on

    def put(self, key, data, ttl=None):
        self.gate.wait(timeout=10)
        if key == self.fail_on:
            raise RuntimeError("disk on fire")
        super().put(key, data, ttl)
        self.written.append(key)


def test_put_returns_before_the_write_and_reads_see_the_queued_value(tmp_path):
    backend = GatedStore(tmp_path)
    store = WriteBehind(backend)
    k = asset(b"\x89PNG card")
    store.put(k, b"\x89PNG card")  # returns although the backend cannot write yet
    assert backend.get(k) is None  # not on disk...
    assert store.get(k) == b"\x89PNG card"  # ...but served from the queue
    assert not store.flush(timeout=0.05)
    backend.gate.set()
    assert store.flush(timeout=10)
    assert backend.get(k) == b"\x89PNG card" and store.get(k) == b"\x89PNG card"


def test_writes_land_in_the_order_they_were_put(tmp_path):
    backend = GatedStore(tmp_path)
    backend.gate.set()
    store = WriteBehind(backend)
    expected = []
    for i in range(40):  # a card's asset always lands before the index entry pointing at it
        png = f"card {i}".encode()
        expected += [asset(png), key("req", str(i))]
        store.put(expected[-2], png)
        store.put(expected[-1], expected[-2].encode())
    assert store.flush(timeout=10)
    assert backend.written == expected


def test_the_newest_value_of_a_key_is_read_while_older_ones_are_queued(tmp_path):
    backend = GatedStore(tmp_path)
    store = WriteBehind(backend)
    k = key("req", "changing")
    store.put(k, b"one")
    store.put(k, b"two")
    assert store.get(k) == b"two"
    backend.gate.set()
    assert store.flush(timeout=10)
    assert backend.get(k) == b"two" and store.get(k) == b"two"


def test_a_full_queue_makes_put_wait_and_loses_nothing(tmp_path):
    backend = GatedStore(tmp_path)
    store = WriteBehind(backend, max_pending_bytes=250)
    values = [b"a" * 100, b"b" * 100, b"c" * 100]
    keys = [asset(v) for v in values]
    store.put(keys[0], values[0])
    store.put(keys[1], values[1])
    third = threading.Thread(target=store.put, args=(keys[2], values[2]))
    third.start()
    third.join(timeout=0.3)
    assert third.is_alive()  # no room: the caller waits rather than dropping the value
    backend.gate.set()
    third.join(timeout=10)
    assert not third.is_alive() and store.flush(timeout=10)
    assert [backend.get(k) for k in keys] == values


def test_a_failed_write_is_counted_and_the_writer_carries_on(tmp_path, caplog):
    bad, good = key("req", "bad"), key("req", "good")
    backend = GatedStore(tmp_path, fail_on=bad)
    backend.gate.set()
    store = WriteBehind(backend)
    store.put(bad, b"lost to a failing disk")
    store.put(good, b"written")
    assert store.flush(timeout=10)
    assert store.health().errors == 1 and f"(writing {bad}): disk on fire" in caplog.text
    assert backend.get(good) == b"written" and store.get(bad) is None  # a miss: rendered again later


def test_a_burst_of_raising_writes_is_logged_once(tmp_path, caplog):
    class Raising(FileStore):
        def put(self, key, data, ttl=None):
            raise RuntimeError("disk on fire")

    store = WriteBehind(Raising(tmp_path))
    for i in range(500):
        store.put(key("req", str(i)), b"lost")
    assert store.flush(timeout=30)
    assert store.health().errors == 500 and store.health().degraded
    assert len(caplog.records) == 1


def test_a_bad_key_is_refused_by_put_itself(tmp_path):
    store = WriteBehind(FileStore(tmp_path))
    with pytest.raises(ValueError):
        store.put("asset/../../etc/passwd", b"x")
    assert store.flush(timeout=1)


def test_values_still_queued_at_exit_are_written(tmp_path):
    script = textwrap.dedent(
        f"""
        import time
        from ogservice.store.files import FileStore
        from ogservice.store.write_behind import WriteBehind

        class Slow(FileStore):
            def put(self, key, data, ttl=None):
                time.sleep(0.1)
                super().put(key, data, ttl)

        store = WriteBehind(Slow({str(tmp_path)!r}))
        for i in range(5):
            store.put("req/" + format(i, "064x"), b"card %d" % i)
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    disk = FileStore(tmp_path)
    assert [disk.get("req/" + format(i, "064x")) for i in range(5)] == [b"card %d" % i for i in range(5)]


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")  # Python 3.12+
def test_a_forked_worker_starts_with_its_own_queue_and_writer(tmp_path):
    # gunicorn preloads the app (and its store) in the master, then forks the workers.
    import multiprocessing

    backend = GatedStore(tmp_path)
    store = WriteBehind(backend)
    parents = key("req", "parent")
    store.put(parents, b"queued in the parent")  # still queued: the gate is closed
    child = multiprocessing.get_context("fork").Process(target=_child_puts_and_flushes, args=(store,))
    child.start()
    child.join(timeout=30)
    assert child.exitcode == 0
    assert FileStore(tmp_path).get(key("req", "child")) == b"written by the child"
    backend.gate.set()
    assert store.flush(timeout=10) and backend.get(parents) == b"queued in the parent"


def _child_puts_and_flushes(store: WriteBehind) -> None:
    assert store.get(key("req", "parent")) is None  # the parent's queue is the parent's to write
    store.backend.gate.set()
    store.put(key("req", "child"), b"written by the child")
    assert store.flush(timeout=10)
