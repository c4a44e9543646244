"""GET / (what this service is and a working example) and GET /healthz."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify

from ..signing import sign_url
from . import auth
from .openapi import ANY_JSON, operation

bp = Blueprint("home", __name__)

EXAMPLE_FIELDS = [
    ("title", "Layered rendering: how we cut our social image bill by 90%"),
    ("subtitle", "Procedural backgrounds, real fonts and a content-hash cache"),
    ("author", "Ada Lovelace"),
    ("date", "2026-11-21"),
    ("site", "ogservice.dev"),
    ("tag", "Engineering"),
]


def example_path() -> str:
    settings = current_app.extensions["ogs.settings"]
    return sign_url(settings.keys()[0], "/og/blog-post.png", EXAMPLE_FIELDS)


@bp.get("/healthz")
@operation({200: ANY_JSON}, security="none", tags=("meta",))
def healthz() -> Response:
    """Always 200 while this process answers: a degraded node still serves cards (without the cache,
    with in-process breaker state), so a load balancer must keep it. The shape is in README.md."""
    cards = current_app.extensions["ogs.cards"]
    checks = dependency_checks()
    degraded = any(check["status"] != "ok" for check in checks.values())
    return jsonify(status="degraded" if degraded else "ok", checks=checks, templates=sorted(cards.templates))


def dependency_checks() -> dict[str, dict[str, Any]]:
    """Each dependency as the service last found it; nothing is probed, so /healthz answers at once."""
    settings = current_app.extensions["ogs.settings"]
    checks = {"store": current_app.extensions["ogs.cards"].store.health().as_json(backend=settings.store)}
    gateway = current_app.extensions.get("ogs.gateway")
    redis_backed = {
        **(gateway.dependencies() if gateway is not None else {}),
        **auth.dependencies(current_app),
    }
    for name, health in redis_backed.items():
        checks[name] = health.as_json(backend="redis")
    return checks


@bp.get("/")
@operation({200: ANY_JSON}, security="none", tags=("meta",))
def index() -> Response:
    """What this service is: its templates, their sizes and fields, and a signed example URL."""
    cards = current_app.extensions["ogs.cards"]
    return jsonify(
        service="ogservice",
        example=example_path(),
        templates={
            name: {"sizes": list(t.sizes), "fields": list(t.fields), "description": t.description}
            for name, t in sorted(cards.templates.items())
        },
    )
