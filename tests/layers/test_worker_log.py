"""The worker's log at its default level: job lines, not RQ's registry maintenance every 30 s."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import redis
from rq import Queue
from rq.serializers import JSONSerializer

from ogservice.layers.flight import queue_name
from tests.layers.conftest import ROOT, wait_for


def test_the_worker_logs_jobs_but_not_its_registry_maintenance(
    base_env: dict[str, str], redis_client: redis.Redis, redis_prefix: str, tmp_path: Path
) -> None:
    """A burst worker runs one maintenance pass before it works (as a long-running one does every
    interval), then the queued jobs: one that succeeds and one that fails."""
    queue = Queue(queue_name(redis_prefix), connection=redis_client, serializer=JSONSerializer)
    done = queue.enqueue("os.getcwd")
    failed = queue.enqueue("os.path.join", 1)  # TypeError
    log_path = tmp_path / "worker.log"
    with open(log_path, "wb") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ogservice.cli", "worker", "--burst", "--name", f"{redis_prefix}log"],
            cwd=ROOT, env={**os.environ, **base_env}, stdout=log_file, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        # "done, quitting" ends the work; RQ's teardown that follows can wait up to 60 s on its
        # pubsub thread (redis-py's PubSubWorkerThread.stop joins it), so the test does not wait.
        wait_for(lambda: "done, quitting" in log_path.read_text(), timeout=60)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)
    log = log_path.read_text()
    assert "cleaning registries" not in log and "cleaning group registries" not in log, log
    assert "Successfully completed os.getcwd() job" in log, log  # job lines are kept
    assert done.id in log and failed.id in log and "TypeError" in log, log
