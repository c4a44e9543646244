"""The wire under an image fetch: connections go only to checked addresses, within one deadline.

httpx.HTTPTransport resolves host names itself when it connects, so a name that resolved to a
public address when it was checked could resolve to 127.0.0.1 a moment later (DNS rebinding).
Its transport layer, httpcore, takes a network backend: `PinnedBackend` is one that never resolves
a name. It connects a (host, port) only to the addresses the policy checked for it, and refuses any
other; TLS still verifies the certificate against the host name (SNI), because httpcore hands
start_tls the URL's host, not the address. The same idea as imgproxy's dialer Control hook and the
Python library advocate, which check the address the socket is about to connect to.

`DeadlineStream` makes every connect, read and write wait at most until the fetch's deadline, so
a host that trickles one byte a second cannot stretch a fetch past it.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import httpcore

from .addresses import IPAddress


class Deadline:
    """A point in time (time.monotonic) that every network wait of one fetch shares."""

    def __init__(self, at: float) -> None:
        self.at = at

    def left(self, timeout: type[httpcore.TimeoutException]) -> float:
        """Seconds left; raises `timeout` when none are."""
        remaining = self.at - time.monotonic()
        if remaining <= 0:
            raise timeout("the fetch's deadline passed")
        return remaining


class DeadlineStream(httpcore.NetworkStream):
    """A network stream whose every wait ends at the deadline, whatever timeout httpcore asks for."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: Deadline) -> None:
        self._inner = inner
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._deadline.left(httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._deadline.left(httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        tls = self._inner.start_tls(
            ssl_context, server_hostname, self._deadline.left(httpcore.ConnectTimeout)
        )
        return DeadlineStream(tls, self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class PinnedBackend(httpcore.NetworkBackend):
    """Connects (host, port) only to the addresses checked for it, in their order; never resolves."""

    def __init__(
        self,
        pins: Mapping[tuple[str, int], Sequence[IPAddress]],
        deadline: Deadline,
        inner: httpcore.NetworkBackend | None = None,
    ) -> None:
        self._pins = pins
        self._deadline = deadline
        self._inner = inner or httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = self._pins.get((host, port))
        if not addresses:
            raise httpcore.ConnectError(f"{host}:{port} was not checked; not connecting")
        failure = httpcore.ConnectError("no address to connect to")
        for address in addresses:  # all were checked; the next one is tried only if one fails
            try:
                stream = self._inner.connect_tcp(
                    str(address), port, self._deadline.left(httpcore.ConnectTimeout), None, socket_options
                )
            except httpcore.ConnectError as exc:
                failure = exc
                continue
            return DeadlineStream(stream, self._deadline)
        raise failure

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("image fetches never use unix sockets")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)
