"""The HTTP layer of the workers (waitress with ogservice's limits), run in-process on a loopback socket."""

from __future__ import annotations

import json
import select
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest

from ogservice.config import load_settings
from ogservice.server.http import Listeners
from ogservice.server.limits import HttpLimits

LIMITS = HttpLimits(
    request_line=1000, header_fields=10, header_field_bytes=200, body_bytes=1000, head_seconds=1.5
)


def hello(environ, start_response):
    body = environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body) + 5))])
    return [b"hello" + body]


@pytest.fixture
def address() -> Iterator[tuple[str, int]]:
    yield from _serve(LIMITS)


def _serve(limits: HttpLimits) -> Iterator[tuple[str, int]]:
    listener = socket.create_server(("127.0.0.1", 0))
    listeners = Listeners(hello, [listener], limits)
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            listeners.poll(timeout=0.05)

    thread = threading.Thread(target=loop)
    thread.start()
    try:
        yield listener.getsockname()
    finally:
        stop.set()
        thread.join()
        listeners.close(timeout=1)
        listener.close()


def exchange(address: tuple[str, int], request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send `request` whole, read until the server closes: status, headers, body."""
    with socket.create_connection(address, timeout=10) as sock:
        sock.sendall(request)
        sock.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *fields = head.decode("latin-1").split("\r\n")
    headers = dict(field.split(": ", 1) for field in fields)
    return int(status_line.split()[1]), headers, body


def problem(address: tuple[str, int], request: bytes) -> tuple[int, dict[str, object]]:
    status, headers, body = exchange(address, request)
    assert headers["Content-Type"] == "application/problem+json", body
    document = json.loads(body)
    assert document["status"] == status
    return status, document


def test_a_request_within_the_limits_reaches_the_app(address):
    line = b"POST /x?" + b"q" * 980 + b" HTTP/1.1\r\n"  # 999 bytes with its CRLF
    fields = [b"Host: h", b"Content-Length: 4", b"Connection: close"]
    fields += [b"X-%d: %s" % (i, b"v" * 190) for i in range(7)]  # 10 fields, none over 200 bytes
    status, _, body = exchange(address, line + b"\r\n".join(fields) + b"\r\n\r\nbody")
    assert (status, body) == (200, b"hellobody")


def test_a_long_request_line_is_a_problem_414(address):
    status, document = problem(address, b"GET /x?" + b"q" * 1000 + b" HTTP/1.1\r\nHost: h\r\n\r\n")
    assert status == 414 and document["title"] == "URI too long"
    assert document["detail"] == "the request line is longer than 1000 bytes"


def test_too_many_header_fields_is_a_problem_431(address):
    fields = b"".join(b"X-%d: v\r\n" % i for i in range(11))
    status, document = problem(address, b"GET / HTTP/1.1\r\n" + fields + b"\r\n")
    assert status == 431 and document["detail"] == "more than 10 header fields"


def test_a_long_header_field_is_a_problem_431(address):
    status, document = problem(address, b"GET / HTTP/1.1\r\nX-Big: " + b"v" * 200 + b"\r\n\r\n")
    assert status == 431 and document["detail"] == "a header field over 200 bytes"


def test_a_head_past_its_total_size_is_a_problem_431(address):
    fields = b"".join(b"X-%d: %s\r\n" % (i, b"v" * 190) for i in range(200))
    status, document = problem(address, b"GET / HTTP/1.1\r\n" + fields + b"\r\n")
    assert status == 431
    assert document["detail"] == f"the request line and header fields are over {LIMITS.head_bytes} bytes"


def test_a_body_past_the_limit_is_a_problem_413_before_it_is_read(address):
    status, document = problem(address, b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5000\r\n\r\n")
    assert (status, document["detail"]) == (413, "the request body is over 1000 bytes")


def test_a_malformed_request_is_a_problem_400(address):
    assert problem(address, b"NONSENSE\r\n\r\n")[0] == 400


def test_a_refusal_reaches_a_client_still_sending_megabytes(address):
    """The server answers after 1 KB; the response must survive the 4 MB the client still sends."""
    status, _ = problem(address, b"GET /x?" + b"q" * 4_000_000 + b" HTTP/1.1\r\n\r\n")
    assert status == 414


def test_a_head_that_takes_longer_than_its_deadline_is_cut_off(address):
    with socket.create_connection(address, timeout=10) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: h\r\nX-Slow: ")
        held = trickle_until_closed(sock, limit=10)  # a byte every 0.2 s: never idle, yet too slow
    assert LIMITS.head_seconds <= held < LIMITS.head_seconds + 3


def test_a_body_slower_than_the_head_deadline_is_read_while_it_keeps_coming(address):
    """An upload over a slow link: the deadline is for the head; a body only has to keep moving."""
    with socket.create_connection(address, timeout=10) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\nConnection: close\r\n\r\n")
        for byte in b"0123456789":  # 3 s in all, twice the head deadline
            time.sleep(0.3)
            sock.sendall(bytes([byte]))
        answer = b""
        # Connection: close, so read to the end: the head and the body may arrive apart.
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200 OK") and answer.endswith(b"hello0123456789")


def trickle_until_closed(sock: socket.socket, limit: float) -> float:
    """Seconds until the server closed the connection (`limit` if it never did)."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        try:
            sock.sendall(b"v")
            if sock.recv(1, socket.MSG_DONTWAIT) == b"":
                break
        except BlockingIOError:
            pass  # open, nothing to read
        except OSError:
            break
        time.sleep(0.2)
    return time.monotonic() - started


def test_slow_clients_hold_no_thread():
    """More slow heads than threads: a complete request is still answered at once."""
    for address in _serve(replace(LIMITS, threads=2, head_seconds=30)):
        slow = [socket.create_connection(address) for _ in range(20)]
        for sock in slow:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: h\r\n")
        started = time.monotonic()
        assert exchange(address, b"GET / HTTP/1.0\r\n\r\n")[0] == 200
        assert time.monotonic() - started < 2
        for sock in slow:
            sock.close()


def test_a_unix_socket_is_served_too(tmp_path):
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(tmp_path / "ogs.sock"))
    listener.listen()
    listeners = Listeners(hello, [listener], LIMITS)
    with socket.socket(socket.AF_UNIX) as client:
        client.connect(str(tmp_path / "ogs.sock"))
        client.sendall(b"GET / HTTP/1.0\r\n\r\n")
        answer = b""
        while not answer.endswith(b"hello"):
            listeners.poll(timeout=0.05)
            answer += client.recv(65536) if _readable(client) else b""
    listeners.close(timeout=1)
    assert answer.startswith(b"HTTP/1.0 200 OK")


def _readable(sock: socket.socket) -> bool:
    return bool(select.select([sock], [], [], 0.05)[0])


def test_the_limits_follow_the_settings():
    settings = load_settings(dev=True, max_query_bytes=20_000, image_max_bytes=5 << 20)
    limits = HttpLimits.from_settings(settings)
    assert limits.request_line == 20_000 + 2048 and limits.body_bytes == (5 << 20) + 64 * 1024
    assert HttpLimits.from_settings(load_settings(dev=True, image_max_bytes=1024)).body_bytes == 256 * 1024
