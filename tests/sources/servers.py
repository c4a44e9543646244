"""Loopback servers for the fetch tests: an HTTPS image host that records who reached it and how,
a bare listener that records any connection at all, and an audit hook that sees every connect()."""

from __future__ import annotations

import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

Route = Callable[[BaseHTTPRequestHandler], None]


def make_cert(folder: Path, names: list[str]) -> tuple[Path, Path]:
    """A self-signed certificate (also its own CA) for `names`; (cert, key)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    san = ",".join(f"DNS:{n}" for n in names)
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", f"/CN={names[0]}",
         "-addext", f"subjectAltName={san}"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@dataclass
class Seen:
    """One request the image host answered: who connected, the SNI name and Host header it sent."""

    peer: str
    sni: str | None
    host: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)


class ImageHost:
    """HTTPS on 127.0.0.1:<free port>; `routes` maps a path to a function writing the answer."""

    def __init__(self, cert: Path, key: Path, address: str = "127.0.0.1") -> None:
        self.routes: dict[str, Route] = {}
        self.seen: list[Seen] = []
        self._sni = threading.local()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        context.sni_callback = self._record_sni
        self._server = ThreadingHTTPServer((address, 0), self._handler_class())
        self._server.daemon_threads = True
        self._server.socket = context.wrap_socket(
            self._server.socket, server_side=True, do_handshake_on_connect=False
        )
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _record_sni(self, sslobj: ssl.SSLObject, name: str | None, context: ssl.SSLContext) -> None:
        self._sni.name = name

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                assert isinstance(self.connection, ssl.SSLSocket)
                sni = getattr(host._sni, "name", None)
                headers = {k.lower(): v for k, v in self.headers.items()}
                host.seen.append(
                    Seen(self.client_address[0], sni, headers.get("host", ""), self.path, headers)
                )
                route = host.routes.get(self.path.split("?")[0])
                if route is None:
                    send(self, 404, b"no such path")
                    return
                try:
                    route(self)
                except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                    pass  # the client stopped reading, as it should at its caps

            def handle(self) -> None:
                try:
                    self.connection.do_handshake()
                except (ssl.SSLError, OSError):
                    return  # a client that did not trust us, or left
                super().handle()

            def log_message(self, *args: object) -> None:
                pass

        return Handler


def send(
    handler: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict[str, str] | None = None
) -> None:
    handler.send_response(status)
    headers = {"Content-Length": str(len(body)), **(headers or {})}
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(body)


def serve(body: bytes, status: int = 200, **headers: str) -> Route:
    return lambda h: send(h, status, body, {k.replace("_", "-"): v for k, v in headers.items()})


def redirect(location: str, status: int = 302) -> Route:
    return lambda h: send(h, status, b"", {"Location": location})


def chunked(chunk: bytes, count: int) -> Route:
    """A body with no Content-Length: `count` chunks of `chunk`, written until the client leaves."""

    def route(h: BaseHTTPRequestHandler) -> None:
        h.protocol_version = "HTTP/1.1"
        h.send_response(200)
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        for _ in range(count):
            h.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        h.wfile.write(b"0\r\n\r\n")

    return route


def lying_length(claimed: int, actual: bytes) -> Route:
    """Content-Length says `claimed`; the body is `actual`, whatever its length."""

    def route(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(claimed))
        h.end_headers()
        h.wfile.write(actual)

    return route


def trickle(body: bytes, every_s: float) -> Route:
    """One byte of `body` every `every_s` seconds: each read is quick, the whole is slow."""

    def route(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        for i in range(len(body)):
            h.wfile.write(body[i : i + 1])
            h.wfile.flush()
            time.sleep(every_s)

    return route


class Listener:
    """Plain TCP listeners on one port of 127.0.0.1 and ::1 that only record connections."""

    def __init__(self, addresses: tuple[str, ...] = ("127.0.0.1", "::1"), port: int = 0) -> None:
        self.sockets: list[socket.socket] = []
        for address in addresses:
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.bind((address, port))
            sock.listen(16)
            sock.setblocking(False)
            port = sock.getsockname()[1]
            self.sockets.append(sock)
        self.port = port

    def accepted(self) -> list[str]:
        """Every connection made to the listeners so far (the kernel queues them until accepted)."""
        peers = []
        for sock in self.sockets:
            while True:
                try:
                    conn, peer = sock.accept()
                except BlockingIOError:
                    break
                peers.append(peer[0])
                conn.close()
        return peers

    def close(self) -> None:
        for sock in self.sockets:
            sock.close()


class ConnectAudit:
    """Every socket.connect() made by the arming thread, seen through a (permanent) audit hook."""

    _armed: dict[int, list[tuple[object, ...]]] = {}
    _installed = False

    @classmethod
    def arm(cls) -> list[tuple[object, ...]]:
        if not cls._installed:
            sys.addaudithook(cls._hook)
            cls._installed = True
        return cls._armed.setdefault(threading.get_ident(), [])

    @classmethod
    def disarm(cls) -> None:
        cls._armed.pop(threading.get_ident(), None)

    @classmethod
    def _hook(cls, event: str, args: tuple[object, ...]) -> None:
        if event == "socket.connect" and (log := cls._armed.get(threading.get_ident())) is not None:
            address = args[1]
            log.append(tuple(address[:2]) if isinstance(address, tuple) else (address,))
