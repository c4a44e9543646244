"""GET / (what this service is and a working example) and GET /healthz."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify

from ..signing import sign_url

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
def healthz() -> Response:
    cards = current_app.extensions["ogs.cards"]
    return jsonify(status="ok", templates=sorted(cards.templates), store_errors=cards.store.errors)


@bp.get("/")
def index() -> Response:
    cards = current_app.extensions["ogs.cards"]
    return jsonify(
        service="ogservice",
        example=example_path(),
        templates={
            name: {"sizes": list(t.sizes), "fields": list(t.fields), "description": t.description}
            for name, t in sorted(cards.templates.items())
        },
    )
