"""Fixtures for image-source tests: a trusted HTTPS image host on loopback, a connection recorder,
an injectable resolver, and fetchers whose policy exempts exactly the image host's address."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable, Iterator
from ipaddress import ip_address
from pathlib import Path

import pytest

from ogservice.sources.fetch import Fetcher
from ogservice.sources.policy import FetchPolicy

from .servers import ConnectAudit, ImageHost, Listener, make_cert

HOST_NAMES = ["img.test", "other.test", "*.img.test"]


class FakeResolver:
    """Answers from a table (a list, or a list of lists answered in turn); records every lookup."""

    def __init__(self) -> None:
        self.table: dict[str, list[str] | list[list[str]]] = {}
        self.calls: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        answers = self.table.get(host)
        if answers is None:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        if answers and isinstance(answers[0], list):
            turn = sum(1 for c in self.calls if c == host) - 1
            return list(answers[min(turn, len(answers) - 1)])
        return list(answers)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_cert(tmp_path_factory.mktemp("tls"), HOST_NAMES)


@pytest.fixture
def client_tls(cert: tuple[Path, Path]) -> ssl.SSLContext:
    """Trusts the test certificate only (hostname checking on, as in production)."""
    return ssl.create_default_context(cafile=str(cert[0]))


@pytest.fixture
def image_host(cert: tuple[Path, Path]) -> Iterator[ImageHost]:
    host = ImageHost(*cert)
    yield host
    host.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    recorder = Listener()
    yield recorder
    recorder.close()


@pytest.fixture
def connections() -> Iterator[list[tuple[object, ...]]]:
    """Every connect() this test's thread makes."""
    yield ConnectAudit.arm()
    ConnectAudit.disarm()


@pytest.fixture
def resolver(image_host: ImageHost) -> FakeResolver:
    fake = FakeResolver()
    fake.table["img.test"] = ["127.0.0.1"]
    return fake


def exempt_policy(image_host: ImageHost, **overrides: object) -> FetchPolicy:
    """The production rules, except that exactly 127.0.0.1:<image host port> may be reached."""
    options: dict[str, object] = {
        "extra_ports": frozenset({image_host.port}),
        "exempt": frozenset({(ip_address("127.0.0.1"), image_host.port)}),
    }
    options.update(overrides)
    return FetchPolicy(**options)  # type: ignore[arg-type]


@pytest.fixture
def make_fetcher(
    image_host: ImageHost, resolver: FakeResolver, client_tls: ssl.SSLContext
) -> Iterator[Callable[..., Fetcher]]:
    made: list[Fetcher] = []

    def make(
        policy: FetchPolicy | None = None,
        max_bytes: int = 1 << 20,
        timeout_s: float = 5.0,
        resolve: Callable[[str, int], list[str]] | None = None,
    ) -> Fetcher:
        fetcher = Fetcher(
            policy or exempt_policy(image_host),
            max_bytes=max_bytes,
            timeout_s=timeout_s,
            resolver=resolve or resolver,
            ssl_context=client_tls,
        )
        made.append(fetcher)
        return fetcher

    yield make
    for fetcher in made:
        fetcher.close()
