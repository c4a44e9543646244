"""`ogservice serve --with-worker`: one layer worker started beside the server and stopped with it.

`make run` is one command; AI layers need a worker. The worker is a child process with the
server's settings (the same OGS_* environment, and dev mode if the server has it); when the server
stops, the worker gets RQ's warm shutdown (SIGTERM), then SIGKILL; when the server is killed
outright, the worker gets SIGTERM from the kernel (see parent_watch.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from ..config import Settings

STOP_WAIT_S = 10


@contextmanager
def companion_worker(settings: Settings) -> Iterator[subprocess.Popen[bytes] | None]:
    """A running `ogservice worker` for the duration of the block (None when Redis is not there)."""
    from .service import redis_reachable

    if not redis_reachable(settings):
        yield None  # the server says at start-up that AI layers are off
        return
    env = {**os.environ, **({"OGS_DEV": "1"} if settings.dev else {})}
    # --exit-with-parent: the worker ends with this process even when it is SIGKILLed (no finally).
    args = [sys.executable, "-m", "ogservice.cli", "worker", "--exit-with-parent", str(os.getpid())]
    proc = subprocess.Popen(args, env=env)
    try:
        yield proc
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(STOP_WAIT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
