"""POST /v1/banners: a product's promo set in one call, with the product visible in every size, within
an ad network's byte cap in every format, and as a zip."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from ogservice.publish.models import BANNER_SIZES
from tests.web.api_keys import bearer, issue, make_app

PRESETS = {
    "feed": (1200, 628), "square": (1080, 1080), "story": (1080, 1920), "leaderboard": (728, 90),
    "rectangle": (300, 250), "billboard": (970, 250), "skyscraper": (160, 600),
}  # fmt: skip
PRODUCT_RGB = (0, 200, 255)  # a cyan no theme or brand colour here comes near


def product_photo() -> bytes:
    """A product shot: a flat cyan object on white, so its pixels can be found in every banner."""
    image = Image.new("RGB", (480, 480), (255, 255, 255))
    image.paste(PRODUCT_RGB, (60, 60, 420, 420))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return make_app(tmp_path)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def auth(app: Flask) -> dict[str, str]:
    return bearer(issue(app)[0])


def upload(client: FlaskClient, auth: dict[str, str], data: bytes) -> str:
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(data), filename="p.png")})
    resp = client.post(
        "/v1/assets", data=body, headers=auth, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()["id"]


def banner_body(image: str, **changes: Any) -> dict[str, Any]:
    return {
        "product": {"name": "Trail Runner 3", "price": "$89", "old_price": "$129", "image": image},
        "brand": {"color": "#E4002B"},
        "headline": "Winter sale: 30% off trail shoes",
        "discount": "-30%",
        "cta": "Shop now",
        **changes,
    }


def product_pixels(image: Image.Image) -> int:
    """How many pixels are the product's cyan (within a JPEG's or WebP's error)."""
    rgb = np.asarray(image.convert("RGB"), dtype=np.int16)
    return int((np.abs(rgb - np.array(PRODUCT_RGB)).max(axis=2) <= 40).sum())


def test_all_seven_sizes_with_the_product_visible_in_each(client: FlaskClient, auth: dict[str, str]) -> None:
    image = upload(client, auth, product_photo())
    resp = client.post("/v1/banners", json=banner_body(image), headers=auth)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["template"] == "promo-banner"
    banners = body["banners"]
    assert [b["size"] for b in banners] == list(BANNER_SIZES)
    for banner in banners:
        width, height = PRESETS[banner["size"]]
        assert (banner["width"], banner["height"], banner["format"]) == (width, height, "png")
        asset = client.get(banner["url"])
        assert asset.status_code == 200 and len(asset.data) == banner["bytes"]
        shown = Image.open(io.BytesIO(asset.data))
        assert shown.size == (width, height)
        # the product takes a visible share of the banner: at least 3% of its area
        assert product_pixels(shown) >= 0.03 * width * height, banner["size"]
        assert banner["provisional"] is False
        assert client.get(banner["og_url"]).data == asset.data  # the same card as a signed GET URL


@pytest.mark.parametrize("fmt", ["png", "jpg", "webp"])
def test_max_bytes_150k_is_honoured_for_every_size(
    client: FlaskClient, auth: dict[str, str], fmt: str
) -> None:
    image = upload(client, auth, product_photo())
    body = banner_body(image, format=fmt, max_bytes=150_000)
    resp = client.post("/v1/banners", json=body, headers=auth)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    banners = resp.get_json()["banners"]
    assert len(banners) == 7
    for banner in banners:
        data = client.get(banner["url"]).data
        assert banner["format"] == fmt and len(data) == banner["bytes"] <= 150_000, banner["size"]
        assert Image.open(io.BytesIO(data)).size == PRESETS[banner["size"]]


def test_accept_zip_answers_the_set_as_one_zip(client: FlaskClient, auth: dict[str, str]) -> None:
    body = banner_body("", sizes=["leaderboard", "rectangle"], format="webp")
    resp = client.post("/v1/banners", json=body, headers={**auth, "Accept": "application/zip"})
    assert resp.status_code == 200 and resp.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(resp.data))
    assert archive.namelist() == ["leaderboard.webp", "rectangle.webp"]
    for name in archive.namelist():
        assert Image.open(io.BytesIO(archive.read(name))).size == PRESETS[name.split(".")[0]]


def test_the_product_name_is_the_headline_when_none_is_given(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    body = {"product": {"name": "Trail Runner 3", "price": "$89"}, "sizes": ["square"]}
    resp = client.post("/v1/banners", json=body, headers=auth)
    assert resp.status_code == 200
    og_url = resp.get_json()["banners"][0]["og_url"]
    assert "headline=Trail+Runner+3" in og_url or "headline=Trail%20Runner%203" in og_url


def test_without_an_api_key_is_401(client: FlaskClient) -> None:
    resp = client.post("/v1/banners", json=banner_body(""))
    assert resp.status_code == 401 and resp.mimetype == "application/problem+json"


@pytest.mark.parametrize(
    ("changes", "status", "field"),
    [
        ({"sizes": ["og"]}, 422, "sizes"),
        ({"sizes": []}, 422, "sizes"),
        ({"sizes": ["feed", "feed"]}, 422, "sizes"),
        ({"sizes": "some"}, 422, "sizes"),
        ({"format": "gif"}, 422, "format"),
        ({"max_bytes": 0}, 422, "max_bytes"),
        ({"brand": {"color": "red"}}, 422, "brand.color"),
        ({"product": {"name": "x", "colour": "red"}}, 422, "product.colour"),
        ({"headline": "", "product": {"name": ""}}, 422, "headline"),
        ({"headline": "", "product": {"name": "\u200b"}}, 422, "headline"),  # nothing visible: empty
        ({"max_bytes": 300}, 422, "max_bytes"),  # no quality fits: names the smallest size reached
        ({"product": {"name": "x", "image": "not-an-asset-or-url"}}, 422, "product.image"),
    ],
)
def test_bad_bodies_are_4xx_problems(
    client: FlaskClient, auth: dict[str, str], changes: dict[str, Any], status: int, field: str | None
) -> None:
    resp = client.post("/v1/banners", json={**banner_body(""), **changes}, headers=auth)
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json"
    if field:
        assert resp.get_json().get("field") == field


def test_a_body_without_headline_or_product_name_names_both_fields(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """The 422 named `"field": ""`: nothing a client could point its user at."""
    resp = client.post("/v1/banners", json={"product": {"price": "$89"}, "sizes": ["square"]}, headers=auth)
    assert resp.status_code == 422, resp.get_data(as_text=True)
    problem = resp.get_json()
    assert problem["field"] == "headline" and problem["fields"] == ["headline", "product.name"]
    assert problem["detail"].startswith("headline or product.name is required")


def test_a_byte_limit_names_each_size_that_cannot_meet_it_and_what_it_reached(
    client: FlaskClient, auth: dict[str, str]
) -> None:
    """3 KB as JPEG: the small banners fit, the big ones cannot; the 422 named only one smallest size."""
    body = {"product": {"name": "Trail Runner 3"}, "format": "jpg", "max_bytes": 3000}
    resp = client.post("/v1/banners", json=body, headers=auth)
    assert resp.status_code == 422, resp.get_data(as_text=True)
    problem = resp.get_json()
    unmet = {u["size"]: u["smallest_bytes"] for u in problem["unmet_sizes"]}
    met = [size for size in BANNER_SIZES if size not in unmet]
    assert unmet and met, problem  # the limit splits the set, as this test means it to
    assert problem["field"] == "max_bytes" and problem["max_bytes"] == 3000
    assert all(reached > 3000 for reached in unmet.values())
    assert problem["smallest_bytes"] == max(unmet.values())
    for size, reached in unmet.items():
        assert f"{size} {reached}" in problem["detail"]
    fitting = client.post("/v1/banners", json={**body, "sizes": met}, headers=auth)
    assert fitting.status_code == 200, fitting.get_data(as_text=True)  # the others do fit


def test_dir_lays_every_size_out_right_to_left(client: FlaskClient, auth: dict[str, str]) -> None:
    """A Latin product name on an Arabic shop's banners: `dir` reaches the template (whose layouts
    mirror, see tests/cards/test_rtl.py), and the signed og_url carries it."""
    body = {"product": {"name": "Trail Runner 3", "price": "$89"}, "sizes": ["feed", "billboard"]}
    ltr = client.post("/v1/banners", json=body, headers=auth).get_json()["banners"]
    rtl = client.post("/v1/banners", json={**body, "dir": "rtl"}, headers=auth).get_json()["banners"]
    for left, right in zip(ltr, rtl, strict=True):
        assert "dir=rtl" in right["og_url"] and "dir=" not in left["og_url"]
        assert right["url"] != left["url"], f"{right['size']}: the same image both ways"
        assert client.get(right["og_url"]).status_code == 200


def test_an_unknown_dir_is_a_422_naming_it(client: FlaskClient, auth: dict[str, str]) -> None:
    resp = client.post("/v1/banners", json={"headline": "Sale", "dir": "sideways"}, headers=auth)
    assert resp.status_code == 422 and resp.get_json()["field"] == "dir"
