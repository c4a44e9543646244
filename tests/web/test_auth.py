"""API keys on /v1 through the real app and Redis: 401s with a Bearer challenge, revocation, the dev
mode rule, every /v1 endpoint guarded (the explicit opt-out included), and each tenant's own spend."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, jsonify

from ogservice.gateway.ledger import CallRecord
from ogservice.tenants.tokens import new_token
from ogservice.web.auth import authenticated_otherwise, tenant_for_request
from tests.web.api_keys import bearer, issue, make_app


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return make_app(tmp_path)


def assert_401(resp: Any, detail: str, error: str | None) -> None:
    assert resp.status_code == 401 and resp.mimetype == "application/problem+json"
    assert resp.get_json()["detail"].startswith(detail), resp.get_json()["detail"]
    challenge = resp.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="ogservice"')
    assert (f'error="{error}"' in challenge) if error else ("error=" not in challenge)
    if error:  # the challenge names the problem; the advice stays in the body
        assert challenge.endswith(f'error_description="{resp.get_json()["detail"].split(":")[0]}"')


def test_a_valid_key_is_let_in_as_its_tenant(app):
    token, key = issue(app)
    resp = app.test_client().get("/v1/models", headers=bearer(token))
    assert resp.status_code == 200 and resp.get_json()["spend"]["tenant"] == "acme"
    assert (
        app.test_client().get("/v1/models", headers={"Authorization": f"bearer  {token} "}).status_code == 200
    )


def test_a_request_without_a_key_gets_401_with_a_bare_challenge(app):
    issue(app)
    for resp in (
        app.test_client().get("/v1/models"),
        app.test_client().post("/v1/route", json={"prompt": "x"}),
    ):
        assert_401(resp, "missing API key: send `Authorization: Bearer <key>`", None)


@pytest.mark.parametrize(
    ("header", "detail", "error"),
    [
        ("Basic YWRtaW46YWRtaW4=", "malformed Authorization header", "invalid_request"),
        ("Bearer", "malformed Authorization header", "invalid_request"),
        ("Bearer ", "malformed Authorization header", "invalid_request"),
        ("Bearer a b", "malformed Authorization header", "invalid_request"),
        ("Token ogs_live_x", "malformed Authorization header", "invalid_request"),
        ("", "malformed Authorization header", "invalid_request"),
        ("Bearer sk_live_123", "malformed API key", "invalid_token"),
        ("Bearer ogs_live_" + "A" * 38, "malformed API key", "invalid_token"),  # checksum does not match
    ],
)
def test_a_malformed_header_or_key_gets_401(app, header, detail, error):
    issue(app)
    assert_401(app.test_client().get("/v1/models", headers={"Authorization": header}), detail, error)


def test_a_wrong_key_gets_401_even_when_one_character_is_off(app, tmp_path, redis_prefix):
    token, _ = issue(app)
    elsewhere, _ = issue(make_app(tmp_path / "elsewhere", redis_prefix=redis_prefix))  # another deployment's
    assert_401(
        app.test_client().get("/v1/models", headers=bearer(elsewhere)), "unknown API key", "invalid_token"
    )
    typo = token[:12] + ("a" if token[12] != "a" else "b") + token[13:]
    assert_401(
        app.test_client().get("/v1/models", headers=bearer(typo)), "malformed API key", "invalid_token"
    )


def test_a_revoked_key_gets_401_at_once_and_the_tenants_other_key_still_works(app, tmp_path):
    old, key = issue(app)
    new, _ = issue(app)
    other_process = make_app(tmp_path / "other")  # same Redis prefix: revocation reaches every process
    assert other_process.test_client().get("/v1/models", headers=bearer(old)).status_code == 200
    app.extensions["ogs.tenants"].revoke(key.id)
    assert_401(
        other_process.test_client().get("/v1/models", headers=bearer(old)), "API key key_", "invalid_token"
    )
    assert (
        "was revoked"
        in other_process.test_client().get("/v1/models", headers=bearer(old)).get_json()["detail"]
    )
    assert other_process.test_client().get("/v1/models", headers=bearer(new)).status_code == 200


def test_outside_dev_mode_a_key_is_required_even_before_any_key_exists(app):
    assert_401(app.test_client().get("/v1/models"), "missing API key", None)


def test_dev_mode_is_open_as_the_default_tenant_until_the_first_key_is_issued(tmp_path):
    app = make_app(tmp_path, dev=True, tier="pro", budget_usd=3.0)
    resp = app.test_client().get("/v1/models")
    assert resp.status_code == 200 and resp.headers["RateLimit-Limit"] == "120"
    assert resp.get_json()["spend"]["tenant"] == "default" and resp.get_json()["spend"]["budget_usd"] == 3.0
    token, key = issue(app)
    assert_401(app.test_client().get("/v1/models"), "missing API key", None)
    assert app.test_client().get("/v1/models", headers=bearer(token)).status_code == 200
    app.extensions["ogs.tenants"].revoke(key.id)  # a revoked key still counts: /v1 stays closed
    assert_401(app.test_client().get("/v1/models"), "missing API key", None)


def test_every_v1_endpoint_needs_a_key_and_only_an_explicit_opt_out_skips_it(tmp_path):
    app = make_app(tmp_path)

    @app.post("/v1/hooks/example")
    @authenticated_otherwise("verifies an HMAC signature of the body itself")
    def signed_hook() -> Any:
        return jsonify(tenant=tenant_for_request().name)

    @app.get("/v1/things/<thing_id>")
    def added_later(thing_id: str) -> Any:  # no decorator: must be guarded all the same
        return jsonify(thing=thing_id)

    client = app.test_client()
    guarded = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/v1/")]
    assert {"/v1/route", "/v1/models", "/v1/things/<thing_id>"} <= {r.rule for r in guarded}
    for rule in guarded:
        method = sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
        resp = client.open(re.sub(r"<[^>]+>", "x", rule.rule), method=method, json={})
        exempt = getattr(app.view_functions[rule.endpoint], "ogs_authenticated_otherwise", None)
        if exempt:  # it may refuse the caller itself, but never asks for an API key
            assert "Bearer" not in resp.headers.get("WWW-Authenticate", ""), rule.rule
        else:
            assert resp.status_code == 401, rule.rule
    assert client.post("/v1/hooks/example").get_json() == {"tenant": "default"}
    assert client.get("/v1/no-such-endpoint").status_code == 401  # nothing is said about what exists
    assert client.get("/healthz").status_code == 200 and client.get("/").status_code == 200


def test_an_unreachable_redis_refuses_keys_with_503_and_leaves_cards_alone(tmp_path):
    app = make_app(tmp_path, redis_url="redis://127.0.0.1:1/0")
    client = app.test_client()
    resp = client.get("/v1/models", headers=bearer(new_token()))
    assert resp.status_code == 503 and resp.mimetype == "application/problem+json"
    assert resp.headers["Retry-After"] == "5" and "Redis is unavailable" in resp.get_json()["detail"]
    assert_401(client.get("/v1/models"), "missing API key", None)  # no Redis needed to say so
    assert_401(
        client.get("/v1/models", headers=bearer("ogs_live_typo")), "malformed API key", "invalid_token"
    )
    assert client.get("/healthz").get_json()["checks"]["api_keys"]["status"] == "degraded"
    dev = make_app(tmp_path / "dev", dev=True, redis_url="redis://127.0.0.1:1/0").test_client()
    assert dev.get("/v1/models").status_code == 200  # `make run` without Redis: nothing to check
    assert dev.get("/v1/models", headers=bearer(new_token())).status_code == 503  # a key is checked


def test_each_tenant_sees_only_its_own_spend(app):
    acme, _ = issue(app, "acme", budget_usd=2.0)
    blog, _ = issue(app, "blog", tier="free", budget_usd=0.5)
    ledger = app.extensions["ogs.gateway"].ledger
    ledger.record(CallRecord("gpt-image-1", 0.04, 0.042, "ok", 8.0, tenant="acme", tier="pro"))
    ledger.record(CallRecord("flux-schnell", 0.003, 0.003, "ok", 1.0, tenant="blog", tier="free"))
    ledger.record(CallRecord("flux-schnell", 0.003, 0.003, "ok", 1.0, tenant="default", tier="free"))
    client = app.test_client()
    for token, tenant, actual, budget, model in (
        (acme, "acme", 0.042, 2.0, "gpt-image-1"),
        (blog, "blog", 0.003, 0.5, "flux-schnell"),
    ):
        spend = client.get("/v1/models", headers=bearer(token)).get_json()["spend"]
        assert (spend["tenant"], spend["actual_usd"], spend["budget_usd"]) == (tenant, actual, budget)
        assert list(spend["by_model"]) == [model] and "by_tenant" not in spend
        assert spend["calls"] == 1


def test_the_tenants_tier_and_budget_are_the_routing_defaults(tmp_path):
    app = make_app(tmp_path, ideogram_api_key="k")
    broke, _ = issue(app, "broke", tier="free", budget_usd=0.0)
    rich, _ = issue(app, "rich", tier="enterprise", budget_usd=50.0)
    client = app.test_client()
    prompt = {"prompt": 'a neon sign saying "OPEN"'}
    poor = client.post("/v1/route", json=prompt, headers=bearer(broke)).get_json()
    assert poor["model"] == "local-type"
    assert any("remaining budget $0.0000" in r["reason"] for r in poor["rejected"])
    assert client.post("/v1/route", json=prompt, headers=bearer(rich)).get_json()["model"] == "ideogram-v3"
