"""The fetch policy: which image URLs may be fetched, and which addresses a fetch may connect to.

A URL is checked before anything touches the network (scheme, userinfo, host syntax, port); every
address its host resolves to is checked before a connection is made (`check_address`), and a fetch
connects only to an address that passed (transport.py). Redirects are checked the same way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from ipaddress import IPv6Address

import httpx

from ..config import Settings
from ..errors import ImageUrlRefused
from .addresses import IPAddress, refusal
from .hosts import HOST_NAME

log = logging.getLogger(__name__)

MAX_URL_CHARS = 2048
_DEFAULT_PORTS = {"https": 443, "http": 80}


@dataclass(frozen=True)
class Target:
    """A URL that passed the static checks: its host (no trailing dot) and port are what we connect to."""

    url: httpx.URL
    host: str
    port: int

    def host_header(self) -> bytes:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = _DEFAULT_PORTS[self.url.scheme]
        return (host if self.port == default else f"{host}:{self.port}").encode("ascii")


@dataclass(frozen=True)
class FetchPolicy:
    """What a fetch may do. `exempt` lets tests reach exact non-public (address, port) pairs, such
    as a loopback test server; no setting fills it, so a deployment only ever reaches public ones."""

    allow_http: bool = False
    extra_ports: frozenset[int] = frozenset()
    max_redirects: int = 3
    exempt: frozenset[tuple[IPAddress, int]] = frozenset()

    @classmethod
    def from_settings(cls, settings: Settings) -> FetchPolicy:
        return cls(
            allow_http=settings.image_fetch_allow_http, extra_ports=frozenset(settings.image_fetch_ports)
        )

    def ports(self) -> frozenset[int]:
        return frozenset({443, *([80] if self.allow_http else []), *self.extra_ports})

    def check_url(self, url: str | httpx.URL) -> Target:
        """The URL's target, or ImageUrlRefused saying which rule it breaks."""
        parsed = _parse(url)
        schemes = ("https", "http") if self.allow_http else ("https",)
        if parsed.scheme not in schemes:
            raise _refused("scheme", f"only {' and '.join(schemes)} URLs are fetched, not {parsed.scheme!r}")
        if parsed.userinfo:
            raise _refused("userinfo", "URLs with a user name or password are not fetched")
        host = _checked_host(parsed)
        port = _DEFAULT_PORTS[parsed.scheme] if parsed.port is None else parsed.port  # port 0 is not "none"
        if port not in self.ports():
            allowed = ", ".join(str(p) for p in sorted(self.ports()))
            raise _refused(
                "port", f"port {port} is not fetched (allowed: {allowed}; see OGS_IMAGE_FETCH_PORTS)"
            )
        return Target(parsed, host, port)

    def check_address(self, target: Target, address: IPAddress, *, literal: bool) -> None:
        """Refuse an address that is not public unless exactly this (address, port) is exempt."""
        if (address, target.port) in self.exempt:
            return
        reason = refusal(address)
        if reason:
            # The address is logged, never answered: a client must not learn internal addresses.
            log.info("image fetch refused: %s:%d is %s (%s)", target.host, target.port, address, reason)
            verb = "is" if literal else "resolves to"
            raise _refused(
                "address", f"{target.host} {verb} a {reason} address; only public addresses are fetched"
            )


def _parse(url: str | httpx.URL) -> httpx.URL:
    length = len(str(url))
    if length > MAX_URL_CHARS:
        raise _refused("url", f"the URL is {length} characters long; the limit is {MAX_URL_CHARS}")
    try:
        return url if isinstance(url, httpx.URL) else httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise _refused("url", f"not a valid URL ({exc})") from None


def _checked_host(url: httpx.URL) -> str:
    host = url.raw_host.decode("ascii").removesuffix(".")
    if _ipv6_literal(host) or (len(host) <= 253 and HOST_NAME.match(host)):
        return host
    raise _refused("host", f"{host[:100]!r} is not a host name or IP address that can be fetched")


def _ipv6_literal(host: str) -> bool:
    """A valid IPv6 address without a zone index ("fe80::1%eth0" names an address on a local link only)."""
    try:
        return ":" in host and not IPv6Address(host).scope_id
    except ValueError:
        return False


def _refused(reason: str, detail: str) -> ImageUrlRefused:
    return ImageUrlRefused(f"image URL refused: {detail}", reason=reason)
