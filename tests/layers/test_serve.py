"""Starting the service: `serve --with-worker` runs one worker and stops it with the server; without
Redis the service still starts, says that AI layers are off, and draws those layers locally."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys

import pytest
from redis import Redis
from rq import Queue, Worker

from ogservice import create_app
from ogservice.layers.flight import queue_name
from ogservice.layers.service import startup_status
from tests.layers.conftest import ROOT, answers, free_port, settings_from, wait_for


def test_serve_with_worker_runs_one_worker_and_stops_it_with_the_server(
    layer_env: dict[str, str], redis_client: Redis
) -> None:
    port = free_port()
    args = [
        sys.executable,
        "-m",
        "ogservice.cli",
        "serve",
        "--port",
        str(port),
        "--workers",
        "1",
        "--with-worker",
    ]
    server = subprocess.Popen(
        args, cwd=ROOT, env={**os.environ, **layer_env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    queue = Queue(queue_name(layer_env["OGS_REDIS_PREFIX"]), connection=redis_client)
    try:
        wait_for(lambda: answers(f"http://127.0.0.1:{port}", server), timeout=60)
        wait_for(lambda: Worker.count(queue=queue) == 1)
    finally:
        server.send_signal(signal.SIGTERM)  # the server alone, as a process manager stops it
        output = server.communicate(timeout=30)[0].decode()
    assert "a worker starts with the server" in output
    wait_for(lambda: Worker.count(queue=queue) == 0)  # the worker shut down and unregistered


def _alive(pid: int) -> bool:
    """True while `pid` runs (a zombie left for its dead parent's reaper counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_serve_with_worker_stops_its_worker_even_when_the_server_is_killed(
    layer_env: dict[str, str], redis_client: Redis
) -> None:
    args = [sys.executable, "-m", "ogservice.cli", "serve", "--port", str(free_port()), "--workers", "1"]
    server = subprocess.Popen(
        [*args, "--with-worker"], cwd=ROOT, env={**os.environ, **layer_env},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    queue = Queue(queue_name(layer_env["OGS_REDIS_PREFIX"]), connection=redis_client)
    try:
        (worker,) = wait_for(lambda: Worker.all(queue=queue), timeout=60)
        worker_pid = worker.pid
        server.kill()  # SIGKILL: no clean-up runs in the server
        server.wait(10)
        wait_for(lambda: not _alive(worker_pid), timeout=30)  # no orphan left working
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)  # whatever is left of the group


def test_without_redis_the_service_starts_says_ai_layers_are_off_and_draws_them_locally(
    layer_env: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    nowhere = {**layer_env, "OGS_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
    settings = settings_from(nowhere)
    assert startup_status(settings).startswith("AI layers are off: no Redis at")
    with caplog.at_level(logging.WARNING):
        client = create_app(settings).test_client()
    assert "AI layers are off" in caplog.text
    resp = client.get("/og/blog-post.png?title=Still%20served&bg=ai")
    assert resp.status_code == 200
    assert resp.headers["X-Ogs-Layers"] == "background=local;ai-off"
