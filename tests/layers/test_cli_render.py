"""`ogservice render` with AI layers waits for the final card and says who made each layer."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from PIL import Image
from redis import Redis
from rq import Queue, Worker

from ogservice.cli import main
from ogservice.layers.flight import queue_name
from tests.emulators.fal import FalEmulator
from tests.layers.conftest import fal_submits, wait_for, worker_process

ARGS = ["render", "blog-post", "-f", "title=From the command line", "-f", "bg=ai"]


def test_render_runs_the_layer_here_when_no_worker_listens(
    layer_env: dict[str, str], fal: FalEmulator, tmp_path: Path
) -> None:
    out = tmp_path / "card.png"
    result = CliRunner().invoke(main, [*ARGS, "-o", str(out)], env=layer_env)
    assert result.exit_code == 0, result.output
    assert "layer background: flux-schnell (fal), $0.0030" in result.stdout
    assert "not final" not in result.stdout
    assert "jobs run in this process" in result.stderr
    assert Image.open(out).convert("RGB").getpixel((5, 5)) == (40, 90, 200)
    assert fal_submits(fal) == 1
    again = CliRunner().invoke(main, [*ARGS, "-o", str(out)], env=layer_env)
    assert "cache hit" in again.stdout and fal_submits(fal) == 1  # the layer and the card are stored


def test_render_waits_for_a_running_worker(
    layer_env: dict[str, str], fal: FalEmulator, tmp_path: Path, redis_client: Redis
) -> None:
    fal.slow.seconds = 1.5  # type: ignore[attr-defined]  # longer than a crawler's deadline
    with worker_process(layer_env):
        queue = Queue(queue_name(layer_env["OGS_REDIS_PREFIX"]), connection=redis_client)
        wait_for(lambda: Worker.count(queue=queue))
        result = CliRunner().invoke(main, [*ARGS, "-o", str(tmp_path / "card.png")], env=layer_env)
    assert result.exit_code == 0, result.output
    assert "1 worker(s)" in result.stderr
    assert "waiting for background (flux-schnell)" in result.stderr
    assert "layer background: flux-schnell (fal)" in result.stdout
    assert fal_submits(fal) == 1
