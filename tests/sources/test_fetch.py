"""Fetching from an HTTPS image host on loopback: the connection goes to the checked address with the
URL's own name in SNI and Host; redirects, caps, deadline and upstream failures map to clear errors."""

from __future__ import annotations

import threading
import time
from ipaddress import ip_address

import httpcore
import pytest

from ogservice.errors import (
    BadGateway,
    GatewayTimeout,
    ImageTooLarge,
    ImageUrlFailed,
    ImageUrlRefused,
)
from ogservice.sources.policy import FetchPolicy
from ogservice.sources.transport import Deadline, PinnedBackend

from .images import png_bytes
from .servers import Listener, chunked, lying_length, redirect, serve, trickle

PNG = png_bytes()


def url(host, path: str = "/img.png", name: str = "img.test") -> str:
    return f"https://{name}:{host.port}{path}"


def test_fetch_connects_to_the_checked_address_with_the_name_in_sni_and_host(
    make_fetcher, image_host, resolver, connections
):
    image_host.routes["/img.png"] = serve(PNG, Content_Type="image/png")
    body = make_fetcher().fetch(url(image_host))
    assert body == PNG
    assert connections == [("127.0.0.1", image_host.port)]  # one connect, to the address the resolver gave
    assert resolver.calls == ["img.test"]  # resolved once
    (seen,) = image_host.seen
    assert seen.sni == "img.test" and seen.host == f"img.test:{image_host.port}"
    assert seen.headers["accept-encoding"] == "identity"


def test_tls_certificate_is_verified_against_the_url_name(make_fetcher, image_host, resolver, connections):
    resolver.table["unlisted.test"] = [
        "127.0.0.1"
    ]  # the same server; its certificate does not name this host
    image_host.routes["/img.png"] = serve(PNG)
    with pytest.raises(BadGateway, match="TLS failed"):
        make_fetcher().fetch(url(image_host, name="unlisted.test"))


def test_dns_rebinding_connects_only_to_the_address_that_was_checked(
    make_fetcher, image_host, resolver, connections
):
    """The resolver answers the checked address first and a different one on any later lookup: the
    fetch must resolve once and connect there, never where a second lookup would point."""
    rebound = Listener(("127.0.0.2",), port=image_host.port)  # same port, the address a rebind points at
    try:
        resolver.table["img.test"] = [["127.0.0.1"], ["127.0.0.2"]]
        image_host.routes["/img.png"] = serve(PNG)
        assert make_fetcher().fetch(url(image_host)) == PNG
        assert resolver.calls == ["img.test"]
        assert connections == [("127.0.0.1", image_host.port)]
        assert rebound.accepted() == []
    finally:
        rebound.close()


def test_redirects_are_followed_and_each_hop_is_checked(make_fetcher, image_host, resolver, connections):
    resolver.table["other.test"] = ["127.0.0.1"]
    image_host.routes["/a"] = redirect(url(image_host, "/b", name="other.test"), 301)
    image_host.routes["/b"] = redirect("/c", 307)  # relative: joined to the current URL
    image_host.routes["/c"] = redirect(url(image_host, "/img.png"), 308)
    image_host.routes["/img.png"] = serve(PNG)
    assert make_fetcher().fetch(url(image_host, "/a")) == PNG
    assert [s.path for s in image_host.seen] == ["/a", "/b", "/c", "/img.png"]
    assert [s.sni for s in image_host.seen] == ["img.test", "other.test", "other.test", "img.test"]
    assert resolver.calls == ["img.test", "other.test", "other.test", "img.test"]


def test_a_fourth_redirect_is_refused(make_fetcher, image_host, connections):
    for hop in range(5):
        image_host.routes[f"/r{hop}"] = redirect(f"/r{hop + 1}")
    with pytest.raises(ImageUrlRefused, match="more than 3 redirects") as err:
        make_fetcher().fetch(url(image_host, "/r0"))
    assert err.value.status == 422
    assert [s.path for s in image_host.seen] == ["/r0", "/r1", "/r2", "/r3"]


def test_content_length_over_the_cap_stops_before_the_body(make_fetcher, image_host, connections):
    image_host.routes["/big"] = lying_length(50_000_000, b"x" * 1000)
    with pytest.raises(ImageTooLarge, match="50000000 bytes") as err:
        make_fetcher(max_bytes=100_000).fetch(url(image_host, "/big"))
    assert err.value.status == 413


def test_a_body_without_content_length_is_cut_at_the_cap(make_fetcher, image_host, connections):
    image_host.routes["/stream"] = chunked(b"x" * 65536, count=1000)  # 64 MB if read to the end
    with pytest.raises(ImageTooLarge, match="more than 100000 bytes"):
        make_fetcher(max_bytes=100_000).fetch(url(image_host, "/stream"))


def test_a_body_longer_than_its_content_length_is_read_only_that_far(make_fetcher, image_host, connections):
    """A Content-Length under the cap that lies: the bytes past it are never read as the body."""
    image_host.routes["/lie"] = lying_length(len(PNG), PNG + b"x" * 5_000_000)
    assert make_fetcher(max_bytes=100_000).fetch(url(image_host, "/lie")) == PNG


def test_a_host_that_trickles_hits_the_deadline(make_fetcher, image_host, connections):
    image_host.routes["/slow"] = trickle(PNG, every_s=0.05)  # ~5 s for the whole PNG
    with pytest.raises(GatewayTimeout) as err:
        make_fetcher(timeout_s=0.5).fetch(url(image_host, "/slow"))
    assert err.value.status == 504


@pytest.mark.parametrize(
    ("status", "error", "code"),
    [
        (404, ImageUrlFailed, 422),
        (403, ImageUrlFailed, 422),
        (500, BadGateway, 502),
        (503, BadGateway, 502),
        (204, BadGateway, 502),
        (302, BadGateway, 502),
    ],
)
def test_upstream_statuses_map_to_clear_errors(make_fetcher, image_host, connections, status, error, code):
    image_host.routes["/x"] = serve(b"", status=status)  # a 302 here has no Location
    with pytest.raises(error) as err:
        make_fetcher().fetch(url(image_host, "/x"))
    assert err.value.status == code and str(status) in err.value.detail


def test_a_compressed_body_is_refused(make_fetcher, image_host, connections):
    image_host.routes["/gz"] = serve(b"\x1f\x8b" + b"\x00" * 20, Content_Encoding="gzip")
    with pytest.raises(BadGateway, match="gzip"):
        make_fetcher().fetch(url(image_host, "/gz"))


def test_a_refused_connection_is_a_bad_gateway(make_fetcher, image_host, resolver, connections):
    closed = Listener(("127.0.0.1",))
    port = closed.port
    closed.close()  # nothing listens there now
    policy = FetchPolicy(extra_ports=frozenset({port}), exempt=frozenset({(ip_address("127.0.0.1"), port)}))
    with pytest.raises(BadGateway, match="could not connect"):
        make_fetcher(policy).fetch(f"https://img.test:{port}/img.png")
    assert connections == [("127.0.0.1", port)]


def test_a_name_that_does_not_exist_is_a_422(make_fetcher, image_host, connections):
    with pytest.raises(ImageUrlFailed, match="does not exist") as err:
        make_fetcher().fetch(url(image_host, name="nowhere.test"))
    assert err.value.status == 422 and connections == []


def test_a_lookup_that_hangs_hits_the_deadline(make_fetcher, image_host, connections):
    release = threading.Event()
    fetcher = make_fetcher(timeout_s=0.3, resolve=lambda host, port: release.wait(10) and [])
    try:
        with pytest.raises(GatewayTimeout, match="DNS"):
            fetcher.fetch(url(image_host))
    finally:
        release.set()
    assert connections == []


def test_checked_addresses_are_tried_in_order_when_one_refuses(
    make_fetcher, image_host, resolver, connections
):
    resolver.table["img.test"] = ["127.0.0.3", "127.0.0.1"]  # nothing listens on 127.0.0.3
    exempt = frozenset({(ip_address(a), image_host.port) for a in ("127.0.0.3", "127.0.0.1")})
    image_host.routes["/img.png"] = serve(PNG)
    fetcher = make_fetcher(FetchPolicy(extra_ports=frozenset({image_host.port}), exempt=exempt))
    assert fetcher.fetch(url(image_host)) == PNG
    assert connections == [("127.0.0.3", image_host.port), ("127.0.0.1", image_host.port)]


def test_the_pinned_backend_never_connects_an_unchecked_host(connections):
    backend = PinnedBackend({("img.test", 443): [ip_address("127.0.0.1")]}, Deadline(time.monotonic() + 5))
    for host, port in [("other.test", 443), ("img.test", 444), ("127.0.0.1", 443)]:
        with pytest.raises(httpcore.ConnectError, match="not checked"):
            backend.connect_tcp(host, port)
    with pytest.raises(httpcore.ConnectError):
        backend.connect_unix_socket("/var/run/docker.sock")
    assert connections == []
