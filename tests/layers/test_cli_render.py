"""`ogservice render` with AI layers waits for the final card and says who made each layer."""

from __future__ import annotations

import io
import re
from pathlib import Path

from click.testing import CliRunner
from PIL import Image
from redis import Redis
from rq import Queue, Worker

from ogservice.cli import main
from ogservice.layers.cli_support import ProgressLine
from ogservice.layers.flight import queue_name
from ogservice.layers.outcomes import Pending
from tests.emulators.fal import FalEmulator
from tests.emulators.ideogram import IdeogramEmulator
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


def test_render_with_ai_background_and_lettering_says_who_made_each_layer(
    layer_env: dict[str, str], fal: FalEmulator, ideogram: IdeogramEmulator, tmp_path: Path
) -> None:
    env = {**layer_env, "OGS_IDEOGRAM_API_KEY": "test-key", "OGS_IDEOGRAM_BASE_URL": ideogram.base_url}
    fal.slow.seconds = ideogram.slow.seconds = 1.0  # type: ignore[attr-defined]
    args = ["render", "blog-post", "-f", "title=Fresh Autumn Menu", "-f", "bg=ai", "-f", "lettering=ai"]
    result = CliRunner().invoke(main, [*args, "-o", str(tmp_path / "card.png")], env=env)
    assert result.exit_code == 0, result.output
    waiting = [line for line in result.stderr.splitlines() if line.startswith("waiting for")]
    assert waiting and waiting[0].startswith("waiting for background (flux-schnell), title (ideogram-v3)...")
    assert "\r" not in result.stderr  # not a terminal: plain lines
    assert re.search(r"layer background: flux-schnell \(fal\), \$0\.0030, \d+\.\d s", result.stdout)
    assert re.search(r"layer title: ideogram-v3 \(ideogram\), \$0\.\d{4}, \d+\.\d s", result.stdout)
    assert "rendered" in result.stdout and "not final" not in result.stdout


def _pending(*slots: str) -> list[Pending]:
    return [Pending(slot, "background", "flux-schnell") for slot in slots]


def test_progress_is_redrawn_in_place_on_a_terminal() -> None:
    out = io.StringIO()
    line = ProgressLine(out, tty=True)
    line(_pending("background"), 0.5)
    line(_pending("background"), 0.6)  # within 0.2 s of the last draw: not redrawn
    line.done()
    assert out.getvalue() == "\rwaiting for background (flux-schnell)... 0.5 s\033[K\r\033[K"


def test_progress_is_plain_lines_when_piped() -> None:
    out = io.StringIO()
    line = ProgressLine(out, tty=False, every_s=0.0)
    line(_pending("background", "title"), 0.5)
    line(_pending("title"), 1.5)
    line.done()
    assert out.getvalue().splitlines() == [
        "waiting for background (flux-schnell), title (flux-schnell)... 0.5 s",
        "waiting for title (flux-schnell)... 1.5 s",
    ]
