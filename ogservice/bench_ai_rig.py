"""What `ogservice bench ai` runs against: the sandbox's emulators, a real server, real layer workers.

Everything is the real thing on loopback: the vendor emulators as `ogservice sandbox` starts them
(in this process, so the bench can count their calls and switch on `misspell`), each given the
catalog latency of the model the router plans for it; `ogservice serve` and `ogservice worker`
processes; the Redis on OGS_REDIS_URL under a key prefix of the run's own, deleted afterwards.
"""

from __future__ import annotations

import json
import logging
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import redis

from .config import Settings, load_settings
from .gateway.sandbox import Endpoint, start_sandbox
from .loopback import ogservice_env, ogservice_serve, server_process

# Models take 3-12 s in the bench: each call's delay is drawn from its model's catalog prior
# (log-normal with the catalog's p50 and p95) and kept within these bounds, then scaled.
LATENCY_BOUNDS_S = (3.0, 12.0)
STOP_WAIT_S = 10


def run_nonce(rng: random.Random | None = None) -> str:
    """A word no earlier run used (letters only: it is lettered by models and read back by OCR)."""
    rng = rng or random.SystemRandom()
    consonants, vowels = "bdfgklmnprstvz", "aeiou"
    return "".join(rng.choice(consonants) + rng.choice(vowels) for _ in range(4)).capitalize()


@dataclass
class Rig:
    """The running pieces, as the bench phases need them."""

    base_url: str
    endpoints: list[Endpoint]
    settings: Settings  # the server's and workers' settings, for planning in this process
    client: redis.Redis
    prefix: str
    workers: int

    def endpoint_of(self, provider: str) -> Endpoint:
        return next(ep for ep in self.endpoints if provider in ep.providers)

    def use_catalog_latency(self, models: dict[str, str], time_scale: float) -> None:
        """The emulator of each planned model (model -> provider) answers with that model's catalog
        prior, within LATENCY_BOUNDS_S, times `time_scale`."""
        from .gateway.catalog import load_catalog

        catalog = load_catalog()
        for model, provider in models.items():
            spec, latency = catalog.find(model), self.endpoint_of(provider).latency
            if spec is not None and latency is not None:
                latency.p50_s, latency.p95_s = spec.latency_p50_s, spec.latency_p95_s
                latency.floor_s, latency.cap_s = LATENCY_BOUNDS_S
                latency.speed = 1.0 / time_scale

    def generation_calls(self) -> int:
        """Generation calls the emulators received so far (requests carrying a prompt)."""
        return len(self.prompts())

    def prompts(self) -> list[str]:
        """The request body of each generation call so far, in arrival order per emulator."""
        bodies = []
        for ep in self.endpoints:
            for entry in list(ep.emulator.requests):
                body = entry.get("json") or entry.get("form")
                text = json.dumps(body, default=str, sort_keys=True) if body else ""
                if '"prompt' in text:
                    bodies.append(text)
        return bodies


@contextmanager
def running_rig(nonce: str, *, time_scale: float, workers: int, server_workers: int) -> Iterator[Rig]:
    """Emulators, a server and `workers` layer workers, all on loopback, until the block exits.

    The emulators answer with the sandbox's latency (times `time_scale`) until the bench gives
    them the planned models' (`Rig.use_catalog_latency`).
    """
    prefix = f"ogs-bench-ai:{nonce}:"
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per emulator request
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ogs-bench-ai-")))
        endpoints = stack.enter_context(start_sandbox(speed=1.0 / time_scale, seed=0))
        env = {**ogservice_env(tmp / "data", redis_prefix=prefix), **sandbox_env(endpoints)}
        settings = load_settings(**{k[4:].lower(): v for k, v in env.items() if k.startswith("OGS_")})
        client = redis.Redis.from_url(settings.redis_url)
        stack.callback(client.close)
        stack.callback(delete_keys, client, prefix, nonce)
        served = stack.enter_context(server_process(ogservice_serve(server_workers), env))
        stack.enter_context(worker_processes(env, workers, f"bench-ai-{nonce}", tmp))
        wait_for_workers(client, prefix, workers)
        yield Rig(served.base_url, endpoints, settings, client, prefix, workers)


def sandbox_env(endpoints: list[Endpoint]) -> dict[str, str]:
    """The `export OGS_...=...` lines of the sandbox as an environment."""
    env: dict[str, str] = {}
    for ep in endpoints:
        for line in ep.env:
            env.update(part.split("=", 1) for part in line.removeprefix("export ").split())  # type: ignore[misc]
    return env


@contextmanager
def worker_processes(env: dict[str, str], count: int, name: str, log_dir: Path) -> Iterator[None]:
    """`count` real `ogservice worker` processes, stopped (warm shutdown, then SIGKILL) on exit."""
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for i in range(count):
            with open(log_dir / f"worker-{i}.log", "ab") as log:
                procs.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "ogservice.cli", "worker", "--name", f"{name}-{i}"],
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )  # fmt: skip
                )
        yield
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(STOP_WAIT_S)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def wait_for_workers(client: redis.Redis, prefix: str, count: int, timeout_s: float = 90) -> None:
    from rq import Queue, Worker

    from .layers.flight import queue_name

    queue = Queue(queue_name(prefix), connection=client)
    until = time.monotonic() + timeout_s
    while Worker.count(queue=queue) < count:
        if time.monotonic() > until:
            raise RuntimeError(f"only {Worker.count(queue=queue)} of {count} layer workers started")
        time.sleep(0.2)


def delete_keys(client: redis.Redis, prefix: str, nonce: str) -> None:
    """Every key of the run: ours under `prefix`, RQ's (queue, jobs, registries, workers) by nonce."""
    for pattern in (f"{prefix}*", f"rq:*{nonce}*"):
        for key in client.scan_iter(match=pattern, count=500):
            client.delete(key)
    for index in ("rq:queues", "rq:workers"):
        stale = [m for m in client.smembers(index) if nonce.encode() in m]
        if stale:
            client.srem(index, *stale)
