"""ImageSources over the service's own store stack: fetched once, remembered for the TTL, loaded for
compose; the URL rules apply even to a URL that is remembered."""

from __future__ import annotations

import hashlib
import threading
import time

import pytest

from ogservice.config import load_settings
from ogservice.errors import ImageUrlRefused, NotFound
from ogservice.sources.assets import ImageSources
from ogservice.sources.decode import DecodeLimits
from ogservice.sources.hosts import HostAllowList
from ogservice.store import open_store

from .conftest import exempt_policy
from .images import png_bytes
from .servers import serve

PNG = png_bytes((64, 48), (10, 120, 240))


@pytest.fixture
def store(tmp_path):
    made = open_store(load_settings(dev=True, data_dir=tmp_path / "data"))
    yield made
    made.close()


@pytest.fixture
def make_sources(store, image_host, make_fetcher):
    """ImageSources as the app builds them, over the loopback image host's exempt policy."""

    def make(url_ttl: int = 3600, **policy: object) -> ImageSources:
        fetcher = make_fetcher(exempt_policy(image_host, **policy))
        return ImageSources(store, fetcher, DecodeLimits(40_000_000, 2400), HostAllowList([]), url_ttl)

    return make


def url(image_host, path: str = "/img.png") -> str:
    return f"https://img.test:{image_host.port}{path}"


def test_a_fetched_image_is_stored_clean_and_loads_for_compose(make_sources, image_host, store):
    image_host.routes["/img.png"] = serve(PNG, Content_Type="text/plain")  # the header is not believed
    stored = make_sources().fetch(url(image_host))
    assert (stored.width, stored.height, stored.format) == (64, 48, "png")
    assert hashlib.sha256(store.get(f"image/{stored.id}")).hexdigest() == stored.id
    image = make_sources().load_image(stored.id)
    assert image.mode == "RGB" and image.size == (64, 48) and image.getpixel((5, 5)) == (10, 120, 240)


def test_a_url_is_fetched_once_within_its_ttl(make_sources, image_host, connections):
    image_host.routes["/img.png"] = serve(PNG)
    sources = make_sources()
    first = sources.fetch(url(image_host))
    connections.clear()
    assert sources.fetch(url(image_host)) == first
    assert connections == [] and len(image_host.seen) == 1


def test_a_url_is_fetched_again_after_its_ttl(make_sources, image_host):
    image_host.routes["/img.png"] = serve(PNG)
    sources = make_sources(url_ttl=1)
    first = sources.fetch(url(image_host))
    sources.store.flush()  # the TTL runs from when the entry is written (write-behind)
    time.sleep(1.1)  # the store's entry expires; not a timing assertion
    image_host.routes["/img.png"] = serve(png_bytes((64, 48), (250, 250, 0)))  # the image changed meanwhile
    assert sources.fetch(url(image_host)).id != first.id
    assert len(image_host.seen) == 2


def test_a_remembered_url_is_still_checked_against_the_rules(make_sources, image_host):
    """Tightening the policy takes effect at once, even for a URL fetched a moment ago."""
    image_host.routes["/img.png"] = serve(PNG)
    make_sources().fetch(url(image_host))
    with pytest.raises(ImageUrlRefused):
        make_sources(extra_ports=frozenset()).fetch(url(image_host))  # its port is no longer allowed


def test_concurrent_first_requests_fetch_once(make_sources, image_host):
    def slow(handler):
        time.sleep(0.3)  # long enough for every thread to be waiting on the first fetch
        serve(PNG)(handler)

    image_host.routes["/img.png"] = slow
    sources = make_sources()
    ids: list[str] = []
    threads = [
        threading.Thread(target=lambda: ids.append(sources.fetch(url(image_host)).id)) for _ in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(ids)) == 1 and len(ids) == 6 and len(image_host.seen) == 1


def test_resolve_takes_an_id_or_a_url(make_sources, image_host):
    image_host.routes["/img.png"] = serve(PNG)
    sources = make_sources()
    uploaded = sources.add(PNG)
    assert sources.resolve(uploaded.id) == uploaded.id
    assert sources.resolve(url(image_host)) == uploaded.id  # the same pixels, the same id


def test_unknown_ids_are_not_found(make_sources):
    sources = make_sources()
    for image_id in ("0" * 64, "../../etc/passwd", "A" * 64):
        with pytest.raises(NotFound) as err:
            sources.load_image(image_id)
        assert err.value.status == 404
