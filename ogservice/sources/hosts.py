"""OGS_IMAGE_HOSTS: the hosts an image URL inside a signed GET URL may name.

A signed /og URL is crawler-facing: it sits in pages for anyone to fetch, again and again, so the
images it can make the service fetch are limited to hosts the operator lists. `example.com` allows
that host only, `*.example.com` any of its subdomains (not example.com itself). Hosts compare in
their IDNA (punycode) form, lower case, without a trailing dot, the way a fetch sees them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import httpx

# Host names as a resolver sees them after IDNA: letters, digits, '-' and '_' in dot-separated
# labels. Anything else (percent-escapes, spaces) is a host no browser sends and no resolver should see.
HOST_NAME = re.compile(r"^[a-z0-9_-]+(\.[a-z0-9_-]+)*$")


def normalise_pattern(entry: str) -> str:
    """'*.Bücher.example.' -> '*.xn--bcher-kva.example'; ValueError for anything but a host name."""
    wildcard = entry.startswith("*.")
    name = entry.removeprefix("*.")
    try:
        url = httpx.URL(f"https://{name}/")
    except httpx.InvalidURL:
        url = None
    host = url.raw_host.decode("ascii").removesuffix(".") if url else ""
    if (
        url is None
        or url.port is not None
        or url.userinfo
        or url.raw_path != b"/"
        or not HOST_NAME.match(host)
    ):
        raise ValueError(f"{entry!r} is not a host name (e.g. images.example.com or *.example.com)")
    return ("*." if wildcard else "") + host


class HostAllowList:
    """Matches hosts (as policy.Target.host gives them) against normalised patterns."""

    def __init__(self, patterns: Iterable[str]) -> None:
        normalised = [normalise_pattern(p) for p in patterns]
        self._exact = frozenset(p for p in normalised if not p.startswith("*."))
        self._suffixes = tuple(p[1:] for p in normalised if p.startswith("*."))  # ".example.com"

    def __bool__(self) -> bool:
        return bool(self._exact or self._suffixes)

    def allows(self, host: str) -> bool:
        return host in self._exact or host.endswith(self._suffixes)
