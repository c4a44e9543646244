"""/openapi.json describes every route, from the models that validate the bodies; /docs shows it."""

from __future__ import annotations

import json
import time

from ogservice.gateway.cli_route import RouteQuery
from ogservice.publish.models import CardsRequest, GhostWebhook, PublishPayload
from ogservice.publish.webhooks import sign_ghost
from ogservice.web.openapi import openapi_path
from tests.web.api_keys import make_app

UNDOCUMENTED = {"static"}  # Flask's static files: not part of the API


def test_every_route_is_in_the_document(tmp_path):
    """Fails when a route (a /v1 one above all) is added without @operation."""
    app = make_app(tmp_path)
    paths = app.test_client().get("/openapi.json").json["paths"]
    missing = [
        f"{method} {rule.rule}"
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in UNDOCUMENTED
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
        if method.lower() not in paths.get(openapi_path(rule.rule), {})
    ]
    assert not missing, f"routes missing from /openapi.json (add @operation under the route): {missing}"
    assert any(rule.rule.startswith("/v1/") for rule in app.url_map.iter_rules())


def test_request_bodies_are_the_validating_models(tmp_path):
    doc = make_app(tmp_path).test_client().get("/openapi.json").json
    assert doc["openapi"].startswith("3.1")
    schemas = doc["components"]["schemas"]
    for path, models in [
        ("/v1/cards", [CardsRequest]),
        ("/v1/route", [RouteQuery]),
        ("/v1/hooks/publish", [PublishPayload, GhostWebhook]),
    ]:
        body = doc["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
        refs = [ref["$ref"] for ref in body.get("anyOf", [body])]
        for ref, model in zip(refs, models, strict=True):
            name = ref.rsplit("/", 1)[-1]
            assert schemas[name]["properties"].keys() == model.model_json_schema()["properties"].keys()


def test_a_ghost_webhook_is_validated_by_the_documented_model(tmp_path):
    """Ghost's body is checked by GhostWebhook (the document's model), so a bad field is named where
    Ghost put it, not after mapping to the generic payload."""
    app = make_app(tmp_path)
    app.extensions["ogs.tenants"].create_key("acme", tier="pro", budget_usd=1.0)
    secret = app.extensions["ogs.tenants"].new_hook_secret("acme")
    ghost = {"post": {"current": {"id": 42, "updated_at": "2026-12-07T10:00:00.000Z", "title": "Hi"}}}
    raw = json.dumps(ghost).encode()
    signature = sign_ghost(secret, raw, int(time.time() * 1000))
    resp = app.test_client().post(
        "/v1/hooks/publish?tenant=acme",
        data=raw,
        headers={"X-Ghost-Signature": signature, "Content-Type": "application/json"},
    )
    assert resp.status_code == 422 and resp.mimetype == "application/problem+json"
    assert resp.json["field"] == "post.current.id"


def test_security_and_problem_responses(tmp_path):
    doc = make_app(tmp_path).test_client().get("/openapi.json").json
    cards = doc["paths"]["/v1/cards"]["post"]
    assert cards["security"] == [{"bearer": []}]
    for status in ("400", "401", "413", "422", "429"):
        assert "application/problem+json" in cards["responses"][status]["content"], status
    hook = doc["paths"]["/v1/hooks/publish"]["post"]
    assert hook["security"] == [{"ogsSignature": []}, {"ghostSignature": []}]
    assert "429" not in hook["responses"]  # not behind API keys, so not rate limited
    assert doc["paths"]["/og/{name}.{ext}"]["get"]["security"] == []


def test_docs_page_lists_every_operation_without_scripts(tmp_path):
    client = make_app(tmp_path).test_client()
    page = client.get("/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "<script" not in html  # nothing to fetch from a CDN: works offline
    for path, methods in client.get("/openapi.json").json["paths"].items():
        for method in methods:
            assert f"{method.upper()}</span> <code>{path}</code>" in html
