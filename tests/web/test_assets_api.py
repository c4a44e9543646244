"""POST /v1/assets: an upload is decoded, cleaned and stored by hash; bad uploads get a clear 4xx."""

from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from ogservice import create_app
from ogservice.config import load_settings

from ..sources.images import bomb_png


@pytest.fixture
def app(tmp_path):
    settings = load_settings(dev=True, data_dir=tmp_path / "data", image_max_bytes=300_000)
    app = create_app(settings)
    yield app
    app.extensions["ogs.images"].close()


@pytest.fixture
def client(app):
    return app.test_client()


def post_file(client, data: bytes, field: str = "file", content_type: str = "image/png"):
    """A multipart upload built in memory (the test client would spool a large one to a temp file)."""
    upload = FileStorage(io.BytesIO(data), filename="upload.png", content_type=content_type)
    boundary, body = encode_multipart({field: upload})
    return client.post("/v1/assets", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def jpeg(size=(320, 200), color=(20, 160, 90)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def test_upload_answers_the_id_size_and_decoded_format(app, client):
    resp = post_file(client, jpeg(), content_type="image/png")  # the declared type is not believed
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    body = resp.get_json()
    assert body["format"] == "jpeg" and (body["width"], body["height"]) == (320, 200)
    stored = app.extensions["ogs.cards"].store.get(f"image/{body['id']}")
    assert hashlib.sha256(stored).hexdigest() == body["id"]  # the id names the stored (clean) bytes
    image = app.extensions["ogs.images"].load_image(body["id"])
    assert image.size == (320, 200) and abs(image.getpixel((10, 10))[1] - 160) < 8


def test_the_same_upload_gets_the_same_id(client):
    assert post_file(client, jpeg()).get_json()["id"] == post_file(client, jpeg()).get_json()["id"]


def test_uploads_are_not_served_as_public_assets(client):
    image_id = post_file(client, jpeg()).get_json()["id"]
    assert client.get(f"/a/{image_id}.png").status_code == 404


@pytest.mark.parametrize(
    ("data", "field", "status", "slug"),
    [
        (b"<html>hello</html>", "file", 415, "not-an-image"),
        (b"", "file", 400, "bad-request"),
        (jpeg(), "image", 400, "bad-request"),  # wrong field name
        (b"x" * 400_000, "file", 413, "image-too-large"),  # over OGS_IMAGE_MAX_BYTES (300 KB here)
        (bomb_png(8000, 8000, rows=10), "file", 413, "image-too-large"),  # 64 MP in a few hundred bytes
    ],
    ids=["not-an-image", "empty", "no-file-field", "too-many-bytes", "too-many-pixels"],
)
def test_bad_uploads_get_problem_json(client, data, field, status, slug):
    resp = post_file(client, data, field=field)
    assert resp.status_code == status and resp.mimetype == "application/problem+json"
    assert resp.get_json()["type"].endswith(f"/{slug}")


def test_a_json_body_is_a_400(client):
    resp = client.post("/v1/assets", json={"file": "https://example.com/a.png"})
    assert resp.status_code == 400 and "multipart/form-data" in resp.get_json()["detail"]
