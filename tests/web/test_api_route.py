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
    assert decision["fallbacks"] == ["local-procedural"]


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


class BreakerView:
    """The hook the gateway fills (app.extensions["ogs.gateway"]): breaker state, spend and budget."""

    def __init__(self, open_models: set[str]) -> None:
        self.open_models = open_models
        self.budget = self

    def health(self, model_id: str) -> str:
        return "open" if model_id in self.open_models else "closed"

    def spend(self, tenant: str | None = None) -> dict[str, Any]:
        return {"tenant": tenant, "actual_usd": 1.25, "budget_usd": 10.0}

    def remaining(self, tenant: str) -> float:
        return 8.75


def test_gateway_health_and_spend_feed_models_and_routing(tmp_path: Path):
    app = make_app(tmp_path, ideogram_api_key="k", openai_api_key="k")
    app.extensions["ogs.gateway"] = BreakerView({"ideogram-v3"})
    client = app.test_client()
    body = client.get("/v1/models").get_json()
    assert {m["id"]: m["health"] for m in body["models"]}["ideogram-v3"] == "open"
    assert body["spend"] == {"tenant": "default", "actual_usd": 1.25, "budget_usd": 10.0}
    decision = client.post("/v1/route", json={"prompt": "text saying 'A'"}).get_json()
    assert decision["model"] == "gpt-image-1.5"
    assert {"model": "ideogram-v3", "reason": "circuit open (recent failures)"} in decision["rejected"]


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
