"""SSRF-safe fetching of an image URL: checked URL, checked addresses, pinned connection, capped body.

    check the URL (policy.py) -> resolve its host once -> refuse if ANY address is not public
      -> connect only to those addresses (transport.py) -> GET, no redirect followed by the client
      -> a redirect: check its URL and addresses the same way (at most policy.max_redirects)
      -> 200: stream the body, stopping at max_bytes (a Content-Length over it stops it at once)

One deadline covers DNS, every hop, connect, TLS and each read. Errors leave as the service's own
classes (errors.py): nothing from httpcore or socket escapes. Whether the bytes are an image is
decided later by decoding them (decode.py), never by Content-Type.
"""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from ipaddress import ip_address

import httpcore
import httpx

from ..errors import BadGateway, GatewayTimeout, ImageTooLarge, ImageUrlFailed, ImageUrlRefused
from .addresses import IPAddress, literal_address
from .policy import FetchPolicy, Target
from .transport import Deadline, PinnedBackend

Resolver = Callable[[str, int], Sequence[str]]  # host, port -> addresses, as getaddrinfo would answer
REDIRECTS = frozenset({301, 302, 303, 307, 308})
_HEADERS = [
    (b"User-Agent", b"ogservice-image-fetch/1"),
    (b"Accept", b"image/avif,image/webp,image/png,image/jpeg,image/gif;q=0.9,*/*;q=0.1"),
    (b"Accept-Encoding", b"identity"),  # a compressed body would hide its real size until decoded
]
_NO_SUCH_NAME = {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}


def system_resolver(host: str, port: int) -> list[str]:
    """The host's addresses from getaddrinfo, in its order of preference, without duplicates."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_ADDRCONFIG)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class Fetcher:
    """Fetches image URLs under a FetchPolicy; one per app (it owns the DNS lookup threads)."""

    def __init__(
        self,
        policy: FetchPolicy,
        *,
        max_bytes: int,
        timeout_s: float,
        resolver: Resolver = system_resolver,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.policy = policy
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s
        self._resolver = resolver
        self._ssl = ssl_context or httpx.create_ssl_context()
        # getaddrinfo has no timeout of its own: it runs here so the deadline can stop waiting for it.
        self._dns = ThreadPoolExecutor(max_workers=4, thread_name_prefix="ogs-dns")

    def fetch(self, url: str, deadline: float | None = None) -> bytes:
        """The body the URL answers with, following at most policy.max_redirects checked redirects."""
        own = time.monotonic() + self.timeout_s
        clock = Deadline(min(own, deadline) if deadline is not None else own)
        target = self.policy.check_url(url)
        for _ in range(self.policy.max_redirects + 1):
            answer = self._get(target, self._addresses(target, clock), clock)
            if isinstance(answer, bytes):
                return answer
            target = self.policy.check_url(_join(target, answer))
        raise ImageUrlRefused(
            f"image URL refused: more than {self.policy.max_redirects} redirects", reason="redirects"
        )

    def close(self) -> None:
        self._dns.shutdown(wait=False, cancel_futures=True)

    def _addresses(self, target: Target, clock: Deadline) -> tuple[IPAddress, ...]:
        """Every address the host stands for, each checked: one refused address refuses them all."""
        literal = literal_address(target.host)
        addresses = (literal,) if literal else self._resolve(target, clock)
        for address in addresses:
            self.policy.check_address(target, address, literal=literal is not None)
        return addresses

    def _resolve(self, target: Target, clock: Deadline) -> tuple[IPAddress, ...]:
        lookup = self._dns.submit(self._resolver, target.host, target.port)
        try:
            found = lookup.result(timeout=clock.left(httpcore.ConnectTimeout))
            addresses = tuple(ip_address(a) for a in found)
        except (FutureTimeout, httpcore.TimeoutException):
            raise GatewayTimeout(f"the DNS lookup of {target.host} did not finish in time") from None
        except socket.gaierror as exc:
            if exc.errno in _NO_SUCH_NAME:
                raise ImageUrlFailed(
                    f"the image URL's host {target.host} does not exist", reason="dns"
                ) from None
            raise BadGateway(f"the DNS lookup of {target.host} failed ({exc.strerror})") from None
        except (OSError, ValueError, UnicodeError) as exc:
            raise BadGateway(f"the DNS lookup of {target.host} failed ({type(exc).__name__})") from None
        if not addresses:
            raise ImageUrlFailed(f"the image URL's host {target.host} has no address", reason="dns")
        return addresses

    def post(self, url: str, body: bytes, headers: Sequence[tuple[bytes, bytes]]) -> int:
        """POST `body` to `url` under the same checks as a fetch (no redirect is followed); the
        answer's status. Sends webhook callbacks: their URLs come from users, like image URLs."""
        clock = Deadline(time.monotonic() + self.timeout_s)
        target = self.policy.check_url(url)
        addresses = self._addresses(target, clock)
        sent = [(b"Host", target.host_header()), (b"Content-Length", str(len(body)).encode()), *headers]
        with _upstream_errors(target.host), self._pool(target, addresses, clock) as pool:
            return pool.request("POST", _wire_url(target), headers=sent, content=body).status

    def _get(self, target: Target, addresses: Sequence[IPAddress], clock: Deadline) -> bytes | str:
        """The body of a 200, or the Location of a redirect; one fresh connection, to a checked address."""
        headers = [(b"Host", target.host_header()), *_HEADERS]
        with (
            _upstream_errors(target.host),
            self._pool(target, addresses, clock) as pool,
            pool.stream("GET", _wire_url(target), headers=headers) as response,
        ):
            return self._answer(target, response)

    def _pool(
        self, target: Target, addresses: Sequence[IPAddress], clock: Deadline
    ) -> httpcore.ConnectionPool:
        """One fresh connection, only to the checked addresses, within the deadline."""
        backend = PinnedBackend({(target.host, target.port): addresses}, clock)
        return httpcore.ConnectionPool(ssl_context=self._ssl, network_backend=backend, max_connections=1)

    def _answer(self, target: Target, response: httpcore.Response) -> bytes | str:
        status = response.status
        if status == 200:
            return self._body(target, response)
        location = _header(response, b"location")
        if status in REDIRECTS and location:
            return location
        if 400 <= status < 500:
            raise ImageUrlFailed(
                f"the image URL answered HTTP {status}", reason="status", upstream_status=status
            )
        raise BadGateway(f"the image host {target.host} answered HTTP {status}", upstream_status=status)

    def _body(self, target: Target, response: httpcore.Response) -> bytes:
        encoding = _header(response, b"content-encoding")
        if encoding and encoding.lower() != "identity":
            raise BadGateway(
                f"the image host {target.host} sent a {encoding[:20]} body; identity was asked for"
            )
        length = _header(response, b"content-length")
        if length and length.isdigit() and int(length) > self.max_bytes:
            raise self._too_large(f"{int(length)} bytes")
        body = bytearray()
        for chunk in response.iter_stream():  # a missing or lying Content-Length is caught here
            body += chunk
            if len(body) > self.max_bytes:
                raise self._too_large(f"more than {self.max_bytes} bytes")
        return bytes(body)

    def _too_large(self, size: str) -> ImageTooLarge:
        return ImageTooLarge(
            f"the image at the URL is {size}; the limit is {self.max_bytes} (OGS_IMAGE_MAX_BYTES)"
        )


def _wire_url(target: Target) -> httpcore.URL:
    return httpcore.URL(
        scheme=target.url.raw_scheme, host=target.host.encode("ascii"), port=target.port,
        target=target.url.raw_path,
    )  # fmt: skip


def _join(target: Target, location: str) -> httpx.URL | str:
    try:
        return target.url.join(location)
    except httpx.InvalidURL:
        return location  # check_url refuses it with its reason


def _header(response: httpcore.Response, name: bytes) -> str:
    value = next((v for k, v in response.headers if k.lower() == name), b"")
    return value.decode("latin-1").strip()


@contextmanager
def _upstream_errors(host: str) -> Iterator[None]:
    """httpcore's exceptions as the service's own; a failing image host is a 502, a slow one a 504."""
    try:
        yield
    except httpcore.TimeoutException:
        raise GatewayTimeout(f"the image host {host} did not answer within the deadline") from None
    except httpcore.ConnectError as exc:
        tls = isinstance(exc.__cause__ or exc.__context__, ssl.SSLError)
        raise BadGateway(
            f"fetching the image from {host}: {'TLS failed' if tls else 'could not connect'}"
        ) from None
    except (httpcore.NetworkError, httpcore.ProtocolError):
        raise BadGateway(
            f"fetching the image from {host}: the connection broke or the answer was bad"
        ) from None
