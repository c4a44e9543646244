"""bg=ai end to end: the app in this process, a real `ogservice worker`, fal's emulator on loopback."""

from __future__ import annotations

import io

from PIL import Image

from ogservice import create_app
from tests.emulators.fal import FalEmulator
from tests.layers.conftest import fal_submits, settings_from, wait_for, worker_process

URL = "/og/blog-post.png?title=Layers%20from%20models&bg=ai"
PROCEDURAL_URL = "/og/blog-post.png?title=Layers%20from%20models"
EMULATOR_BLUE = (40, 90, 200)  # the fal emulator's image is this one colour
FINAL_CACHE = "public, max-age=3600, s-maxage=86400"
SHORT_CACHE = "public, max-age=30, s-maxage=30"


def _final(client):
    resp = client.get(URL)
    return resp if "X-Ogs-Provisional" not in resp.headers else None


def _layers_say(client, expected: str):
    resp = client.get(URL)
    assert resp.status_code == 200  # never a 5xx, whatever the model did
    return resp if resp.headers.get("X-Ogs-Layers") == expected else None


def test_bg_ai_gives_the_models_background_once_ready(layer_env: dict[str, str], fal: FalEmulator) -> None:
    client = create_app(settings_from(layer_env)).test_client()
    with worker_process(layer_env):
        resp = wait_for(lambda: _final(client))
    assert resp.status_code == 200
    assert resp.headers["X-Ogs-Layers"].startswith("background=flux-schnell;")
    assert resp.headers["Cache-Control"] == FINAL_CACHE
    assert "layer-background;dur=" in resp.headers["Server-Timing"]
    card = Image.open(io.BytesIO(resp.data)).convert("RGB")
    assert card.size == (1200, 630)
    assert card.getpixel((5, 5)) == EMULATOR_BLUE  # the model's pixels, covered to the card's size
    assert fal_submits(fal) == 1
    again = client.get(URL)  # a final card is remembered and served from the hot path
    assert again.headers["X-Ogs-Cache"] == "hit" and again.data == resp.data
    assert again.headers["X-Ogs-Layers"] == resp.headers["X-Ogs-Layers"]


def test_a_slow_model_gets_a_provisional_card_at_once_then_the_final_one_on_the_same_url(
    layer_env: dict[str, str], fal: FalEmulator
) -> None:
    fal.slow.seconds = 2.5  # type: ignore[attr-defined]  # far past OGS_OG_DEADLINE_MS (800)
    client = create_app(settings_from(layer_env)).test_client()
    with worker_process(layer_env):
        first = client.get(URL)
        assert first.status_code == 200
        assert first.headers["X-Ogs-Provisional"] == "1"
        assert first.headers["Cache-Control"] == SHORT_CACHE
        assert first.headers["X-Ogs-Layers"] == "background=local;pending"
        assert "Link" not in first.headers  # not stored: there is no asset URL to point at
        assert client.get(f"/a/{first.headers['ETag'].strip(chr(34))}.png").status_code == 404
        second = client.get(URL)  # not remembered by the hot path: the layers are looked at again
        assert second.headers["X-Ogs-Cache"] == "miss" and second.headers["X-Ogs-Provisional"] == "1"
        final = wait_for(lambda: _final(client))
    # The stand-in was the finished local card, not a placeholder.
    assert first.data == client.get(PROCEDURAL_URL).data
    assert final.headers["Cache-Control"] == FINAL_CACHE
    assert final.headers["X-Ogs-Layers"].startswith("background=flux-schnell;")
    assert final.data != first.data
    assert fal_submits(fal) == 1


def test_a_failing_model_gives_the_local_background_for_a_while_never_a_5xx(
    layer_env: dict[str, str], fal: FalEmulator
) -> None:
    fal.inject("server_error", 20)
    client = create_app(settings_from(layer_env)).test_client()
    with worker_process(layer_env):
        resp = wait_for(lambda: _layers_say(client, "background=local;model-error"))
    assert resp.headers["Cache-Control"] == SHORT_CACHE  # it may work again in minutes
    assert "X-Ogs-Provisional" not in resp.headers  # nothing is being made any more
    assert resp.data == client.get(PROCEDURAL_URL).data


def test_a_refused_prompt_gives_the_local_background_for_good(
    layer_env: dict[str, str], fal: FalEmulator
) -> None:
    fal.inject("safety")
    client = create_app(settings_from(layer_env)).test_client()
    with worker_process(layer_env):
        resp = wait_for(lambda: _layers_say(client, "background=local;refused"))
    assert resp.headers["Cache-Control"] == FINAL_CACHE  # the same prompt will be refused again
    assert "Link" in resp.headers  # stored as the final card
    assert fal_submits(fal) == 1


def test_an_exhausted_budget_gives_the_local_background_without_calling_a_model(
    layer_env: dict[str, str], fal: FalEmulator
) -> None:
    client = create_app(settings_from({**layer_env, "OGS_BUDGET_USD": "0"})).test_client()
    resp = client.get(URL)
    assert resp.status_code == 200
    assert resp.headers["X-Ogs-Layers"] == "background=local;budget"
    assert resp.headers["Cache-Control"] == SHORT_CACHE
    assert fal_submits(fal) == 0
