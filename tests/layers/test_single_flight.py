"""Single flight across processes: 20 concurrent requests through two servers make one model call,
with two workers ready to take a job (a duplicate job would run on the idle one)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.emulators.fal import FalEmulator
from tests.layers.conftest import fal_submits, server_process, wait_for, worker_process

URL = "/og/blog-post.png?title=One%20call%20for%20all&bg=ai"


def test_twenty_concurrent_requests_through_two_servers_make_one_model_call(
    layer_env: dict[str, str], fal: FalEmulator
) -> None:
    fal.slow.seconds = 1.0  # type: ignore[attr-defined]  # every request arrives while the call runs
    start = threading.Barrier(20)

    def get(base: str) -> httpx.Response:
        start.wait()
        return httpx.get(base + URL, timeout=30)

    servers = server_process(layer_env, "a"), server_process(layer_env, "b")
    workers = worker_process(layer_env, "worker-1"), worker_process(layer_env, "worker-2")
    with servers[0] as a, servers[1] as b, workers[0], workers[1]:
        with ThreadPoolExecutor(20) as pool:
            responses = list(pool.map(get, [a, b] * 10))
        assert [r.status_code for r in responses] == [200] * 20
        # Every request found the one job running (none failed, none made a job of its own).
        assert {r.headers["X-Ogs-Layers"] for r in responses} == {"background=local;pending"}
        finals = [wait_for(lambda base=base: _final(base)) for base in (a, b)]
    assert fal_submits(fal) == 1
    assert finals[0].content == finals[1].content  # both servers compose the one stored layer


def _final(base: str) -> httpx.Response | None:
    resp = httpx.get(base + URL, timeout=30)
    return resp if "X-Ogs-Provisional" not in resp.headers else None
