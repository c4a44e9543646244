"""Image fields on GET /og: uploaded ids always, URLs only from OGS_IMAGE_HOSTS (the loopback image
host, named img.test, stands in for one), problems that name the field, and card keys that follow
the image's content."""

from __future__ import annotations

import io
import threading
import time

import numpy as np
import pytest
from PIL import Image

from ogservice import create_app
from ogservice.config import load_settings
from ogservice.signing import sign_url
from ogservice.sources.assets import ImageSources
from ogservice.sources.decode import DecodeLimits
from ogservice.sources.hosts import HostAllowList

from .conftest import exempt_policy
from .images import png_bytes
from .servers import serve

KEY = "image-test-key"
RED, YELLOW = (214, 40, 60), (250, 200, 0)
FIELDS = [("headline", "Summer sale"), ("price", "$23.99")]


@pytest.fixture
def app(tmp_path, image_host, make_fetcher):
    """The app, its image fetches reaching exactly the loopback image host; img.test is listed in
    OGS_IMAGE_HOSTS, other.test (served by the same host) is not."""
    settings = load_settings(dev=False, signing_keys=KEY, data_dir=tmp_path / "data", image_hosts="img.test")
    app = create_app(settings)
    cards = app.extensions["ogs.cards"]
    limits = DecodeLimits(settings.image_max_pixels, settings.image_max_side)
    fetcher = make_fetcher(exempt_policy(image_host), timeout_s=2.0)
    sources = ImageSources(cards.store, fetcher, limits, HostAllowList(settings.image_hosts), url_ttl=1)
    cards.images = app.extensions["ogs.images"] = sources
    return app


@pytest.fixture
def client(app):
    return app.test_client()


def url(image_host, host: str = "img.test", path: str = "/product.png") -> str:
    return f"https://{host}:{image_host.port}{path}"


def card(client, fields) -> tuple[int, Image.Image | dict]:
    resp = client.get(sign_url(KEY, "/og/promo-banner.png", FIELDS + fields))
    if resp.status_code != 200:
        assert resp.mimetype == "application/problem+json"
        return resp.status_code, resp.get_json()
    return 200, Image.open(io.BytesIO(resp.data)).convert("RGB")


def product_at_centre(image: Image.Image, colour) -> bool:
    """The feed layout's product box is x 652..1164, y 36..592: its middle shows the product."""
    middle = np.asarray(image)[200:420, 800:1000].astype(int)
    return bool((np.abs(middle - colour).max(axis=2) <= 2).all())


def test_an_uploaded_id_is_drawn_in_a_signed_card(app, client):
    image_id = app.extensions["ogs.images"].add(png_bytes((400, 400), RED)).id
    status, image = card(client, [("image", image_id)])
    assert status == 200 and product_at_centre(image, RED)


def test_an_unknown_id_is_a_422_naming_the_field(client):
    status, problem = card(client, [("image", "0" * 64)])
    assert status == 422 and problem["parameter"] == "image" and "POST /v1/assets" in problem["detail"]


def test_a_url_from_a_listed_host_is_fetched_and_drawn(client, image_host):
    image_host.routes["/product.png"] = serve(png_bytes((400, 400), RED))
    status, image = card(client, [("image", url(image_host))])
    assert status == 200 and product_at_centre(image, RED)
    assert len(image_host.seen) == 1


def test_a_url_from_an_unlisted_host_is_refused_without_a_connection(client, image_host, resolver):
    resolver.table["other.test"] = ["127.0.0.1"]
    image_host.routes["/product.png"] = serve(png_bytes((400, 400), RED))
    status, problem = card(client, [("logo", url(image_host, host="other.test"))])
    assert status == 422 and problem["reason"] == "host-not-allowed" and problem["parameter"] == "logo"
    assert image_host.seen == [] and "other.test" not in resolver.calls


@pytest.mark.parametrize(
    ("route", "status", "slug"),
    [
        (serve(b"<html>not an image</html>", Content_Type="image/png"), 415, "not-an-image"),
        (serve(b"", status=404), 422, "image-url-failed"),
        (serve(b"", status=503), 502, "bad-gateway"),
    ],
)
def test_a_failing_url_gets_its_documented_problem_naming_the_field(client, image_host, route, status, slug):
    image_host.routes["/product.png"] = route
    got, problem = card(client, [("image", url(image_host))])
    assert got == status and problem["type"].endswith(slug) and problem["parameter"] == "image"


def test_a_slow_image_host_costs_the_deadline_and_the_image_is_there_next_time(client, image_host):
    """The first request is answered 504 (Retry-After) within the card's deadline, not the fetch's
    own; the fetch goes on, so the crawler's next request gets the card with no second fetch."""
    arrived = threading.Event()

    def slow(handler):
        arrived.wait(5)  # held until the first answer is in
        serve(png_bytes((400, 400), RED))(handler)

    image_host.routes["/product.png"] = slow
    started = time.monotonic()
    resp = client.get(sign_url(KEY, "/og/promo-banner.png", FIELDS + [("image", url(image_host))]))
    print(
        f"slow image host: first answer {resp.status_code} after {(time.monotonic() - started) * 1000:.0f} ms"
    )
    assert resp.status_code == 504 and resp.headers["Retry-After"] == "1"
    assert resp.get_json()["parameter"] == "image"
    arrived.set()
    deadline = time.monotonic() + 10
    while (
        client.get(sign_url(KEY, "/og/promo-banner.png", FIELDS + [("image", url(image_host))])).status_code
        != 200
    ):
        assert time.monotonic() < deadline, "the image never arrived"
        time.sleep(0.05)
    assert len(image_host.seen) == 1


def test_a_new_image_behind_the_same_url_makes_a_new_card(app, client, image_host):
    image_host.routes["/product.png"] = serve(png_bytes((400, 400), RED))
    _, first = card(client, [("image", url(image_host))])
    app.extensions["ogs.images"].store.flush()
    time.sleep(1.1)  # OGS_IMAGE_URL_TTL is 1 s here: the URL is fetched again (not a timing assertion)
    image_host.routes["/product.png"] = serve(png_bytes((400, 400), YELLOW))
    _, second = card(client, [("image", url(image_host))])
    assert product_at_centre(first, RED) and product_at_centre(second, YELLOW)


def test_the_card_key_is_the_image_content_not_its_name(app, image_host):
    """Two URLs serving the same bytes make one card; a different upload makes another."""
    image_host.routes["/a.png"] = serve(png_bytes((400, 400), RED))
    image_host.routes["/b.png"] = serve(png_bytes((400, 400), RED))
    cards, sources = app.extensions["ogs.cards"], app.extensions["ogs.images"]
    other = sources.add(png_bytes((400, 400), YELLOW)).id
    keys = [
        cards.run("promo-banner", FIELDS + [("image", value)], crawler=False).key
        for value in (url(image_host, path="/a.png"), url(image_host, path="/b.png"), other)
    ]
    plain = cards.run("promo-banner", FIELDS).key
    assert keys[0] == keys[1] and keys[2] != keys[0] and plain not in keys
    assert cards.request_key(cards.run("promo-banner", FIELDS).request) == plain  # no images: as before
