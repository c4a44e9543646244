"""A real server process on a loopback port, and slow clients to hold against it (benchmarks, tests)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Served:
    base_url: str
    process: subprocess.Popen[bytes]  # its returncode is set once the context is left


@contextmanager
def server_process(
    command: Callable[[int], list[str]], env: dict[str, str], attempts: int = 3
) -> Iterator[Served]:
    """Run `command(port)` until /healthz answers; yields it, stops it (SIGTERM) on exit.

    The port is found free, then released for the server to bind: another process may take it
    in between, so a server that exits before answering is started again on another port.
    """
    for _ in range(attempts):
        port = free_port()
        with tempfile.TemporaryFile() as log:  # a pipe nobody reads would block the server when full
            process = subprocess.Popen(command(port), env=env, stdout=subprocess.DEVNULL, stderr=log)
            try:
                if _wait_healthy(process, f"http://{HOST}:{port}"):
                    yield Served(f"http://{HOST}:{port}", process)
                    return
            finally:
                process.terminate()
                process.wait(timeout=30)
            log.seek(0)
            stderr = log.read()[-2000:].decode(errors="replace")
    raise RuntimeError(f"server did not come up: {stderr}")


def ogservice_env(data_dir: Path, **settings: str) -> dict[str, str]:
    """The environment of a dev-mode `ogservice serve` writing under `data_dir`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OGS_")}
    chosen = {f"OGS_{name.upper()}": value for name, value in settings.items()}
    return {**env, "OGS_DEV": "1", "OGS_DATA_DIR": str(data_dir), **chosen}


def ogservice_serve(workers: int = 2) -> Callable[[int], list[str]]:
    """The command of `ogservice serve` on a given port."""
    return lambda port: [sys.executable, "-m", "ogservice.cli", "serve", f"--port={port}",
                         f"--workers={workers}"]


def _wait_healthy(process: subprocess.Popen[bytes], base_url: str, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            urllib.request.urlopen(f"{base_url}/healthz", timeout=2).read()
            return True
        except OSError:
            time.sleep(0.2)
    return False


class SlowClients:
    """`count` connections sending a request head one byte per `interval` seconds (slowloris).

    A connection the server closes is opened again, so `count` stay held; `reopened` counts them.
    """

    HEAD = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "

    def __init__(self, base_url: str, count: int, interval: float = 2.0) -> None:
        host, port = base_url.removeprefix("http://").rsplit(":", 1)
        self.address = (host, int(port))
        self.count, self.interval = count, interval
        self.reopened = 0
        self._sockets: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._trickle, daemon=True)

    def __enter__(self) -> SlowClients:
        self._sockets = [self._open() for _ in range(self.count)]
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        for sock in self._sockets:
            sock.close()

    def _open(self) -> socket.socket:
        sock = socket.create_connection(self.address, timeout=5)
        sock.sendall(self.HEAD)
        return sock

    def _trickle(self) -> None:
        while not self._stop.wait(self.interval):
            for i, sock in enumerate(self._sockets):
                try:
                    sock.sendall(b"a")
                except OSError:  # closed by the server (its read deadline): hold another one
                    sock.close()
                    self._sockets[i] = self._open()
                    self.reopened += 1
