"""POST /v1/route (explain a routing decision) and GET /v1/models (the catalog, availability, health).

Both act for the caller's tenant (web/auth.py checks its API key). A route is decided the way the
gateway would execute it (gateway/cli_route.decide): its tier is the routing default, and open
breakers, a refused provider key and what is left of its budget today all filter the decision.
/v1/models shows the tenant's own spend only.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from pydantic import BaseModel, Field, ValidationError

from ..errors import UnprocessableField
from ..gateway.catalog import Capabilities, ModelSpec
from ..gateway.cli_route import RouteQuery, decide, decision_json
from ..gateway.decision import Decision
from ..gateway.registry import configured_providers
from ..gateway.service import Gateway
from ..validation import problems
from .auth import tenant_for_request
from .json_body import json_object
from .openapi import operation

bp = Blueprint("route_api", __name__)

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



@bp.post("/v1/route")
@operation({200: Decision}, body=RouteQuery, tags=("models",))
def route() -> Response:
    """Explain which model would serve this prompt, with fallbacks, rejections, cost and latency."""
    query = _query(json_object(request, example='{"prompt": "a red fox"}'))
    tenant = tenant_for_request()
    return jsonify(decision_json(decide(_gateway(), query, tenant.tier, tenant.name)))


@bp.get("/v1/models")
@operation({200: ModelsResponse}, tags=("models",))
def models() -> Response:
    """The catalog with availability (provider configured), retirement, health; the caller's spend today."""
    gateway = _gateway()
    available = configured_providers(current_app.extensions["ogs.settings"])
    listing = [_model_json(m, m.provider in available, gateway.health(m.id)) for m in gateway.catalog.models]
    spend = gateway.spend(tenant_for_request().name)
    return jsonify(ModelsResponse(models=listing, spend=spend).model_dump(mode="json"))


def _gateway() -> Gateway:
    return current_app.extensions["ogs.gateway"]


def _query(body: dict[str, Any]) -> RouteQuery:
    """The validated body; 422 naming the first bad field."""
    try:
        return RouteQuery.model_validate(body)
    except ValidationError as exc:
        where, message = problems(exc)[0]  # no location: a check across fields, its message names them
        raise UnprocessableField(f"{where}: {message}" if where else message, field=where or "body") from None


def _model_json(spec: ModelSpec, available: bool, health: str) -> ModelListing:
    """One catalog entry as GET /v1/models shows it."""
    shown = spec.model_dump(include=set(ModelListing.model_fields) - {"available", "health"})
    return ModelListing(**shown, available=available, health=health)
