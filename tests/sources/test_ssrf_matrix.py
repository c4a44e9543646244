"""The SSRF matrix: URLs that must be refused with a 4xx, and not one connection to a refused address.

Every case runs the full path a card's image URL takes (ImageSources.fetch: check, resolve, connect,
follow, cap, decode) with the production rules, except that the port of a loopback listener is
allowed (so an address is refused for being what it is, not for its port) and that exactly
127.0.0.1:<image host port> is exempt (so redirects and bad bodies can be served from there).
Two witnesses see connections: an audit hook on socket.connect in this thread, and listeners on
127.0.0.1 and ::1 at the port the URLs name.
"""

from __future__ import annotations

import pytest

from ogservice.errors import ImageTooLarge, NotAnImage, OgsError
from ogservice.sources.assets import ImageSources
from ogservice.sources.decode import DecodeLimits
from ogservice.sources.hosts import HostAllowList
from ogservice.store.files import FileStore

from .conftest import exempt_policy
from .images import bomb_png
from .servers import chunked, lying_length, redirect, serve

# (URL with {p} = the listener's port, what refuses it: a policy reason or an error class)
ADDRESS_CASES = [
    ("https://127.0.0.1:{p}/", "address"),
    ("https://127.0.0.2:{p}/", "address"),
    ("https://2130706433:{p}/", "address"),  # decimal 127.0.0.1
    ("https://0177.0.0.1:{p}/", "url"),  # octal dotted quad: httpx refuses it as a URL already
    ("https://0177.1:{p}/", "address"),  # octal, short: inet_aton reads 127.0.0.1
    ("https://0x7f.1:{p}/", "address"),  # hex, short
    ("https://0x7f000001:{p}/", "address"),  # hex, whole
    ("https://127.1:{p}/", "address"),  # short form
    ("https://0:{p}/", "address"),  # 0.0.0.0 in one number
    ("https://0.0.0.0:{p}/", "address"),
    ("https://[::]:{p}/", "address"),
    ("https://[::1]:{p}/", "address"),
    ("https://[::ffff:127.0.0.1]:{p}/", "address"),  # IPv4-mapped
    ("https://[::ffff:7f00:1]:{p}/", "address"),  # IPv4-mapped, hex groups
    ("https://[::127.0.0.1]:{p}/", "address"),  # IPv4-compatible
    ("https://[64:ff9b::7f00:1]:{p}/", "address"),  # NAT64 of 127.0.0.1
    ("https://[2002:7f00:1::1]:{p}/", "address"),  # 6to4 of 127.0.0.1
    ("https://[::ffff:169.254.169.254]:{p}/", "address"),
    ("https://169.254.169.254:{p}/", "address"),  # cloud metadata
    ("https://0xa9.0xfe.0xa9.0xfe:{p}/", "address"),  # the metadata address in hex
    ("https://2852039166:{p}/", "address"),  # the metadata address in decimal
    ("https://100.64.0.1:{p}/", "address"),  # CGNAT
    ("https://10.0.0.1:{p}/", "address"),
    ("https://012.0.0.1:{p}/", "url"),  # octal 10.0.0.1
    ("https://172.16.0.1:{p}/", "address"),
    ("https://192.168.1.1:{p}/", "address"),
    ("https://3232235777:{p}/", "address"),  # decimal 192.168.1.1
    ("https://198.18.0.1:{p}/", "address"),  # benchmarking
    ("https://192.0.2.1:{p}/", "address"),  # documentation (TEST-NET-1)
    ("https://224.0.0.1:{p}/", "address"),  # multicast
    ("https://240.0.0.1:{p}/", "address"),  # reserved
    ("https://255.255.255.255:{p}/", "address"),
    ("https://[fe80::1]:{p}/", "address"),  # link-local
    ("https://[fe80::1%25lo]:{p}/", "host"),  # zone index
    ("https://[fd00::1]:{p}/", "address"),  # unique local
    ("https://[fec0::1]:{p}/", "address"),  # site-local
    ("https://[ff02::1]:{p}/", "address"),  # multicast
    ("https://[2001:db8::1]:{p}/", "address"),  # documentation
    ("https://%31%32%37.0.0.1:{p}/", "host"),  # percent-escaped host
]
NAME_CASES = [  # names the (injected) resolver answers
    ("https://internal.test:{p}/", ["10.1.2.3"]),
    ("https://localhost:{p}/", ["127.0.0.1", "::1"]),
    ("https://mixed.test:{p}/", ["93.184.216.34", "127.0.0.1"]),  # one public, one private: refused
    ("https://mixed6.test:{p}/", ["2606:2800:220:1::1", "fd00::5"]),
    ("https://metadata.test:{p}/", ["169.254.169.254"]),
    ("https://mapped.test:{p}/", ["::ffff:10.0.0.1"]),
]
STATIC_CASES = [  # refused by the URL alone
    ("http://img.test:{s}/img.png", "scheme"),  # https required
    ("ftp://img.test:{s}/img.png", "scheme"),
    ("file:///etc/passwd", "scheme"),
    ("gopher://img.test:{s}/", "scheme"),
    ("https://user:pw@img.test:{s}/img.png", "userinfo"),
    ("https://user@img.test:{s}/img.png", "userinfo"),
    ("https://img.test:22/img.png", "port"),
    ("https://img.test:6379/img.png", "port"),  # Redis
    ("https://img.test:0/img.png", "port"),
    ("https:///img.png", "host"),
    ("not a url", "scheme"),
    ("https://img.test:{s}/" + "a" * 3000, "url"),
]
REDIRECT_CASES = [  # the exempt image host redirects to ...
    ("https://127.0.0.1:{p}/", "address"),
    ("https://2130706433:{p}/", "address"),
    ("https://[::1]:{p}/", "address"),
    ("https://[::ffff:127.0.0.1]:{p}/", "address"),
    ("https://internal.test:{p}/", "address"),
    ("http://img.test:{s}/img.png", "scheme"),  # a downgrade
    ("https://img.test:22/", "port"),
]


@pytest.fixture
def sources(make_fetcher, image_host, listener, tmp_path, resolver):
    policy = exempt_policy(image_host, extra_ports=frozenset({image_host.port, listener.port}))
    for url, answers in NAME_CASES:
        resolver.table[url.split("//")[1].split(":")[0]] = answers
    limits = DecodeLimits(max_pixels=40_000_000, max_side=2400)
    fetcher = make_fetcher(policy, max_bytes=1_000_000)
    return ImageSources(FileStore(tmp_path / "store"), fetcher, limits, HostAllowList([]), 3600)


def refused(sources: ImageSources, url: str, expected: str | type[OgsError]) -> OgsError:
    with pytest.raises(OgsError) as err:
        sources.fetch(url)
    error = err.value
    assert 400 <= error.status < 500, f"{url}: {error.status} {error.detail}"
    if isinstance(expected, str):
        assert error.extra.get("reason") == expected, f"{url}: {error.detail}"
    else:
        assert isinstance(error, expected), f"{url}: {type(error).__name__} {error.detail}"
    return error


@pytest.mark.parametrize(("template", "reason"), ADDRESS_CASES, ids=[c[0] for c in ADDRESS_CASES])
def test_address_forms_are_refused_without_connecting(
    sources, listener, connections, resolver, template, reason
):
    refused(sources, template.format(p=listener.port), reason)
    assert connections == [] and listener.accepted() == []
    assert resolver.calls == []  # numeric forms never reach DNS: they are read as inet_aton reads them


@pytest.mark.parametrize(("template", "answers"), NAME_CASES, ids=[c[0] for c in NAME_CASES])
def test_names_resolving_to_any_refused_address_are_refused(
    sources, listener, connections, template, answers
):
    error = refused(sources, template.format(p=listener.port), "address")
    assert "resolves to" in error.detail and answers[-1] not in error.detail  # no internal address leaks
    assert connections == [] and listener.accepted() == []


@pytest.mark.parametrize(("template", "reason"), STATIC_CASES, ids=[c[0][:60] for c in STATIC_CASES])
def test_urls_breaking_the_url_rules_are_refused(
    sources, image_host, listener, connections, template, reason
):
    refused(sources, template.format(s=image_host.port), reason)
    assert connections == [] and listener.accepted() == [] and image_host.seen == []


@pytest.mark.parametrize(("template", "reason"), REDIRECT_CASES, ids=[c[0] for c in REDIRECT_CASES])
def test_redirects_to_refused_urls_are_refused(sources, image_host, listener, connections, template, reason):
    image_host.routes["/go"] = redirect(template.format(p=listener.port, s=image_host.port))
    refused(sources, f"https://img.test:{image_host.port}/go", reason)
    assert connections == [("127.0.0.1", image_host.port)]  # the first hop only
    assert listener.accepted() == []


def test_body_cases_are_refused_by_size_and_decoding(sources, image_host, listener, connections):
    image_host.routes["/declared-huge"] = lying_length(2_000_000_000, b"x")
    image_host.routes["/endless"] = chunked(b"\x89PNG" * 16384, count=10_000)
    image_host.routes["/bomb"] = serve(bomb_png(8000, 8000), Content_Type="image/png")  # 64 MP > 40 MP cap
    image_host.routes["/huge-bomb"] = serve(bomb_png(30000, 30000, rows=10), Content_Type="image/png")
    image_host.routes["/html"] = serve(b"<html>not an image</html>", Content_Type="image/png")
    image_host.routes["/truncated"] = serve(bomb_png(64, 64)[:60], Content_Type="image/png")
    cases = [
        ("/declared-huge", ImageTooLarge),
        ("/endless", ImageTooLarge),
        ("/bomb", ImageTooLarge),
        ("/huge-bomb", ImageTooLarge),
        ("/html", NotAnImage),
        ("/truncated", NotAnImage),
    ]
    for path, expected in cases:
        error = refused(sources, f"https://img.test:{image_host.port}{path}", expected)
        assert error.status == (413 if expected is ImageTooLarge else 415)
    assert set(connections) == {("127.0.0.1", image_host.port)} and listener.accepted() == []


def test_the_matrix_has_enough_cases():
    total = len(ADDRESS_CASES) + len(NAME_CASES) + len(STATIC_CASES) + len(REDIRECT_CASES) + 6
    assert total >= 25
