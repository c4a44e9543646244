"""A worker killed mid-job (worker and work horse, as when its container dies): another worker picks
the job up again once its heartbeats stop (RQ's abandoned-job handling), and the card completes."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

from ogservice import create_app
from tests.emulators.fal import FalEmulator
from tests.layers.conftest import fal_submits, settings_from, wait_for, worker_process

URL = "/og/blog-post.png?title=Survives%20a%20dead%20worker&bg=ai"


def _kill_with_children(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL a worker and its work horse (which runs in a process group of its own)."""
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    for pid in [*map(int, children), proc.pid]:
        os.kill(pid, signal.SIGKILL)
    proc.wait(5)


def test_a_job_whose_worker_is_killed_is_run_again_and_the_card_completes(
    layer_env: dict[str, str], fal: FalEmulator
) -> None:
    fal.slow.seconds = 30  # type: ignore[attr-defined]  # the first call is still running when its worker dies
    client = create_app(settings_from(layer_env)).test_client()
    with worker_process(layer_env, "doomed") as doomed:
        assert client.get(URL).headers["X-Ogs-Layers"] == "background=local;pending"
        wait_for(lambda: fal_submits(fal) == 1)  # the job is in the middle of its model call
        _kill_with_children(doomed)
    fal.slow.seconds = 0  # type: ignore[attr-defined]
    assert client.get(URL).headers["X-Ogs-Layers"] == "background=local;pending"  # still its job
    with worker_process(layer_env, "rescuer"):
        final = wait_for(lambda: _final(client), timeout=60)
    assert final.headers["X-Ogs-Layers"].startswith("background=flux-schnell;")
    assert fal_submits(fal) == 2  # the abandoned call, and the one that made the layer


def _final(client):
    resp = client.get(URL)
    assert resp.status_code == 200
    return resp if "X-Ogs-Provisional" not in resp.headers else None
