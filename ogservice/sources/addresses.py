"""Which IP addresses an image fetch may connect to, and how numeric host names really parse.

Only public unicast addresses pass. The ranges are listed here rather than taken from
`ipaddress.is_global`, whose answers changed between Python releases (IPv4-mapped IPv6 was judged
by its IPv6 form until 3.11.10/3.12.4). IPv6 must be global unicast (2000::/3); the only exception
is the well-known NAT64 prefix, judged by the IPv4 address it embeds, as 6to4 addresses are.
"""

from __future__ import annotations

import socket
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_network

IPAddress = IPv4Address | IPv6Address


def _table(*rows: tuple[str, str]) -> tuple[tuple[IPv4Network | IPv6Network, str], ...]:
    return tuple((ip_network(net), reason) for net, reason in rows)


# (range, why it is refused); the first match names the reason.
_V4_REFUSED = _table(
    ("0.0.0.0/8", "unspecified"),  # "this network": Linux connects 0.0.0.0 to the local host
    ("10.0.0.0/8", "private"),
    ("100.64.0.0/10", "shared (CGNAT)"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local"),  # cloud metadata services live at 169.254.169.254
    ("172.16.0.0/12", "private"),
    ("192.0.0.0/24", "reserved"),
    ("192.0.2.0/24", "documentation"),
    ("192.88.99.0/24", "reserved"),  # the retired 6to4 relay anycast
    ("192.168.0.0/16", "private"),
    ("198.18.0.0/15", "benchmarking"),
    ("198.51.100.0/24", "documentation"),
    ("203.0.113.0/24", "documentation"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved"),  # includes the broadcast address 255.255.255.255
)
_V6_REFUSED = _table(
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("::ffff:0:0/96", "IPv4-mapped"),
    ("::/96", "IPv4-compatible"),
    ("64:ff9b:1::/48", "private"),  # local-use NAT64
    ("2001::/23", "reserved"),  # IETF protocol assignments, Teredo (2001::/32) and benchmarking
    ("2001:db8::/32", "documentation"),
    ("3fff::/20", "documentation"),
    ("fc00::/7", "private"),
    ("fe80::/10", "link-local"),
    ("fec0::/10", "site-local"),
    ("ff00::/8", "multicast"),
)
_V6_GLOBAL_UNICAST = IPv6Network("2000::/3")
_NAT64 = IPv6Network("64:ff9b::/96")
# Never a real DNS answer: refused, and named by the IPv4 address they carry.
_V4_CARRIERS = ("IPv4-mapped", "IPv4-compatible")
_6TO4 = IPv6Network("2002::/16")


def refusal(address: IPAddress) -> str | None:
    """Why a fetch must not connect to `address` ("loopback", "private", ...), or None if it is public."""
    if isinstance(address, IPv4Address):
        return _listed(address, _V4_REFUSED)
    if address.scope_id:
        return "link-local"  # a zone index only means something on a local link
    if address in _NAT64 or address in _6TO4:
        inner = refusal(_embedded_v4(address))  # the connection ends up at the embedded address
        return f"{inner} (embedded in IPv6)" if inner else None
    reason = _listed(address, _V6_REFUSED)
    if reason in _V4_CARRIERS:
        inner = _listed(_embedded_v4(address), _V4_REFUSED)
        return f"{inner} ({reason} IPv6)" if inner else reason
    if reason:
        return reason
    return None if address in _V6_GLOBAL_UNICAST else "reserved"


def _listed(address: IPAddress, table: tuple[tuple[IPv4Network | IPv6Network, str], ...]) -> str | None:
    return next((reason for net, reason in table if address in net), None)


def _embedded_v4(address: IPv6Address) -> IPv4Address:
    """The IPv4 address in a 6to4 address's second and third groups, or in any other's low 32 bits."""
    return address.sixtofour or IPv4Address(address.packed[-4:])


def literal_address(host: str) -> IPAddress | None:
    """The address a host names without DNS, read the way the system resolver reads it.

    getaddrinfo hands an IPv4-looking host to inet_aton, which also accepts decimal (2130706433),
    octal (0177.0.0.1), hex (0x7f.1) and short (127.1) forms: all are 127.0.0.1 to the resolver,
    so all must be judged as 127.0.0.1 here. Raises ValueError for a malformed IPv6 literal.
    """
    if ":" in host:
        return IPv6Address(host)
    try:
        return IPv4Address(socket.inet_aton(host))
    except OSError:
        return None
