"""AI-layer fixtures: vendor emulators on loopback, real Redis under a test prefix, real worker processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from ogservice.config import Settings, load_settings
from tests.emulators.fal import FalEmulator
from tests.emulators.ideogram import IdeogramEmulator

ROOT = Path(__file__).resolve().parents[2]
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class SlowPosts:
    """WSGI middleware: the answer to every POST (a generation call) is held back `seconds`; the
    emulator has logged the call by then, so a test sees it arrive. Tests change `seconds`."""

    def __init__(self, app: WsgiApp, seconds: float = 0.0) -> None:
        self.app, self.seconds = app, seconds

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        delay = self.seconds if environ.get("REQUEST_METHOD") == "POST" else 0.0
        answer = self.app(environ, start_response)
        time.sleep(delay)
        return answer


def fal_submits(emulator: FalEmulator) -> int:
    """Model calls the fal emulator received: submits (status polls and results are under /requests/)."""
    return sum(1 for r in list(emulator.requests) if "/requests/" not in r["path"])


@contextmanager
def on_loopback(emulator: Any) -> Iterator[Any]:
    """Serve an emulator on loopback; its POSTs can be slowed through `emulator.slow.seconds`."""
    emulator.slow = SlowPosts(emulator.app.wsgi_app)
    emulator.app.wsgi_app = emulator.slow
    with emulator.serve():
        yield emulator


@pytest.fixture
def fal() -> Iterator[FalEmulator]:
    """fal's queue API (flux-schnell: the first background model the shipped rules can reach)."""
    with on_loopback(FalEmulator()) as emulator:
        yield emulator


@pytest.fixture
def ideogram() -> Iterator[IdeogramEmulator]:
    """Ideogram (ideogram-v3, the text specialist; it letters the prompt's quoted text)."""
    with on_loopback(IdeogramEmulator()) as emulator:
        yield emulator


@pytest.fixture
def rq_clean(redis_client: redis.Redis, redis_prefix: str) -> Iterator[None]:
    """Delete RQ's keys for this test's queue and jobs (their names carry the prefix's token)."""
    yield
    token = redis_prefix.split(":")[1]
    for key in redis_client.scan_iter(match=f"rq:*{token}*", count=500):
        redis_client.delete(key)
    redis_client.srem("rq:queues", f"rq:queue:{redis_prefix}layers")


@pytest.fixture
def base_env(tmp_path: Path, redis_prefix: str, rq_clean: None) -> dict[str, str]:
    """OGS_* settings shared by the test's app, server and worker processes (no vendor yet)."""
    return {
        "OGS_DEV": "1",
        "OGS_DATA_DIR": str(tmp_path / "data"),
        "OGS_REDIS_PREFIX": redis_prefix,
        "OGS_WORKER_HEARTBEAT_S": "1",
        "OGS_OG_DEADLINE_MS": "800",
    }


@pytest.fixture
def layer_env(base_env: dict[str, str], fal: FalEmulator) -> dict[str, str]:
    """Settings with fal configured: backgrounds come from flux-schnell."""
    return {**base_env, "OGS_FAL_API_KEY": "test-key", "OGS_FAL_BASE_URL": fal.base_url}


@pytest.fixture
def lettering_env(base_env: dict[str, str], ideogram: IdeogramEmulator) -> dict[str, str]:
    """Settings with Ideogram configured: lettering comes from ideogram-v3."""
    return {**base_env, "OGS_IDEOGRAM_API_KEY": "test-key", "OGS_IDEOGRAM_BASE_URL": ideogram.base_url}


@pytest.fixture
def queued_layers(layer_env: dict[str, str]) -> Iterator[Any]:
    """A LayerService in queue mode on real Redis, fal configured, no worker: queued layers stay pending."""
    from ogservice.gateway.service import Gateway
    from ogservice.layers.service import LayerService
    from ogservice.store import open_store

    settings = settings_from(layer_env)
    store, gateway = open_store(settings), Gateway.from_settings(settings)
    service = LayerService.build(settings, store, gateway)
    yield service
    service.close()
    gateway.close()
    store.close()


def settings_from(env: dict[str, str]) -> Settings:
    return load_settings(**{k.removeprefix("OGS_").lower(): v for k, v in env.items()})


@contextmanager
def worker_process(env: dict[str, str], name: str = "worker") -> Iterator[subprocess.Popen[bytes]]:
    """A real `ogservice worker` process in its own process group (a test can kill it whole); its
    output goes to <data dir>/../<name>.log, for reading when a test fails."""
    log_path = Path(env["OGS_DATA_DIR"]).parent / f"{name}.log"
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ogservice.cli", "worker"], cwd=ROOT, env={**os.environ, **env},
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        yield proc
    finally:
        stop(proc)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM (RQ's warm shutdown), then SIGKILL after 10 s; the whole process group."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


def wait_for(predicate: Callable[[], Any], timeout: float = 30.0, every: float = 0.1) -> Any:
    """Poll until predicate() is truthy; its value, or AssertionError after `timeout` seconds."""
    until = time.monotonic() + timeout
    while time.monotonic() < until:
        if value := predicate():
            return value
        time.sleep(every)
    raise AssertionError(f"condition not met within {timeout} s")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def server_process(
    env: dict[str, str], name: str, workers: int = 2, extra: tuple[str, ...] = ()
) -> Iterator[str]:
    """A real `ogservice serve` (gunicorn, `workers` processes) on a free loopback port; its base URL."""
    port = free_port()
    log_path = Path(env["OGS_DATA_DIR"]).parent / f"{name}.log"
    args = [sys.executable, "-m", "ogservice.cli", "serve", "--port", str(port), "--workers", str(workers)]
    args += extra
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            args, cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: answers(base, proc), timeout=60)
        yield base
    finally:
        stop(proc)


def answers(base: str, proc: subprocess.Popen[bytes]) -> bool:
    if proc.poll() is not None:
        raise AssertionError(f"server exited with {proc.returncode}")
    try:
        return httpx.get(f"{base}/healthz", timeout=1).status_code < 500
    except httpx.HTTPError:
        return False
