"""AI layers are routed on the request's tenant's tier and paid from its budget: in POST /v1/cards'
own render, in card jobs and publish hooks on the workers, and in the ledger. Never the default
tenant's money (OGS_BUDGET_USD), never another tenant's.

The app runs in this process; real `ogservice worker` processes make the layers; AI backgrounds
come from fal's emulator (flux-schnell, which every tier is offered).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask

from ogservice import create_app
from ogservice.publish.webhooks import sign
from ogservice.tenants.model import DEFAULT_TENANT
from tests.emulators.fal import FalEmulator
from tests.layers.conftest import fal_submits, settings_from, wait_for, worker_process
from tests.web.api_keys import bearer, issue

POLLING_RATE = "100/second"
AI_CARD = {"template": "blog-post", "fields": {"title": "Who pays", "bg": "ai"}, "sizes": ["og"]}


@pytest.fixture
def app(publish_env: dict[str, str]) -> Flask:
    return create_app(settings_from(publish_env))


def _spend(app: Flask, tenant: str) -> dict[str, Any]:
    return app.extensions["ogs.gateway"].ledger.spend(tenant)


def _job(client: Any, location: str, token: str) -> dict[str, Any] | None:
    job = client.get(location, headers=bearer(token)).get_json()
    return job if job["state"] == "done" else None


def test_a_tenant_without_budget_gets_local_layers_in_the_request_not_the_default_budget(
    app: Flask, fal: FalEmulator
) -> None:
    token, _ = issue(app, "broke", tier="pro", budget_usd=0.0)
    resp = app.test_client().post("/v1/cards", json={**AI_CARD, "wait": 0}, headers=bearer(token))
    assert resp.status_code == 200  # nothing pending: the budget answered at once
    card = resp.get_json()["cards"][0]
    assert card["layers"] == [{"slot": "background", "made_by": "local", "state": "budget"}]
    assert fal_submits(fal) == 0 and _spend(app, DEFAULT_TENANT)["calls"] == 0


def test_a_card_job_spends_its_tenants_budget_recorded_per_layer_and_template(
    app: Flask, publish_env: dict[str, str]
) -> None:
    token, _ = issue(app, "acme", rate=POLLING_RATE)
    client = app.test_client()
    with worker_process(publish_env):
        resp = client.post("/v1/cards", json={**AI_CARD, "wait": 0}, headers=bearer(token))
        assert resp.status_code == 202
        job = wait_for(lambda: _job(client, resp.headers["Location"], token), timeout=60)
    assert job["result"]["cards"][0]["layers"][0]["made_by"] == "flux-schnell"
    acme = _spend(app, "acme")
    assert acme["calls"] == 1 and acme["actual_usd"] > 0
    assert acme["by_layer"]["background"]["calls"] == 1 and acme["by_template"]["blog-post"]["calls"] == 1
    assert acme["by_tier"] == {"pro": {"actual_usd": acme["actual_usd"], "calls": 1}}
    assert _spend(app, DEFAULT_TENANT)["calls"] == 0
    state = app.extensions["ogs.gateway"].budget.state("acme")
    assert state.limit_usd == 2.0 and state.spent_usd == acme["actual_usd"]


def test_a_publish_hook_of_a_tenant_without_budget_is_rendered_locally_on_the_worker(
    app: Flask, publish_env: dict[str, str], fal: FalEmulator
) -> None:
    store = app.extensions["ogs.tenants"]
    token, _, _ = store.create_key("broke", POLLING_RATE, tier="pro", budget_usd=0.0)
    secret = store.new_hook_secret("broke")
    post = {"post_id": "p1", "version": "1", "title": "Who pays", "sizes": ["og"], "fields": {"bg": "ai"}}
    raw = json.dumps(post).encode()
    client = app.test_client()
    headers = {"X-Ogs-Signature": sign(secret, raw), "Content-Type": "application/json"}
    with worker_process(publish_env):
        resp = client.post("/v1/hooks/publish?tenant=broke", data=raw, headers=headers)
        assert resp.status_code == 202
        job = wait_for(lambda: _job(client, resp.headers["Location"], token), timeout=60)
    layers = job["result"]["cards"][0]["layers"]
    assert layers == [{"slot": "background", "made_by": "local", "state": "budget"}]
    assert fal_submits(fal) == 0 and _spend(app, DEFAULT_TENANT)["calls"] == 0
