"""POST /v1/cards and GET /v1/jobs/<id>: sizes in one call, 202 + polling while an AI layer is slow,
jobs that belong to their tenant and survive the web process."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest
from flask import Flask
from PIL import Image

from ogservice import create_app
from tests.emulators.fal import FalEmulator
from tests.layers.conftest import settings_from, wait_for, worker_process
from tests.web.api_keys import bearer, issue

POLLING_RATE = "100/second"  # the test polls its job every 0.1 s for as long as a loaded machine needs
CARD = {"template": "blog-post", "fields": {"title": "Cards in one call"}, "sizes": ["og", "square"]}


@pytest.fixture
def app(publish_env: dict[str, str]) -> Flask:
    return create_app(settings_from(publish_env))


def test_every_size_in_one_call_with_urls_that_serve_the_cards(app: Flask) -> None:
    token, _ = issue(app)
    client = app.test_client()
    resp = client.post("/v1/cards", json=CARD, headers=bearer(token))
    assert resp.status_code == 200
    cards = resp.get_json()["cards"]
    assert [(c["size"], c["width"], c["height"], c["format"]) for c in cards] == [
        ("og", 1200, 630, "png"), ("square", 1080, 1080, "png")
    ]  # fmt: skip
    for card in cards:
        asset = client.get(card["url"])
        assert asset.status_code == 200 and len(asset.data) == card["bytes"]
        assert card["provisional"] is False and card["layers"] == []
        signed = client.get(card["og_url"])  # the signed GET URL renders the very same card
        assert signed.status_code == 200 and signed.data == asset.data


@pytest.mark.parametrize(
    ("asked", "named", "mime"), [("jpeg", "jpg", "image/jpeg"), ("webp", "webp", "image/webp")]
)
def test_a_format_and_byte_limit_apply_to_every_size_and_its_signed_url(
    app: Flask, asked: str, named: str, mime: str
) -> None:
    token, _ = issue(app)
    client = app.test_client()
    body = {**CARD, "format": asked, "max_bytes": 40_000}
    cards = client.post("/v1/cards", json=body, headers=bearer(token)).get_json()["cards"]
    for card in cards:
        assert card["format"] == named and card["url"].endswith(f".{named}") and card["bytes"] <= 40_000
        asset = client.get(card["url"])
        assert asset.mimetype == mime and len(asset.data) == card["bytes"]
        assert Image.open(BytesIO(asset.data)).size == (card["width"], card["height"])
        assert f"/og/blog-post.{named}?" in card["og_url"] and "max_bytes=40000" in card["og_url"]
        assert client.get(card["og_url"]).data == asset.data


def test_a_byte_limit_no_quality_meets_is_a_422_naming_the_smallest_size(app: Flask) -> None:
    token, _ = issue(app)
    resp = app.test_client().post("/v1/cards", json={**CARD, "max_bytes": 500}, headers=bearer(token))
    assert resp.status_code == 422 and resp.mimetype == "application/problem+json"
    problem = resp.get_json()
    assert "smallest" in problem["detail"] and problem["smallest_bytes"] > 500
    reached = {u["size"]: u["smallest_bytes"] for u in problem["unmet_sizes"]}
    assert list(reached) == ["og", "square"] and problem["smallest_bytes"] == max(reached.values())


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({**CARD, "format": "gif"}, 422, "format"),
        ({**CARD, "max_bytes": 0}, 422, "max_bytes"),
        ({**CARD, "wait": 31}, 422, "wait"),
        ({**CARD, "sizes": ["og", "og"]}, 422, "sizes"),
        ({**CARD, "colour": "red"}, 422, "colour"),
        ({**CARD, "template": "no-such"}, 404, None),
        ({**CARD, "sizes": ["huge"]}, 400, "sizes"),
        ({**CARD, "sizes": ["og", "9999x9999"]}, 422, "sizes"),
        ({**CARD, "fields": {}}, 400, "fields.title"),  # title is required
        ({**CARD, "fields": {**CARD["fields"], "theme": "plaid"}}, 422, "fields.theme"),
        ({**CARD, "max_bytes": 500}, 422, "max_bytes"),
    ],
)
def test_bad_requests_are_4xx_problems(
    app: Flask, body: dict[str, Any], status: int, field: str | None
) -> None:
    token, _ = issue(app)
    resp = app.test_client().post("/v1/cards", json=body, headers=bearer(token))
    assert resp.status_code == status and resp.mimetype == "application/problem+json"
    if field:
        assert resp.get_json()["field"] == field


def test_a_slow_ai_layer_gives_202_then_the_job_reports_the_final_cards(
    app: Flask, publish_env: dict[str, str], fal: FalEmulator
) -> None:
    fal.slow.seconds = 3  # type: ignore[attr-defined]  # past the request's wait
    token, _ = issue(app, rate=POLLING_RATE)
    other, _ = issue(app, "globex")
    client = app.test_client()
    body = {**CARD, "fields": {**CARD["fields"], "bg": "ai"}, "sizes": ["og"], "wait": 0.5}
    with worker_process(publish_env):
        resp = client.post("/v1/cards", json=body, headers=bearer(token))
        assert resp.status_code == 202
        location = resp.headers["Location"]
        assert location == resp.get_json()["status"] and location.startswith("/v1/jobs/job_")
        early = client.get(location, headers=bearer(token)).get_json()
        assert early["state"] in ("queued", "running") and early["result"] is None
        assert early["progress"] == {"done": 0, "total": 1}
        assert client.get(location, headers=bearer(other)).status_code == 404  # another tenant's job
        # A new app (a restarted web process) finds the job: it lives in Redis, not in the process.
        restarted = create_app(settings_from(publish_env)).test_client()
        job = wait_for(lambda: _done(restarted, location, token), timeout=60)
    card = job["result"]["cards"][0]
    assert card["provisional"] is False and card["layers"][0]["made_by"] == "flux-schnell"
    assert job["progress"] == {"done": 1, "total": 1}
    with Image.open(__import__("io").BytesIO(client.get(card["url"]).data)) as image:
        assert image.size == (1200, 630)
    assert client.get(location, headers=bearer(other)).status_code == 404


def test_unknown_job_ids_are_404(app: Flask) -> None:
    token, _ = issue(app)
    client = app.test_client()
    for job_id in ("job_0123456789abcdef0123", "nothing", "job_" + "a" * 100):
        assert client.get(f"/v1/jobs/{job_id}", headers=bearer(token)).status_code == 404


def _done(client: Any, location: str, token: str) -> dict[str, Any] | None:
    job = client.get(location, headers=bearer(token)).get_json()
    return job if job["state"] == "done" else None


def test_without_redis_cards_without_ai_layers_still_render_and_jobs_are_503(tmp_path) -> None:
    from tests.web.api_keys import make_app

    app = make_app(tmp_path, dev=True, redis_url="redis://127.0.0.1:1/0")  # dev: keyless while no Redis
    client = app.test_client()
    assert client.post("/v1/cards", json=CARD).status_code == 200
    for resp in (
        client.get("/v1/jobs/job_0123456789abcdef0123"),
        client.post("/v1/hooks/publish?tenant=acme", json={}),
    ):
        assert resp.status_code == 503 and resp.headers["Retry-After"] == "5"
