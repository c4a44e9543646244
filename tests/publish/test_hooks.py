"""POST /v1/hooks/publish end to end: signatures, replays, idempotency, Ghost, callbacks, pinning.

The app runs in this process; real `ogservice worker` processes render and call back; the CMS is
a loopback HTTP server; AI backgrounds come from fal's emulator.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import redis
from flask import Flask

from ogservice import create_app
from ogservice.publish.queue import renders_key
from ogservice.publish.webhooks import TOLERANCE_S, sign, sign_ghost, verify
from ogservice.store.retention import pinned_key
from tests.layers.conftest import settings_from, wait_for, worker_process
from tests.publish.conftest import CallbackReceiver
from tests.web.api_keys import bearer

HOOK = "/v1/hooks/publish?tenant=acme"
JSON = {"Content-Type": "application/json"}
POLLING_RATE = "100/second"  # tests poll jobs every 0.1 s for as long as a loaded machine needs
POST = {
    "post_id": "post-42",
    "version": "2026-12-07T10:00:00Z",
    "title": "Shipping the publisher API",
    "author": "Ada",
    "site": "blog.example",
    "tags": ["release"],
    "sizes": ["og", "square"],
}


def tenant(app: Flask, cms: CallbackReceiver) -> tuple[str, str]:
    """Tenant acme with a callback URL and a hook secret: (API key, hook secret)."""
    store = app.extensions["ogs.tenants"]
    token, _, _ = store.create_key("acme", POLLING_RATE, tier="pro", budget_usd=2.0, callback_url=cms.url)
    return token, store.new_hook_secret("acme")


def deliver(client: Any, secret: str, body: dict[str, Any], at: int | None = None, url: str = HOOK) -> Any:
    raw = json.dumps(body).encode()
    headers = {"X-Ogs-Signature": sign(secret, raw, at), "Content-Type": "application/json"}
    return client.post(url, data=raw, headers=headers)


def job_of(client: Any, token: str, resp: Any) -> dict[str, Any]:
    return client.get(resp.headers["Location"], headers=bearer(token)).get_json()


def finished(client: Any, token: str, resp: Any) -> dict[str, Any] | None:
    job = job_of(client, token, resp)
    callback = job.get("callback") or {}
    return job if job["state"] == "done" and callback.get("state") == "delivered" else None


@pytest.fixture
def app(publish_env: dict[str, str]) -> Flask:
    return create_app(settings_from(publish_env))


def test_a_bad_signature_is_401_and_renders_nothing(app: Flask, cms: CallbackReceiver) -> None:
    _, secret = tenant(app, cms)
    client = app.test_client()
    resp = deliver(client, "whsec_not-the-secret", POST)
    assert resp.status_code == 401 and "invalid signature" in resp.get_json()["detail"]
    raw = json.dumps(POST).encode()
    tampered = client.post(HOOK, data=raw.replace(b"42", b"43"), content_type="application/json",
                           headers={"X-Ogs-Signature": sign(secret, raw)})  # fmt: skip
    assert tampered.status_code == 401
    unsigned = client.post(HOOK, json=POST)
    assert unsigned.status_code == 401 and "missing signature" in unsigned.get_json()["detail"]
    other = deliver(client, secret, POST, url="/v1/hooks/publish?tenant=nobody")
    assert other.status_code == 401
    assert app.extensions["ogs.publish"].queue.queue.count == 0


def test_a_stale_or_future_timestamp_is_401(app: Flask, cms: CallbackReceiver) -> None:
    _, secret = tenant(app, cms)
    client = app.test_client()
    for skew in (-(TOLERANCE_S + 5), TOLERANCE_S + 5):
        resp = deliver(client, secret, POST, at=int(time.time()) + skew)
        assert resp.status_code == 401 and "stale signature" in resp.get_json()["detail"]
    assert app.extensions["ogs.publish"].queue.queue.count == 0


def test_the_signature_covers_the_timestamp() -> None:
    raw = b'{"post_id": "1"}'
    header = sign("s3cret", raw, at=1_700_000_000)
    moved = header.replace("t=1700000000", "t=1700000100")
    verify("s3cret", {"x-ogs-signature": header}, raw, now=1_700_000_000)
    with pytest.raises(Exception, match="invalid signature"):
        verify("s3cret", {"x-ogs-signature": moved}, raw, now=1_700_000_100)


def test_publish_renders_pins_and_calls_back_once_replays_and_retries_render_nothing(
    app: Flask,
    publish_env: dict[str, str],
    cms: CallbackReceiver,
    redis_client: redis.Redis,
    redis_prefix: str,
) -> None:
    token, secret = tenant(app, cms)
    client = app.test_client()
    raw = json.dumps(POST).encode()
    signed = {"X-Ogs-Signature": sign(secret, raw), "Content-Type": "application/json"}
    with worker_process(publish_env):
        first = client.post(HOOK, data=raw, headers=signed)
        assert first.status_code == 202 and first.get_json()["duplicate"] is False
        job = wait_for(lambda: finished(client, token, first), timeout=60)
        renders = int(redis_client.get(renders_key(redis_prefix, "acme")))
        replay = client.post(HOOK, data=raw, headers=signed)  # the same bytes, the same signature
        # The CMS retries: newly signed (a later second than the first, or the bytes would be equal).
        retried = deliver(client, secret, POST, at=int(time.time()) + 1)
        time.sleep(2)  # the worker would have picked a new job up by now (none may exist)
    assert replay.status_code == 409 and "replayed" in replay.get_json()["detail"]
    assert replay.mimetype == "application/problem+json"
    assert retried.status_code == 202 and retried.get_json() == {
        "job": job["id"], "status": f"/v1/jobs/{job['id']}", "duplicate": True
    }  # fmt: skip
    assert renders == 2  # one card per size
    assert int(redis_client.get(renders_key(redis_prefix, "acme"))) == renders
    assert job_of(client, token, first)["updated"] == job["updated"]
    assert [c["size"] for c in job["result"]["cards"]] == ["og", "square"]
    assert job["post_id"] == "post-42" and job["progress"] == {"done": 2, "total": 2}
    # One callback, signed with the hook secret, with absolute asset URLs that serve the cards.
    assert len(cms.received) == 1
    callback = cms.received[0]
    verify(secret, {k.lower(): v for k, v in callback["headers"].items()}, callback["body"])
    body = cms.bodies()[0]
    assert body["event"] == "cards.ready" and body["post_id"] == "post-42" and body["job"] == job["id"]
    pinned = redis_client.hgetall(pinned_key(redis_prefix))
    for card in body["cards"]:
        path = card["url"].removeprefix(app.extensions["ogs.settings"].base_url())
        assert client.get(path).status_code == 200
        assert pinned[path.split("/")[-1].split(".")[0].encode()] == job["id"].encode()


def test_a_ghost_post_published_webhook_is_accepted_with_its_own_signature(
    app: Flask, publish_env: dict[str, str], cms: CallbackReceiver
) -> None:
    token, secret = tenant(app, cms)
    client = app.test_client()
    ghost = {"post": {"current": {
        "id": "6571a0c2e4b0", "uuid": "b7c1", "title": "Hello from Ghost", "slug": "hello",
        "custom_excerpt": "Published from a custom integration", "url": "https://blog.example/hello/",
        "updated_at": "2026-12-07T10:00:00.000Z", "feature_image": None,
        "primary_author": {"name": "Grace"}, "tags": [{"name": "news"}],
    }, "previous": {}}}  # fmt: skip
    raw = json.dumps(ghost).encode()
    header = sign_ghost(secret, raw, int(time.time() * 1000))
    url = HOOK + "&sizes=og"
    with worker_process(publish_env):
        resp = client.post(url, data=raw, headers={"X-Ghost-Signature": header, **JSON})
        assert resp.status_code == 202
        job = wait_for(lambda: finished(client, token, resp), timeout=60)
    assert job["post_id"] == "6571a0c2e4b0" and job["version"] == "2026-12-07T10:00:00.000Z"
    assert [c["size"] for c in job["result"]["cards"]] == ["og"]
    assert "title=Hello%20from%20Ghost" in job["result"]["cards"][0]["og_url"]
    forged = sign_ghost("not-the-secret", raw, int(time.time() * 1000))
    bad = client.post(url, data=raw, headers={"X-Ghost-Signature": forged, **JSON})
    assert bad.status_code == 401


def test_the_callback_is_retried_after_a_500_and_the_cards_include_the_ai_layers(
    app: Flask, publish_env: dict[str, str], cms: CallbackReceiver
) -> None:
    token, secret = tenant(app, cms)
    client = app.test_client()
    cms.statuses = [500]
    post = {**POST, "post_id": "post-ai", "sizes": ["og"], "fields": {"bg": "ai"}}
    with worker_process(publish_env):
        resp = deliver(client, secret, post)
        assert resp.status_code == 202
        job = wait_for(lambda: finished(client, token, resp), timeout=90)
    assert len(cms.received) == 2  # the 500, then the delivery
    assert job["callback"]["attempts"] == 2 and job["callback"]["last_status"] == 200
    card = job["result"]["cards"][0]
    assert card["provisional"] is False
    assert card["layers"][0]["made_by"] == "flux-schnell"  # the final card: the model's background
    assert cms.bodies()[1]["cards"][0]["layers"] == card["layers"]


def test_bad_fields_or_sizes_are_answered_to_the_cms_and_queue_nothing(
    app: Flask, cms: CallbackReceiver
) -> None:
    _, secret = tenant(app, cms)
    client = app.test_client()
    for body, status in (
        ({**POST, "sizes": ["huge"]}, 400),
        ({**POST, "fields": {"theme": "no-such-theme"}}, 422),
        ({**POST, "template": "no-such"}, 404),
        ({k: v for k, v in POST.items() if k != "version"}, 422),
    ):
        resp = deliver(client, secret, body)
        assert resp.status_code == status and resp.mimetype == "application/problem+json", body
    assert app.extensions["ogs.publish"].queue.queue.count == 0
    assert deliver(client, secret, POST).status_code == 202  # the version was not claimed by a refusal


def test_deliveries_over_the_tenants_hook_rate_are_429_and_unsigned_ones_never_count(
    publish_env: dict[str, str], cms: CallbackReceiver
) -> None:
    app = create_app(settings_from({**publish_env, "OGS_HOOK_RATE_LIMIT": "2/hour"}))
    _, secret = tenant(app, cms)
    client = app.test_client()
    for _ in range(5):  # an unsigned or forged flood: refused by the HMAC, before the rate is counted
        assert client.post(HOOK, json=POST).status_code == 401
        assert deliver(client, "whsec_forged", POST).status_code == 401
    first = deliver(client, secret, POST)
    assert first.status_code == 202 and first.headers["RateLimit-Remaining"] == "1"
    replayed = client.post(HOOK, data=json.dumps(POST).encode(), headers={
        "X-Ogs-Signature": first.request.headers["X-Ogs-Signature"], **JSON,
    })  # fmt: skip
    assert replayed.status_code == 409  # refused before it is counted
    second = deliver(client, secret, {**POST, "version": "2"})
    assert second.status_code == 202 and second.headers["RateLimit-Remaining"] == "0"
    raw = json.dumps({**POST, "version": "3"}).encode()
    signed = {"X-Ogs-Signature": sign(secret, raw), **JSON}
    over = client.post(HOOK, data=raw, headers=signed)
    assert over.status_code == 429 and over.mimetype == "application/problem+json"
    assert int(over.headers["Retry-After"]) > 0 and "acme" in over.get_json()["detail"]
    # Refused for its rate, the delivery was not taken: the same bytes are not a replay (429, not 409).
    assert client.post(HOOK, data=raw, headers=signed).status_code == 429
    assert app.extensions["ogs.publish"].queue.queue.count == 2


def test_a_publish_hooks_cards_outlive_the_ttl_that_other_cards_are_kept_for(
    publish_env: dict[str, str], cms: CallbackReceiver, redis_client: redis.Redis, redis_prefix: str
) -> None:
    env = {**publish_env, "OGS_ASSET_TTL": "2", "OGS_MEMORY_CACHE_MB": "0"}
    app = create_app(settings_from(env))
    token, secret = tenant(app, cms)
    client = app.test_client()
    with worker_process(env):
        resp = deliver(client, secret, {**POST, "sizes": ["og"]})
        assert resp.status_code == 202
        job = wait_for(lambda: finished(client, token, resp), timeout=60)
    pinned_url = job["result"]["cards"][0]["url"]
    other = {"template": "blog-post", "fields": {"title": "Not published"}, "sizes": ["og"]}
    unpinned_url = client.post("/v1/cards", json=other, headers=bearer(token)).get_json()["cards"][0]["url"]
    assert client.get(pinned_url).status_code == 200 and client.get(unpinned_url).status_code == 200
    assert redis_client.hexists(pinned_key(redis_prefix), pinned_url.rsplit("/", 1)[1].split(".")[0])
    time.sleep(3)  # past OGS_ASSET_TTL
    assert client.get(unpinned_url).status_code == 404  # expired, as OGS_ASSET_TTL says
    assert client.get(pinned_url).status_code == 200  # pinned: stored without expiry
