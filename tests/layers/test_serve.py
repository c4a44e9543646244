"""Starting the service: `serve --with-worker` runs one worker and stops it with the server; without
Redis the service still starts, says that AI layers are off, and draws those layers locally."""

from __future__ import annotations

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
