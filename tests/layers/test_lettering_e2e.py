"""lettering=ai end to end: Ideogram's emulator letters the title, a real worker checks it with OCR."""

from __future__ import annotations

import redis

from ogservice import create_app
from ogservice.gateway.ledger import Ledger
from tests.emulators.ideogram import IdeogramEmulator
from tests.layers.conftest import settings_from, wait_for, worker_process

TITLE = "Fresh%20Autumn%20Menu"
URL = f"/og/blog-post.png?title={TITLE}&lettering=ai"
LOCAL_URL = f"/og/blog-post.png?title={TITLE}"
FINAL_CACHE = "public, max-age=3600, s-maxage=86400"


def _settled(client, url: str = URL):
    resp = client.get(url)
    assert resp.status_code == 200
    return resp if "X-Ogs-Provisional" not in resp.headers else None


def test_lettering_that_ocr_confirms_is_used(
    lettering_env: dict[str, str], ideogram: IdeogramEmulator
) -> None:
    client = create_app(settings_from(lettering_env)).test_client()
    with worker_process(lettering_env):
        resp = wait_for(lambda: _settled(client), timeout=60)
    assert resp.headers["X-Ogs-Layers"].startswith("title=ideogram-v3;")
    assert resp.headers["Cache-Control"] == FINAL_CACHE
    assert resp.data != client.get(LOCAL_URL).data  # the model's lettering, not the local title
    (call,) = ideogram.requests
    assert call["path"].endswith("/generate-transparent")  # transparent where the model has it
    assert '"Fresh Autumn Menu"' in call["form"]["prompt"]


def test_misspelled_lettering_is_discarded_and_the_title_set_locally(
    lettering_env: dict[str, str], ideogram: IdeogramEmulator, redis_client: redis.Redis
) -> None:
    ideogram.inject("misspell")
    settings = settings_from(lettering_env)
    client = create_app(settings).test_client()
    with worker_process(lettering_env):
        resp = wait_for(lambda: _settled(client), timeout=60)
    assert resp.headers["X-Ogs-Layers"] == "title=local;ocr-mismatch"
    assert resp.headers["Cache-Control"] == FINAL_CACHE  # not asked again on every request
    assert resp.data == client.get(LOCAL_URL).data  # exactly the locally typeset card
    spend = Ledger(redis_client, settings.redis_prefix).spend()
    assert spend["discarded"] == 1 and spend["by_model"]["ideogram-v3"]["discarded"] == 1
    assert len(ideogram.requests) == 1


def test_text_the_ocr_cannot_read_is_never_sent(
    lettering_env: dict[str, str], ideogram: IdeogramEmulator
) -> None:
    client = create_app(settings_from(lettering_env)).test_client()
    resp = client.get("/og/blog-post.png?title=%D9%85%D8%B1%D8%AD%D8%A8%D8%A7&lettering=ai")  # Arabic
    assert resp.status_code == 200
    assert resp.headers["X-Ogs-Layers"] == "title=local;ocr-unsupported-script"
    assert ideogram.requests == []


def test_a_lookalike_misspelling_never_reaches_the_card(
    lettering_env: dict[str, str], ideogram: IdeogramEmulator
) -> None:
    """The model letters "0FF" for "OFF", which OCR reads as "OFF": such text is set locally."""
    ideogram.inject("lookalike", count=5)
    client = create_app(settings_from(lettering_env)).test_client()
    url = "/og/blog-post.png?title=SALE%2050%25%20OFF&lettering=ai"
    with worker_process(lettering_env):
        resp = wait_for(lambda: _settled(client, url), timeout=60)
    assert resp.headers["X-Ogs-Layers"] == "title=local;ocr-ambiguous"
    assert resp.headers["Cache-Control"] == FINAL_CACHE
    assert resp.data == client.get("/og/blog-post.png?title=SALE%2050%25%20OFF").data
    assert ideogram.requests == []  # OCR could not have told "0FF" from "OFF": never sent
