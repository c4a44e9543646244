"""POST /v1/route (explain a routing decision) and GET /v1/models (the catalog, availability, health).

The router is built once per app when the blueprint is registered (app.extensions["ogs.router"]).
When the gateway (app.extensions["ogs.gateway"]) is present, open breakers feed the decision and
`health`/`spend` feed the model list; without it health is "unknown".
Both endpoints act for the caller's tenant (web/auth.py checks its API key): its tier and remaining
budget are the routing defaults, and /v1/models shows its own spend only.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from flask.blueprints import BlueprintSetupState
from pydantic import BaseModel, Field, ValidationError

from ..config import Settings
from ..errors import UnprocessableField
from ..gateway.catalog import Capabilities, ModelSpec, unknown_model_message
from ..gateway.cli_route import RouteQuery, build_router, configured_providers, decision_json
from ..gateway.decision import Decision
from ..gateway.router import Router
from ..tenants.model import Tenant
from ..validation import first_problem, problems
from .auth import tenant_for_request
from .json_body import json_object
from .openapi import operation

bp = Blueprint("route_api", __name__)

# Breaker states that keep a model out of routing (the gateway's Breaker: closed | open | half-open).
UNHEALTHY = frozenset({"open"})


class ModelListing(BaseModel):
    """One catalog entry as GET /v1/models shows it."""

    id: str
    provider: str
    vendor_model: str
    capabilities: Capabilities
    price: dict[str, float] = Field(description="USD per image: {quality: price} or {default: price}.")
    price_transparent: dict[str, float]
    price_per_mp: float | None
    latency_p50_s: float
    latency_p95_s: float
    tiers: list[str]
    sizes: list[str]
    aspects: list[str]
    available: bool = Field(description="Its provider is configured (key or base URL set).")
    retired: str | None
    deprecated: str | None
    health: str = Field(description="closed | open | half-open (its breaker), or unknown.")


class ModelsResponse(BaseModel):
    """GET /v1/models: the catalog, and the caller's tenant's spend today."""

    models: list[ModelListing]
    spend: dict[str, Any] | None = Field(description="Per model and tier, the budget and what is left of it.")


@bp.record_once
def _build_router(state: BlueprintSetupState) -> None:
    """Load catalog and rules at start-up, so a broken config refuses to start instead of failing later.

    The app's gateway already built a router from the same settings: share it rather than build twice.
    """
    gateway = state.app.extensions.get("ogs.gateway")
    router = gateway.router if gateway is not None else build_router(state.app.extensions["ogs.settings"])
    state.app.extensions["ogs.router"] = router


@bp.post("/v1/route")
@operation({200: Decision}, body=RouteQuery, tags=("models",))
def route() -> Response:
    """Explain which model would serve this prompt, with fallbacks, rejections, cost and latency."""
    query = _query(json_object(request, example='{"prompt": "a red fox"}'))
    router: Router = current_app.extensions["ogs.router"]
    if query.model and not router.knows(query.model):
        raise UnprocessableField(unknown_model_message(query.model, router.catalog.ids()), field="model")
    try:
        req = query.image_request()
    except ValidationError as exc:
        raise UnprocessableField(first_problem(exc, default="body"), field="size") from None
    ctx = query.context(_settings(), **_gateway_knowledge(router))
    ctx = ctx.model_copy(update=_tenant_defaults(query, tenant_for_request()))
    return jsonify(decision_json(router.decide(req, ctx)))


@bp.get("/v1/models")
@operation({200: ModelsResponse}, tags=("models",))
def models() -> Response:
    """The catalog with availability (provider configured), retirement, health; the caller's spend today."""
    router: Router = current_app.extensions["ogs.router"]
    available = configured_providers(_settings())
    gateway = current_app.extensions.get("ogs.gateway")
    listing = [_model_json(m, m.provider in available, _health(gateway, m.id)) for m in router.catalog.models]
    spend = gateway.spend(tenant_for_request().name) if gateway is not None else None
    return jsonify(ModelsResponse(models=listing, spend=spend).model_dump(mode="json"))


def _query(body: dict[str, Any]) -> RouteQuery:
    """The validated body; 422 naming the first bad field."""
    try:
        return RouteQuery.model_validate(body)
    except ValidationError as exc:
        field = problems(exc)[0][0]
        raise UnprocessableField(first_problem(exc, default="body"), field=field) from None


def _tenant_defaults(query: RouteQuery, tenant: Tenant) -> dict[str, Any]:
    """The caller's tier and what is left of its budget today, where the body does not say otherwise."""
    defaults: dict[str, Any] = {} if query.tier else {"tier": tenant.tier}
    gateway = current_app.extensions.get("ogs.gateway")
    if query.budget is None and gateway is not None:
        defaults["budget_remaining_usd"] = gateway.budget.remaining(tenant.name)
    return defaults


def _settings() -> Settings:
    return current_app.extensions["ogs.settings"]


def _gateway_knowledge(router: Router) -> dict[str, Any]:
    """Open breakers from the gateway, when one is installed."""
    gateway = current_app.extensions.get("ogs.gateway")
    if gateway is None:
        return {}
    return {"unhealthy_models": frozenset(i for i in router.catalog.ids() if gateway.health(i) in UNHEALTHY)}


def _health(gateway: Any, model_id: str) -> str:
    return gateway.health(model_id) if gateway is not None else "unknown"


def _model_json(spec: ModelSpec, available: bool, health: str) -> ModelListing:
    """One catalog entry as GET /v1/models shows it."""
    shown = spec.model_dump(include=set(ModelListing.model_fields) - {"available", "health"})
    return ModelListing(**shown, available=available, health=health)
