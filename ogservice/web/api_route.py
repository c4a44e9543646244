"""POST /v1/route (explain a routing decision) and GET /v1/models (the catalog, availability, health).

Both act for the caller's tenant (web/auth.py checks its API key). A route is decided the way the
gateway would execute it (gateway/cli_route.decide): its tier is the routing default, and open
breakers, a refused provider key and what is left of its budget today all filter the decision.
/v1/models shows the tenant's own spend only.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from pydantic import ValidationError

from ..errors import UnprocessableField
from ..gateway.catalog import ModelSpec
from ..gateway.cli_route import RouteQuery, decide, decision_json
from ..gateway.registry import configured_providers
from ..gateway.service import Gateway
from ..validation import problems
from .auth import tenant_for_request
from .json_body import json_object

bp = Blueprint("route_api", __name__)


@bp.post("/v1/route")
def route() -> Response:
    """Explain which model would serve this prompt, with fallbacks, rejections, cost and latency."""
    query = _query(json_object(request, example='{"prompt": "a red fox"}'))
    tenant = tenant_for_request()
    return jsonify(decision_json(decide(_gateway(), query, tenant.tier, tenant.name)))


@bp.get("/v1/models")
def models() -> Response:
    """The catalog with availability (provider configured), retirement, health; the caller's spend today."""
    gateway = _gateway()
    available = configured_providers(current_app.extensions["ogs.settings"])
    listing = [_model_json(m, m.provider in available, gateway.health(m.id)) for m in gateway.catalog.models]
    return jsonify(models=listing, spend=gateway.spend(tenant_for_request().name))


def _gateway() -> Gateway:
    return current_app.extensions["ogs.gateway"]


def _query(body: dict[str, Any]) -> RouteQuery:
    """The validated body; 422 naming the first bad field."""
    try:
        return RouteQuery.model_validate(body)
    except ValidationError as exc:
        where, message = problems(exc)[0]  # no location: a check across fields, its message names them
        raise UnprocessableField(f"{where}: {message}" if where else message, field=where or "body") from None


def _model_json(spec: ModelSpec, available: bool, health: str) -> dict[str, Any]:
    """One catalog entry as GET /v1/models shows it."""
    return {
        "id": spec.id,
        "provider": spec.provider,
        "vendor_model": spec.vendor_model,
        "capabilities": spec.capabilities.model_dump(),
        "price": spec.price,
        "price_transparent": spec.price_transparent,
        "price_per_mp": spec.price_per_mp,
        "latency_p50_s": spec.latency_p50_s,
        "latency_p95_s": spec.latency_p95_s,
        "tiers": list(spec.tiers),
        "sizes": list(spec.sizes),
        "aspects": list(spec.aspects),
        "available": available,
        "retired": spec.retired,
        "deprecated": spec.deprecated,
        "health": health,
    }
