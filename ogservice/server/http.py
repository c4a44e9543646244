"""waitress, with ogservice's limits and problem+json for the errors the server answers itself.

waitress reads each request on its event loop, into a buffer, and hands it to an app thread only
once it is complete: a client that sends its request slowly holds a socket, never a thread (a
gunicorn gthread worker gives each new connection a thread that blocks reading its head).
Everything here plugs into the classes waitress exposes for it (`parser_class`,
`error_task_class`, `channel_class`, `maintenance`), on TCP and Unix sockets.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from typing import Any

from waitress import wasyncore
from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser, get_header_lines
from waitress.server import TcpWSGIServer, UnixWSGIServer
from waitress.task import ErrorTask, ThreadedTaskDispatcher
from waitress.utilities import BadRequest, RequestEntityTooLarge, RequestHeaderFieldsTooLarge

from ..errors import error_for_status
from .limits import HttpLimits

WsgiApp = Callable[..., Any]
LINGER_SECONDS = 2.0


class UriTooLong(BadRequest):
    code = 414
    reason = "URI Too Long"


class LimitedAdjustments(Adjustments):  # type: ignore[misc]
    """waitress's settings plus the limits waitress has no setting for."""

    limits: HttpLimits


class LimitedParser(HTTPRequestParser):  # type: ignore[misc]
    """Refuses a long request line (414) and too many or too long header fields (431)."""

    adj: LimitedAdjustments

    def received(self, data: bytes) -> int:
        if self.body_rcv is None and not self.completed and self._line_too_long(data):
            self.parse_header(b"GET / HTTP/1.0\r\n")  # what waitress does before its own 431
            self._refuse(UriTooLong(f"the request line is longer than {self.adj.limits.request_line} bytes"))
            return len(data)
        return int(super().received(data))

    def parse_header(self, header_plus: bytes) -> None:
        super().parse_header(header_plus)
        limits = self.adj.limits
        fields = get_header_lines(header_plus.partition(b"\r\n")[2])  # as waitress splits them
        if len(fields) > limits.header_fields:
            self._refuse(RequestHeaderFieldsTooLarge(f"more than {limits.header_fields} header fields"))
        elif any(len(field) > limits.header_field_bytes for field in fields):
            too_long = f"a header field over {limits.header_field_bytes} bytes"
            self._refuse(RequestHeaderFieldsTooLarge(too_long))

    def _line_too_long(self, data: bytes) -> bool:
        if b"\n" in self.header_plus:
            return False  # the line is complete and was short enough
        head = self.header_plus + data
        end = head.find(b"\n")
        return (end if end >= 0 else len(head)) > self.adj.limits.request_line

    def _refuse(self, error: BadRequest) -> None:
        self.error, self.completed = error, True


class ProblemErrorTask(ErrorTask):  # type: ignore[misc]
    """The server's own error responses as application/problem+json, like the app's."""

    def execute(self) -> None:
        error = self.request.error
        detail = _detail(error, self.channel.adj.limits)
        problem = error_for_status(error.code, error.reason, detail).problem()
        body = json.dumps(problem).encode()
        self.status = f"{error.code} {error.reason}"
        self.response_headers.append(("Content-Type", "application/problem+json"))
        self.set_close_on_finish()
        self.channel.refused = True
        self.content_length = len(body)
        self.write(body)


def _detail(error: BadRequest, limits: HttpLimits) -> str:
    """waitress's own limit errors in the service's words; the rest as waitress says them."""
    if isinstance(error, RequestEntityTooLarge):
        return f"the request body is over {limits.body_bytes} bytes"
    if type(error) is RequestHeaderFieldsTooLarge and error.body.startswith("exceeds max_header"):
        return f"the request line and header fields are over {limits.head_bytes} bytes"
    return str(error.body)


class Channel(HTTPChannel):  # type: ignore[misc]
    """One client connection; remembers when the request it is reading began (for `head_seconds`).

    After refusing a request the server closes the connection, usually before the client has sent
    all of it; closing a socket with unread input sends a reset, which can destroy the response
    before the client reads it. So a refused connection lingers: the server stops writing and
    drops what still arrives, until the client closes or `LINGER_SECONDS` pass (nginx's
    lingering_close, gunicorn's close_graceful).
    """

    parser_class = LimitedParser
    error_task_class = ProblemErrorTask
    request_started = 0.0
    refused = False
    lingering_until: float | None = None

    def received(self, data: bytes) -> bool:
        if self.request is None and data:
            self.request_started = time.monotonic()
        return bool(super().received(data))

    def head_started_before(self, moment: float) -> bool:
        """The request being read began before `moment` and its head is not complete yet."""
        request = self.request
        return request is not None and not request.headers_finished and self.request_started < moment

    def handle_close(self) -> None:
        if self.refused and self.lingering_until is None and self.connected:
            try:
                self.socket.shutdown(socket.SHUT_WR)  # the response is out; FIN after it
            except OSError:
                return super().handle_close()
            self.lingering_until = time.monotonic() + LINGER_SECONDS
            self.will_close = self.close_when_flushed = False
            return None
        return super().handle_close()

    def readable(self) -> bool:
        return self.lingering_until is not None or bool(super().readable())

    def writable(self) -> bool:
        if self.lingering_until is not None:
            return self.will_close  # set by `Server.maintenance` when lingering is over
        return bool(super().writable())

    def handle_read(self) -> None:
        if self.lingering_until is None:
            return super().handle_read()
        try:
            self.recv(65536)  # dropped; at the client's close, `recv` calls `handle_close`
        except OSError:
            super().handle_close()
        return None


class _Limited:
    """A listening socket's server; closes connections whose head takes longer than `head_seconds`."""

    channel_class = Channel
    adj: LimitedAdjustments
    active_channels: dict[int, Channel]

    def maintenance(self, now: float) -> None:
        super().maintenance(now)  # type: ignore[misc]  # idle connections past channel_timeout
        now = time.monotonic()
        late = now - self.adj.limits.head_seconds
        for channel in self.active_channels.values():
            lingered = channel.lingering_until is not None and channel.lingering_until < now
            if lingered or channel.head_started_before(late):
                channel.will_close = True


class TcpServer(_Limited, TcpWSGIServer):  # type: ignore[misc]
    pass


class UnixServer(_Limited, UnixWSGIServer):  # type: ignore[misc]
    pass


class Listeners:
    """waitress on sockets that are already listening: one event loop and one thread pool."""

    def __init__(self, app: WsgiApp, sockets: list[socket.socket], limits: HttpLimits) -> None:
        self.map: dict[int, Any] = {}
        self.dispatcher = ThreadedTaskDispatcher()
        self.dispatcher.set_thread_count(limits.threads)
        adj = adjustments(limits)
        self.servers = [
            (UnixServer if sock.family == socket.AF_UNIX else TcpServer)(
                app, self.map, _sock=sock, dispatcher=self.dispatcher, adj=adj, bind_socket=False,
                sockinfo=(sock.family, sock.type, sock.proto, sock.getsockname()),
            )
            for sock in sockets
        ]

    def poll(self, timeout: float) -> None:
        """One round of the event loop: accept, read, hand complete requests over, write."""
        wasyncore.loop(timeout=timeout, map=self.map, use_poll=True, count=1)

    def stop_accepting(self) -> None:
        for server in self.servers:
            server.accepting = False
            server.del_channel()  # the socket itself belongs to gunicorn's master

    def busy(self) -> bool:
        """A request is being run or its response written (one still arriving does not count)."""
        channels = (c for server in self.servers for c in server.active_channels.values())
        return any(c.requests or c.total_outbufs_len for c in channels)

    def close(self, timeout: float) -> None:
        self.dispatcher.shutdown(cancel_pending=False, timeout=timeout)
        wasyncore.close_all(self.map)


def adjustments(limits: HttpLimits) -> LimitedAdjustments:
    adj = LimitedAdjustments(
        threads=limits.threads,
        connection_limit=limits.connections,
        channel_timeout=limits.idle_seconds,
        cleanup_interval=1,  # how often `Server.maintenance` runs
        max_request_header_size=limits.head_bytes,
        max_request_body_size=limits.body_bytes,
        backlog=2048,  # gunicorn's, which waitress would lower when it listens again
        asyncore_use_poll=True,  # select() cannot watch descriptors past 1023
        ident="ogservice",
    )
    adj.limits = limits
    return adj
