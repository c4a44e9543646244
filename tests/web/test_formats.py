"""GET /og/<template>.<format> and /a/<sha256>.<format>: the extension is signed, each format is
its own card with its own headers, and an asset is served only under the extension its bytes are."""

from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image

from ogservice import create_app
from ogservice.cards.formats import available
from ogservice.config import load_settings
from ogservice.signing import sign_url

KEY = "test-key-1"
FIELDS = [("title", "Formats for every card"), ("site", "example.com")]
MIMES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp", "avif": "image/avif"}


@pytest.fixture
def client(tmp_path):
    settings = load_settings(dev=False, signing_keys=KEY, data_dir=tmp_path / "data")
    return create_app(settings).test_client()


@pytest.mark.parametrize("ext", list(available()))
def test_each_format_is_served_with_its_type_headers_and_asset(client, ext):
    url = sign_url(KEY, f"/og/blog-post.{ext}", FIELDS)
    resp = client.get(url)
    assert resp.status_code == 200 and resp.mimetype == MIMES[ext]
    assert Image.open(io.BytesIO(resp.data)).size == (1200, 630)
    digest = resp.headers["ETag"].strip('"')
    assert digest == hashlib.sha256(resp.data).hexdigest()  # the asset id names the encoded bytes
    assert resp.headers["X-Ogs-Cache"] == "miss" and "encode;dur=" in resp.headers["Server-Timing"]
    assert "max-age=3600" in resp.headers["Cache-Control"]
    assert resp.headers["Link"] == f'</a/{digest}.{ext}>; rel="alternate"; type="{MIMES[ext]}"'
    hot = client.get(url)  # the exact URL again: answered by the hot path
    assert hot.headers["Server-Timing"].startswith("hot;") and hot.mimetype == MIMES[ext]
    assert hot.data == resp.data and hot.headers["X-Ogs-Cache"] == "hit"
    assert client.get(url, headers={"If-None-Match": f'"{digest}"'}).status_code == 304
    asset = client.get(f"/a/{digest}.{ext}")
    assert asset.status_code == 200 and asset.mimetype == MIMES[ext] and asset.data == resp.data
    assert "immutable" in asset.headers["Cache-Control"]
    assert client.get(f"/a/{digest}.{ext}", headers={"If-None-Match": f'"{digest}"'}).status_code == 304


def test_each_format_is_its_own_card(client):
    png = client.get(sign_url(KEY, "/og/blog-post.png", FIELDS))
    jpg = client.get(sign_url(KEY, "/og/blog-post.jpg", FIELDS))
    assert jpg.headers["X-Ogs-Cache"] == "miss"  # the PNG's entry does not answer for the JPEG
    assert png.headers["ETag"] != jpg.headers["ETag"]
    same_jpg = client.get(sign_url(KEY, "/og/blog-post.jpg", list(reversed(FIELDS))))  # not the hot URL
    assert same_jpg.headers["X-Ogs-Cache"] == "hit" and same_jpg.mimetype == "image/jpeg"


def test_a_url_signed_for_one_format_does_not_verify_for_another(client):
    url = sign_url(KEY, "/og/blog-post.png", FIELDS)
    resp = client.get(url.replace("/og/blog-post.png", "/og/blog-post.jpg"))
    assert resp.status_code == 403 and resp.mimetype == "application/problem+json"


@pytest.mark.parametrize("ext", ["gif", "PNG", "jpeg", "png.png", ""])
def test_an_unknown_extension_is_a_404(client, ext):
    resp = client.get(sign_url(KEY, f"/og/blog-post.{ext}", FIELDS))
    assert resp.status_code == 404 and resp.mimetype == "application/problem+json"


def test_an_asset_is_not_served_under_another_formats_extension(client):
    digest = client.get(sign_url(KEY, "/og/blog-post.jpg", FIELDS)).headers["ETag"].strip('"')
    assert client.get(f"/a/{digest}.jpg").status_code == 200
    for ext in ("png", "webp", "gif"):
        resp = client.get(f"/a/{digest}.{ext}")
        assert resp.status_code == 404 and resp.mimetype == "application/problem+json"


def test_a_signed_byte_limit_is_honoured_and_part_of_the_card(client):
    plain = client.get(sign_url(KEY, "/og/promo-banner.jpg", [("headline", "Limits"), ("size", "story")]))
    limit = len(plain.data) // 2
    fields = [("headline", "Limits"), ("size", "story"), ("max_bytes", str(limit))]
    resp = client.get(sign_url(KEY, "/og/promo-banner.jpg", fields))
    assert resp.status_code == 200 and len(resp.data) <= limit
    assert Image.open(io.BytesIO(resp.data)).size == (1080, 1920)
    assert resp.headers["X-Ogs-Cache"] == "miss"


def test_a_byte_limit_that_cannot_be_met_is_a_422_naming_the_smallest_size(client):
    resp = client.get(sign_url(KEY, "/og/blog-post.webp", [*FIELDS, ("max_bytes", "300")]))
    assert resp.status_code == 422 and resp.mimetype == "application/problem+json"
    problem = resp.get_json()
    assert problem["max_bytes"] == 300 and problem["smallest_bytes"] > 300
    assert f"is {problem['smallest_bytes']} bytes" in problem["detail"]


@pytest.mark.parametrize("value", ["0", "-5", "1e5", "150kb", ""])
def test_a_malformed_byte_limit_is_a_400(client, value):
    resp = client.get(sign_url(KEY, "/og/blog-post.jpg", [*FIELDS, ("max_bytes", value)]))
    assert resp.status_code == 400 and resp.get_json()["parameter"] == "max_bytes"


def test_a_repeated_byte_limit_is_a_400(client):
    fields = [*FIELDS, ("max_bytes", "90000"), ("max_bytes", "900000")]
    assert client.get(sign_url(KEY, "/og/blog-post.jpg", fields)).status_code == 400
