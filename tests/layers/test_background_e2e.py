"""bg=ai end to end: the app in this process, a real `ogservice worker`, fal's emulator on loopback."""

from __future__ import annotations

import io

from PIL import Image

from ogservice import create_app
from tests.emulators.fal import FalEmulator
from tests.layers.conftest import fal_submits, settings_from, wait_for, worker_process

URL = "/og/blog-post.png?title=Layers%20from%20models&bg=ai"
EMULATOR_BLUE = (40, 90, 200)  # the fal emulator's image is this one colour


def _final(client):
    resp = client.get(URL)
    return resp if "X-Ogs-Provisional" not in resp.headers else None


def test_bg_ai_gives_the_models_background_once_ready(layer_env: dict[str, str], fal: FalEmulator) -> None:
    app = create_app(settings_from(layer_env))
    client = app.test_client()
    with worker_process(layer_env):
        resp = wait_for(lambda: _final(client))
    assert resp.status_code == 200
    assert resp.headers["X-Ogs-Layers"].startswith("background=flux-schnell;")
    assert resp.headers["Cache-Control"] == "public, max-age=3600, s-maxage=86400"
    assert 'layer-background;dur=' in resp.headers["Server-Timing"]
    card = Image.open(io.BytesIO(resp.data)).convert("RGB")
    assert card.size == (1200, 630)
    assert card.getpixel((5, 5)) == EMULATOR_BLUE  # the model's pixels, covered to the card's size
    assert fal_submits(fal) == 1
    again = client.get(URL)  # a final card is remembered and served from the hot path
    assert again.headers["X-Ogs-Cache"] == "hit" and again.data == resp.data
    assert again.headers["X-Ogs-Layers"] == resp.headers["X-Ogs-Layers"]
