"""The URL rules and their settings: what a deployment can and cannot loosen, and OGS_IMAGE_HOSTS."""

from __future__ import annotations

from ipaddress import ip_address

import pytest

from ogservice.config import ConfigError, load_settings
from ogservice.errors import ImageUrlRefused
from ogservice.sources.addresses import literal_address, refusal
from ogservice.sources.assets import ImageSources
from ogservice.sources.hosts import HostAllowList, normalise_pattern
from ogservice.sources.policy import FetchPolicy
from ogservice.store.files import FileStore


def settings(monkeypatch, **env: str):
    for name, value in env.items():
        monkeypatch.setenv(f"OGS_{name.upper()}", value)
    return load_settings(dev=True)


def test_production_defaults_are_https_443_and_no_exemptions(monkeypatch):
    policy = FetchPolicy.from_settings(settings(monkeypatch))
    assert (
        policy.ports() == {443} and not policy.allow_http and not policy.exempt and policy.max_redirects == 3
    )


def test_http_and_extra_ports_come_from_settings(monkeypatch):
    policy = FetchPolicy.from_settings(
        settings(monkeypatch, image_fetch_allow_http="1", image_fetch_ports="8443, 8080")
    )
    assert policy.ports() == {80, 443, 8080, 8443}
    assert policy.check_url("http://example.com:8080/a.png").port == 8080


def test_no_setting_lets_a_loopback_address_through(monkeypatch):
    """Even with http and every port a deployment can list, a loopback address is refused."""
    policy = FetchPolicy.from_settings(
        settings(monkeypatch, image_fetch_allow_http="1", image_fetch_ports="6379")
    )
    target = policy.check_url("http://127.0.0.1:6379/")
    with pytest.raises(ImageUrlRefused, match="loopback"):
        policy.check_address(target, ip_address("127.0.0.1"), literal=True)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("image_fetch_ports", "0", "1-65535"),
        ("image_fetch_ports", "x", "OGS_IMAGE_FETCH_PORTS"),
        ("image_hosts", "a.com/x", "not a host name"),
        ("image_hosts", "user@a.com", "not a host name"),
    ],
)
def test_bad_settings_refuse_to_start(monkeypatch, name, value, message):
    with pytest.raises(ConfigError, match=message):
        settings(monkeypatch, **{name: value})


def test_exemptions_are_exact_address_and_port():
    policy = FetchPolicy(extra_ports=frozenset({8443}), exempt=frozenset({(ip_address("127.0.0.1"), 8443)}))
    policy.check_address(policy.check_url("https://127.0.0.1:8443/"), ip_address("127.0.0.1"), literal=True)
    for url, address in [("https://127.0.0.1/", "127.0.0.1"), ("https://127.0.0.2:8443/", "127.0.0.2")]:
        with pytest.raises(ImageUrlRefused):
            policy.check_address(policy.check_url(url), ip_address(address), literal=True)


@pytest.mark.parametrize(
    "address",
    [
        "8.8.8.8",
        "93.184.216.34",
        "1.1.1.1",
        "2606:4700::1111",
        "2a00:1450:4001::1",
        "64:ff9b::808:808",
        "2002:808:808::1",
    ],  # NAT64 and 6to4 of a public IPv4 address
)
def test_public_addresses_pass(address):
    assert refusal(ip_address(address)) is None


def test_numeric_hosts_are_read_as_the_resolver_reads_them():
    for host in ("2130706433", "0177.0.0.1", "0x7f.1", "0x7f000001", "127.1", "0177.1"):
        assert literal_address(host) == ip_address("127.0.0.1"), host
    assert literal_address("example.com") is None and literal_address("1.2.3.4.5") is None


def test_host_patterns_are_normalised():
    assert normalise_pattern("Images.Example.COM.") == "images.example.com"
    assert normalise_pattern("*.Bücher.example") == "*.xn--bcher-kva.example"


def test_host_allow_list_matches_exact_hosts_and_subdomains():
    hosts = HostAllowList(["images.example.com", "*.cdn.example"])
    assert hosts.allows("images.example.com") and hosts.allows("a.b.cdn.example")
    assert not hosts.allows("cdn.example") and not hosts.allows("evilcdn.example")
    assert not hosts.allows("example.com") and not hosts.allows("images.example.com.evil.test")


@pytest.fixture
def sources(monkeypatch, tmp_path):
    config = settings(monkeypatch, image_hosts="images.example.com,*.cdn.example")
    made = ImageSources.from_settings(config, FileStore(tmp_path / "store"))
    yield made
    made.close()


def test_signed_urls_accept_listed_hosts_only(sources):
    sources.check_url_allowed_in_signed_url("https://images.example.com/a.png")
    sources.check_url_allowed_in_signed_url("https://x.cdn.example/a.png")
    for url in ("https://elsewhere.example/a.png", "https://images.example.com.evil.test/a.png"):
        with pytest.raises(ImageUrlRefused, match="OGS_IMAGE_HOSTS") as err:
            sources.check_url_allowed_in_signed_url(url)
        assert err.value.status == 422 and err.value.extra["reason"] == "host-not-allowed"


def test_signed_urls_still_follow_the_url_rules(sources):
    with pytest.raises(ImageUrlRefused) as err:
        sources.check_url_allowed_in_signed_url("http://images.example.com/a.png")
    assert err.value.extra["reason"] == "scheme"


def test_uploaded_ids_always_resolve_in_signed_urls(sources):
    digest = "ab" * 32
    assert sources.resolve(digest, signed=True) == digest


def test_without_image_hosts_signed_urls_name_ids_only(monkeypatch, tmp_path):
    made = ImageSources.from_settings(settings(monkeypatch), FileStore(tmp_path / "store"))
    with pytest.raises(ImageUrlRefused, match="it is empty"):
        made.resolve("https://images.example.com/a.png", signed=True)
    made.close()
