"""Through HTTP: a stored entry is verified before it is served, a bad one is a miss that heals, and
a write that failed part-way is never served torn."""

from __future__ import annotations

import hashlib
import os
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ogservice import create_app
from ogservice.config import load_settings
from ogservice.signing import sign_url

KEY = "test-key-1"
CARD = sign_url(KEY, "/og/blog-post.png", [("title", "Verified on every read"), ("site", "example.com")])


def make_app(data_dir: Path, memory_cache_mb: int = 64):
    settings = load_settings(dev=False, signing_keys=KEY, data_dir=data_dir, memory_cache_mb=memory_cache_mb)
    return create_app(settings)


def flush(app) -> None:
    assert app.extensions["ogs.cards"].store.flush(timeout=10)


def render(data_dir: Path) -> tuple[str, bytes]:
    """Render the card with a first app and return (digest, png) once it is on disk."""
    app = make_app(data_dir)
    resp = app.test_client().get(CARD)
    assert resp.status_code == 200
    flush(app)
    return resp.headers["ETag"].strip('"'), resp.data


def asset_file(data_dir: Path, digest: str) -> Path:
    return data_dir / "asset" / digest[:2] / digest


def index_files(data_dir: Path) -> list[Path]:
    return [p for p in (data_dir / "req").rglob("*") if p.is_file()]


def plant(path: Path, data: bytes) -> None:
    """Replace a stored file's bytes, keeping its mtime (the file store keeps the expiry there)."""
    expires = path.stat().st_mtime
    path.write_bytes(data)
    os.utime(path, (expires, expires))


def assert_intact(resp) -> None:
    assert resp.status_code == 200
    assert resp.headers["ETag"].strip('"') == hashlib.sha256(resp.data).hexdigest()


@pytest.mark.parametrize("damage", ["truncated", "zero bytes", "other bytes"])
def test_a_damaged_asset_is_not_served_and_the_next_og_request_heals_it(tmp_path, damage):
    digest, png = render(tmp_path)
    bad = {"truncated": png[: 28_672 if len(png) > 28_672 else len(png) // 2], "zero bytes": b""}
    plant(asset_file(tmp_path, digest), bad.get(damage, random.Random(0).randbytes(len(png))))
    app = make_app(tmp_path)  # a fresh process: nothing in memory, so the disk must answer
    client = app.test_client()
    assert client.get(f"/a/{digest}.png").status_code == 404
    card = client.get(CARD)
    assert_intact(card)
    assert card.data == png and card.headers["X-Ogs-Cache"] == "miss"
    flush(app)
    assert asset_file(tmp_path, digest).read_bytes() == png  # healed on disk
    later = make_app(tmp_path).test_client()
    assert later.get(f"/a/{digest}.png").data == png
    assert later.get(CARD).headers["X-Ogs-Cache"] == "hit"


def test_a_damaged_asset_is_removed_so_it_is_not_checked_again(tmp_path):
    digest, png = render(tmp_path)
    plant(asset_file(tmp_path, digest), png[:1000])
    client = make_app(tmp_path).test_client()
    assert client.get(f"/a/{digest}.png").status_code == 404
    assert not asset_file(tmp_path, digest).exists()


def test_the_hot_path_never_serves_a_damaged_asset(tmp_path):
    digest, png = render(tmp_path)
    app = make_app(tmp_path, memory_cache_mb=0)  # the hot path then reads the disk each time
    client = app.test_client()
    assert_intact(client.get(CARD))  # resolves the URL: later hits take the hot path
    plant(asset_file(tmp_path, digest), png[:5000])
    resp = client.get(CARD)
    assert_intact(resp)
    assert resp.data == png


@pytest.mark.parametrize(
    "entry",
    [b"garbage", b"", b"\xff\xfe not utf-8", b"A" * 64, ("0" * 64).encode(), b"../../etc/passwd\n"],
)
def test_a_bad_index_entry_is_a_miss_that_heals(tmp_path, entry):
    digest, png = render(tmp_path)
    [index] = index_files(tmp_path)
    plant(index, entry)
    app = make_app(tmp_path)
    resp = app.test_client().get(CARD)
    assert_intact(resp)
    assert resp.data == png and resp.headers["X-Ogs-Cache"] == "miss"
    flush(app)
    assert index.read_bytes().split(b"\n")[0] == digest.encode()  # overwritten with a good entry
    assert make_app(tmp_path).test_client().get(CARD).headers["X-Ogs-Cache"] == "hit"


def test_an_asset_whose_write_failed_part_way_is_never_served_torn(tmp_path):
    """The card is rendered by a process whose files may not exceed 20,000 bytes (RLIMIT_FSIZE: the
    kernel cuts the PNG's write short, like a full disk); another process then serves the store."""
    script = textwrap.dedent(
        f"""
        import resource, signal
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))
        from ogservice import create_app
        from ogservice.config import load_settings
        settings = load_settings(dev=False, signing_keys={KEY!r}, data_dir={str(tmp_path)!r})
        app = create_app(settings)
        resp = app.test_client().get({CARD!r})
        assert resp.status_code == 200 and len(resp.data) > 20_000, (resp.status_code, len(resp.data))
        assert app.extensions["ogs.cards"].store.flush(timeout=30)
        print(resp.headers["ETag"].strip('"'))
        """
    )
    done = subprocess.run([sys.executable, "-B", "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    digest = done.stdout.split()[-1]
    client = make_app(tmp_path).test_client()
    asset = client.get(f"/a/{digest}.png")
    assert asset.status_code == 404  # nothing committed: no torn file, not even a temp file
    assert not [p for p in tmp_path.rglob(".tmp-*")]
    card = client.get(CARD)
    assert_intact(card)
    assert card.headers["ETag"].strip('"') == digest
