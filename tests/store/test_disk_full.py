"""A full disk, or a write that fails part-way, never commits a torn file and is logged once."""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ogservice.store.files import FileStore


def asset_key(data: bytes) -> str:
    return f"asset/{hashlib.sha256(data).hexdigest()}"


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def temp_files(root: Path) -> list[Path]:
    return [p for p in stored_files(root) if p.name.startswith(".tmp-")]


@pytest.fixture
def small_fs(tmp_path: Path):
    """A real 64 KiB tmpfs (needs root or CAP_SYS_ADMIN; the rlimit tests below run everywhere)."""
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k,nr_inodes=600", "tmpfs", str(mount_point)],
        capture_output=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.decode().strip()}")
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=True)


def test_a_full_filesystem_commits_only_whole_values(small_fs, caplog):
    store = FileStore(small_fs)
    rng = random.Random(7)
    values = [rng.randbytes(rng.randrange(5_000, 20_000)) for _ in range(12)]  # ~150 KB into 64 KiB
    with caplog.at_level(logging.WARNING):
        for value in values:
            store.put(asset_key(value), value)
    assert store.health().errors > 0  # the disk did fill up
    for path in stored_files(small_fs):
        assert not path.name.startswith(".tmp-"), "a failed write left its temp file behind"
        assert hashlib.sha256(path.read_bytes()).hexdigest() == path.name, f"torn file committed: {path}"
    assert [store.get(asset_key(v)) for v in values].count(None) == store.health().errors
    assert len([r for r in caplog.records if r.name.startswith("ogservice")]) == 1


def test_the_shard_lay_out_does_not_spend_the_last_inodes_of_a_full_filesystem(small_fs):
    fillers = []
    for i in range(1000):  # use up every inode
        try:
            (small_fs / f"f{i}").touch()
        except OSError:
            break
        fillers.append(small_fs / f"f{i}")
    value = next(v for i in range(5000) if asset_key(v := b"card %d" % i).startswith("asset/00"))
    store = FileStore(small_fs / "store")
    for path in fillers[:30]:
        path.unlink()
    store.put(asset_key(value), value)  # the lay-out takes the 30 free inodes and gets stuck
    assert store.get(asset_key(value)) is None and store.health().errors == 1
    for path in fillers[30:33]:  # a little room again: enough for the card, not for 228 folders
        path.unlink()
    store.put(asset_key(value), value)
    assert store.get(asset_key(value)) == value


# A write that fails part-way, by the kernel: RLIMIT_FSIZE makes write() return a short count at
# the limit and then fail with EFBIG, as a full disk does with ENOSPC. It runs in a child process so
# the limit cannot touch pytest's own files.
LIMITED_WRITER = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # report EFBIG instead of killing the process
resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))
"""


def run_with_file_size_limit(limit: int, body: str) -> str:
    script = LIMITED_WRITER.format(limit=limit) + textwrap.dedent(body)
    done = subprocess.run([sys.executable, "-B", "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_write_cut_short_by_the_kernel_commits_nothing(tmp_path):
    value = random.Random(1).randbytes(33_781)
    out = run_with_file_size_limit(
        28_672,
        f"""
        from ogservice.store.files import FileStore
        store = FileStore({str(tmp_path)!r})
        store.put({asset_key(value)!r}, bytes.fromhex({value.hex()!r}))
        store.put("req/" + "ab" * 32, b"small index entry")  # under the limit: written
        print(store.health().errors)
        """,
    )
    assert out.split() == ["1"]
    store = FileStore(tmp_path)
    assert store.get(asset_key(value)) is None
    assert not store.path(asset_key(value)).exists() and temp_files(tmp_path) == []
    assert store.get("req/" + "ab" * 32) == b"small index entry"


def test_short_writes_that_make_progress_are_continued(tmp_path, monkeypatch):
    real_write = os.write

    def write_at_most_4k(fd: int, data) -> int:  # e.g. a write interrupted by a signal
        return real_write(fd, bytes(data[:4096]))

    monkeypatch.setattr(os, "write", write_at_most_4k)
    store = FileStore(tmp_path)
    value = os.urandom(33_781)
    store.put(asset_key(value), value)
    monkeypatch.undo()
    assert store.get(asset_key(value)) == value and store.health().errors == 0


def test_a_write_failing_part_way_commits_nothing(tmp_path, monkeypatch):
    real_write = os.write

    def fill_the_disk(fd: int, data) -> int:
        if len(data) > 10_000:
            return real_write(fd, bytes(data[:10_000]))
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    store = FileStore(tmp_path)
    value = os.urandom(33_781)
    monkeypatch.setattr(os, "write", fill_the_disk)
    store.put(asset_key(value), value)
    monkeypatch.undo()
    assert store.get(asset_key(value)) is None and temp_files(tmp_path) == []
    assert store.health().errors == 1 and store.health().degraded


def test_a_burst_of_failing_writes_is_logged_once_and_counted(tmp_path, caplog):
    blocker = tmp_path / "not-a-folder"
    blocker.write_bytes(b"")
    store = FileStore(blocker)  # every write fails, as on a full disk
    with caplog.at_level(logging.INFO, logger="ogservice"):
        for i in range(500):
            value = b"card %d" % i
            store.put(asset_key(value), value)
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 1 and "Not a directory" in messages[0]
    assert store.health().errors == 500 and store.health().degraded
    assert "Not a directory" in store.health().last_error
