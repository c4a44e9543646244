"""POST /v1/route and GET /v1/models through the real app: decisions, problem+json errors, catalog listing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from ogservice import create_app
from ogservice.config import load_settings
from ogservice.gateway.catalog import load_catalog
from ogservice.web.api_route import bp

CATALOG = """
[[model]]
id = "ideogram-v3"
provider = "ideogram"
price = { draft = 0.03, standard = 0.06, high = 0.09, ultra = 0.09 }
latency_p50_s = 9.0
latency_p95_s = 20.0

[[model]]
id = "gpt-image-1.5"
provider = "openai"
price = { default = 0.034 }
latency_p50_s = 8.0
latency_p95_s = 25.0

[[model]]
id = "dall-e-3"
provider = "openai"
price = { default = 0.04 }
retired = "2026-05-12: shut down by the vendor"
"""


def make_app(tmp_path: Path, **settings: Any) -> Flask:
    models = tmp_path / "models.toml"
    models.write_text(CATALOG)
    app = create_app(load_settings(dev=True, data_dir=tmp_path / "data", models_file=models, **settings))
    if bp.name not in app.blueprints:  # the app factory registers it; older factories did not
        app.register_blueprint(bp)
    return app


@pytest.fixture
def client(tmp_path: Path):
    return make_app(tmp_path, ideogram_api_key="k-ideogram").test_client()


def test_route_answers_the_decision(client):
    resp = client.post("/v1/route", json={"prompt": 'a neon sign saying "OPEN"', "size": "1200x630"})
    assert resp.status_code == 200
    body = resp.get_json()
    assert (body["model"], body["intent"], body["rule"]) == ("ideogram-v3", "typography", "typography")
    assert body["fallbacks"] == ["local-type"]
    unconfigured = "provider openai not configured (set OGS_OPENAI_API_KEY)"
    assert {"model": "gpt-image-1.5", "reason": unconfigured} in body["rejected"]
    assert (body["predicted_cost_usd"], body["predicted_latency_s"]) == (0.06, 9.0)
    assert body["reasons"][0].startswith("intent typography")


def test_route_without_vendor_keys_is_served_locally(tmp_path: Path):
    body = make_app(tmp_path).test_client().post("/v1/route", json={"prompt": "a calm lake"}).get_json()
    assert (body["model"], body["predicted_cost_usd"]) == ("local-procedural", 0.0)


def test_route_applies_budget_deadline_and_explicit_model(client):
    body = client.post("/v1/route", json={"prompt": "text saying 'A'", "budget": 0.01}).get_json()
    assert body["model"] == "local-type"
    assert body["rejected"][0]["reason"] == "predicted cost $0.0600 > remaining budget $0.0100"
    body = client.post("/v1/route", json={"prompt": "text saying 'A'", "deadline": 5}).get_json()
    assert body["rejected"][0]["reason"] == "latency p95 20 s > deadline 5 s"
    body = client.post("/v1/route", json={"prompt": "a lake", "model": "ideogram-v3", "tier": "pro"})
    decision = body.get_json()
    assert (decision["model"], decision["rule"]) == ("ideogram-v3", "explicit")
    assert decision["fallbacks"] == []  # the named model or nothing, unless a fallback is asked for


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        (None, 400, "expected a JSON object body"),
        (["a list"], 400, "expected a JSON object body"),
        ({}, 422, "prompt: Field required"),
        ({"prompt": "  "}, 422, "prompt: prompt is blank"),
        ({"prompt": "x", "tier": "gold"}, 422, "tier: Input should be 'free', 'pro' or 'enterprise'"),
        ({"prompt": "x", "quality": "hd"}, 422, "quality: Input should be"),
        ({"prompt": "x", "size": "big"}, 422, "size: String should match pattern"),
        ({"prompt": "x", "size": "10x10"}, 422, "width: Input should be greater than or equal to 64"),
        ({"prompt": "x", "budget": -1}, 422, "budget: Input should be greater than or equal to 0"),
        ({"prompt": "x", "promt": "y"}, 422, "promt: Extra inputs are not permitted"),
        (
            {"prompt": "x", "model": "ideogram-3"},
            422,
            "unknown model 'ideogram-3': not in the catalog; did you",
        ),
    ],
)
def test_bad_input_is_a_problem_document_never_a_500(client, body: Any, status: int, detail: str):
    resp = client.post("/v1/route", json=body) if body is not None else client.post("/v1/route", data="{nope")
    assert resp.status_code == status
    assert resp.mimetype == "application/problem+json"
    assert resp.get_json()["detail"].startswith(detail)


def test_models_lists_the_catalog_with_availability(client):
    body = client.get("/v1/models").get_json()
    by_id = {m["id"]: m for m in body["models"]}
    assert list(by_id) == ["ideogram-v3", "gpt-image-1.5", "dall-e-3", "local-procedural", "local-type"]
    assert by_id["ideogram-v3"]["available"] is True and by_id["gpt-image-1.5"]["available"] is False
    assert by_id["dall-e-3"]["retired"] == "2026-05-12: shut down by the vendor"
    assert by_id["ideogram-v3"]["price"]["high"] == 0.09 and by_id["ideogram-v3"]["latency_p95_s"] == 20.0
    assert by_id["ideogram-v3"]["tiers"] == ["free", "pro", "enterprise"]
    # The app's own gateway reports breaker state and today's spend (nothing has failed or been spent).
    assert {m["health"] for m in body["models"]} == {"closed"} and isinstance(body["spend"], dict)


def test_gateway_health_and_spend_feed_models_and_routing(tmp_path: Path):
    app = make_app(tmp_path, ideogram_api_key="k", openai_api_key="k")
    gateway = app.extensions["ogs.gateway"]
    for _ in range(3):  # three failures in a row open a breaker
        gateway.breaker.record("ideogram-v3", ok=False)
    client = app.test_client()
    body = client.get("/v1/models").get_json()
    assert {m["id"]: m["health"] for m in body["models"]}["ideogram-v3"] == "open"
    assert body["spend"]["tenant"] == "default" and body["spend"]["remaining_usd"] == 10.0
    decision = client.post("/v1/route", json={"prompt": "text saying 'A'"}).get_json()
    assert decision["model"] == "gpt-image-1.5"
    assert {"model": "ideogram-v3", "reason": "circuit open (recent failures)"} in decision["rejected"]


def test_route_is_decided_with_what_is_left_of_the_budget_even_when_the_body_names_one(tmp_path: Path):
    app = make_app(tmp_path, ideogram_api_key="k")
    gateway = app.extensions["ogs.gateway"]
    gateway.budget.settle(gateway.budget.reserve("default", 9.99), 9.99)  # $0.01 left today
    body = app.test_client().post("/v1/route", json={"prompt": "text saying 'A'", "budget": 5}).get_json()
    assert body["model"] == "local-type"  # what the gateway would do: $0.06 is over what is left
    assert body["rejected"][0]["reason"] == "predicted cost $0.0600 > remaining budget $0.0100"


def test_route_rejects_the_models_of_a_provider_whose_key_was_refused(tmp_path: Path):
    from ogservice.gateway.service import provider_key

    app = make_app(tmp_path, ideogram_api_key="k", openai_api_key="k")
    app.extensions["ogs.gateway"].breaker.trip(provider_key("ideogram"))
    body = app.test_client().post("/v1/route", json={"prompt": "text saying 'A'"}).get_json()
    assert body["model"] == "gpt-image-1.5"
    refused = "provider ideogram refused the API key (check OGS_IDEOGRAM_API_KEY)"
    assert {"model": "ideogram-v3", "reason": refused} in body["rejected"]


def test_a_named_model_that_cannot_serve_is_a_422_unless_fallback_is_asked_for(client):
    ask = {"prompt": "a lake", "model": "ideogram-v3", "budget": 0.01}
    resp = client.post("/v1/route", json=ask)
    assert resp.status_code == 422 and resp.mimetype == "application/problem+json"
    problem = resp.get_json()
    assert problem["field"] == "model" and problem["title"] == "Model unavailable"
    assert problem["detail"].startswith(
        "model 'ideogram-v3' cannot serve this request: predicted cost $0.0600"
    )
    decision = client.post("/v1/route", json={**ask, "fallback": True}).get_json()
    assert (decision["requested"], decision["model"]) == ("ideogram-v3", "local-procedural")
    assert any(
        r.startswith("substituted: local-procedural serves in place of ideogram-v3")
        for r in decision["reasons"]
    )


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"aspect_ratio": "99:1"}, "aspect_ratio 99:1 at 1024x1024 pixels makes a 10189x103 image"),
        (
            {"aspect_ratio": "1:99", "size": "4096x4096"},
            "aspect_ratio 1:99 at 4096x4096 pixels makes a 412x40755",
        ),
        ({"aspect_ratio": "1:1", "size": "64x64"}, None),
        ({"aspect_ratio": "1:2", "size": "64x64"}, "aspect_ratio 1:2 at 64x64 pixels makes a 45x91 image"),
    ],
)
def test_extreme_aspect_ratios_are_a_422_naming_the_limits(
    tmp_path: Path, body: dict[str, str], detail: str | None
):
    """A model that prices by size (gpt-image-2) used to turn 99:1 into a 10,189 px wide request: 500."""
    app = create_app(load_settings(dev=True, data_dir=tmp_path / "data", openai_api_key="k"))
    resp = app.test_client().post("/v1/route", json={"prompt": "a fox", **body})
    if detail is None:
        assert resp.status_code == 200
        return
    assert resp.status_code == 422 and resp.mimetype == "application/problem+json"
    assert resp.get_json()["detail"].startswith(detail)
    assert "each side must be 64 to 4096 pixels" in resp.get_json()["detail"]


def test_shipped_catalog_is_used_without_a_models_file(tmp_path: Path):
    app = create_app(load_settings(dev=True, data_dir=tmp_path / "data"))
    if bp.name not in app.blueprints:
        app.register_blueprint(bp)
    ids = [m["id"] for m in app.test_client().get("/v1/models").get_json()["models"]]
    assert ids == list(load_catalog().ids())


@pytest.mark.parametrize(
    ("raw", "detail"),
    [
        ("[" * 100_000 + "]" * 100_000, "JSON body nests deeper than"),
        ('{"prompt": ' + "[" * 2_000 + "]" * 2_000 + "}", "JSON body nests deeper than"),
        ('{"a": ' * 5_000 + "1" + "}" * 5_000, "JSON body nests deeper than"),
        ('{"prompt": "x", "prompt": "y"}', "JSON body repeats the key 'prompt'"),
        ('{"prompt": "x", "budget": NaN}', "JSON body is not valid JSON"),
        ('{"prompt": "x", "deadline": Infinity}', "JSON body is not valid JSON"),
        ('{"prompt": "x", "budget": 1e400}', "JSON body is not valid JSON"),
        ('{"prompt": "x"', "JSON body is not valid JSON"),
        ('{"prompt": "\\ud800"}', "JSON body is not valid JSON"),
        (b'{"prompt": "\xff"}', "JSON body is not valid JSON"),
    ],
    ids=[
        "deep-array",
        "deep-value",
        "deep-object",
        "repeated-key",
        "nan",
        "infinity",
        "overflow",
        "truncated",
        "lone-surrogate",
        "bad-utf8",
    ],
)
def test_malformed_json_is_a_400_problem_document(client, raw: str | bytes, detail: str):
    resp = client.post("/v1/route", data=raw, content_type="application/json")
    assert resp.status_code == 400 and resp.mimetype == "application/problem+json"
    assert resp.get_json()["detail"].startswith(detail)


@pytest.mark.parametrize(
    "body",
    [
        {"prompt": "x", "size": "٣٣٣x٣٣٣"},
        {"prompt": "x", "size": "1024x1024\n"},
        {"prompt": "x", "aspect_ratio": "١٦:٩"},
    ],
)
def test_sizes_and_aspects_take_ascii_digits_only(client, body: dict[str, str]):
    resp = client.post("/v1/route", json=body)
    assert resp.status_code == 422 and resp.mimetype == "application/problem+json"
