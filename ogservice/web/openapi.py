"""The OpenAPI 3.1 document (GET /openapi.json), built from the pydantic models the views validate with.

Documenting an endpoint is one decorator, under its route, naming what it reads and answers:

    @bp.post("/v1/cards")
    @operation({200: CardsResponse, 202: JobAccepted}, body=CardsRequest, errors=(404,))
    def create_cards() -> Response:
        '''First paragraph: the summary; the rest: the description.'''
        body = validated(CardsRequest, json_object(request, example=EXAMPLE))

The path, its parameters and the method come from Flask's url_map, the summary from the docstring,
the schemas from the models (pydantic's JSON Schema is OpenAPI 3.1's dialect), so the document
cannot drift from the routes or the validation. Every route must carry @operation
(tests/web/test_openapi.py fails otherwise). A /v1 route gets Bearer security and the 401, 429 and
503 problem responses unless `security` says otherwise; a JSON body adds 400, 413 and 422.
Why not spectree or flask-openapi3: both validate the body themselves, with their own error shape,
which would bypass the strict JSON reader (json_body.py) and the problem+json errors.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from flask import Flask
from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from .. import __version__
from ..errors import OgsError, error_for_status
from .auth import API_PREFIX

View = TypeVar("View", bound=Callable[..., Any])
Security = Literal["bearer", "signature", "none"]
# A response is a model (its JSON), a media type -> schema mapping (images), or None (no body).
ResponseSpec = type[BaseModel] | Mapping[str, dict[str, Any]] | None
# A request body: its model, or the models it may be one of (the publish hook: generic or Ghost's).
Body = type[BaseModel] | tuple[type[BaseModel], ...] | None

REF = "#/components/schemas/{model}"
PROBLEM = "application/problem+json"
JSON_BODY_ERRORS = (400, 413, 422)  # not JSON / not an object (400), over 256 KB (413), a bad field (422)
BEARER_ERRORS = (401, 429, 503)  # no or bad key, over its rate, Redis (where keys live) down
_FLASK_ARG = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
_IGNORED_METHODS = {"HEAD", "OPTIONS"}

ANY_JSON = {"application/json": {"schema": {"type": "object"}}}  # a response with no model yet

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; extra members (field, parameter, retry_after) say more.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
    },
}


@dataclass(frozen=True)
class Operation:
    """What one view reads and answers, as the document shows it."""

    responses: Mapping[int, ResponseSpec]
    body: Body = None
    body_media: str = "application/json"
    body_schema: dict[str, Any] | None = None  # a body with no model (multipart upload)
    errors: tuple[int, ...] = ()
    security: Security = "bearer"
    parameters: tuple[dict[str, Any], ...] = ()
    tags: tuple[str, ...] = ()
    summary: str = ""
    description: str = ""

    def all_errors(self, path: str) -> list[int]:
        implied = JSON_BODY_ERRORS if self.body is not None else ()
        guarded = BEARER_ERRORS if self.security == "bearer" and path.startswith(API_PREFIX) else ()
        return sorted({*self.errors, *implied, *guarded})


def operation(
    responses: Mapping[int, ResponseSpec],
    *,
    body: Body = None,
    errors: tuple[int, ...] = (),
    security: Security = "bearer",
    **more: Any,
) -> Callable[[View], View]:
    """Describe a view in /openapi.json (see the module docstring). `more`: Operation's other fields."""

    def mark(view: View) -> View:
        summary, _, description = inspect.cleandoc(view.__doc__ or "").partition("\n\n")
        view.ogs_openapi = Operation(  # type: ignore[attr-defined]
            responses=responses, body=body, errors=errors, security=security,
            summary=" ".join(summary.split()), description=description, **more,
        )  # fmt: skip
        return view

    return mark


def image_media(formats: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The image types a card or asset may come as (one per format this Pillow writes)."""
    return {f.mime: {"schema": {"type": "string", "contentMediaType": f.mime}} for f in formats.values()}


def json_of(kind: type) -> dict[str, dict[str, Any]]:
    """A JSON response of a dataclass (or any type pydantic knows) with no model of its own."""
    return {"application/json": {"schema": TypeAdapter(kind).json_schema(mode="serialization")}}


def documented(app: Flask, view_name: str) -> Operation | None:
    return getattr(app.view_functions.get(view_name), "ogs_openapi", None)


def openapi_path(rule: str) -> str:
    """Flask's `/v1/jobs/<job_id>` as OpenAPI's `/v1/jobs/{job_id}`."""
    return _FLASK_ARG.sub(r"{\1}", rule)


def build_document(app: Flask) -> dict[str, Any]:
    """The whole document for this app's routes."""
    found = [
        (openapi_path(rule.rule), method.lower(), rule, op)
        for rule in app.url_map.iter_rules()
        if (op := documented(app, rule.endpoint)) is not None
        for method in sorted((rule.methods or set()) - _IGNORED_METHODS)
    ]
    schemas, refs = _schemas([op for *_, op in found])
    paths: dict[str, dict[str, Any]] = {}
    for path, method, rule, op in sorted(found, key=lambda f: (f[0], f[1])):
        paths.setdefault(path, {})[method] = _operation(path, method, rule.arguments, op, refs)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ogservice",
            "version": __version__,
            "description": "Open Graph cards and promo banners: signed GET URLs, and the /v1 API.",
        },
        "paths": paths,
        "components": {"schemas": {**schemas, "Problem": PROBLEM_SCHEMA}, "securitySchemes": SECURITY},
    }


SECURITY: dict[str, Any] = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key from `ogservice keys create`. Dev mode serves /v1 without one "
        "until the first key exists.",
    },
    "ogsSignature": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Ogs-Signature",
        "description": "t=<unix time>,v1=<hex HMAC-SHA256 of '<t>.<raw body>' with the tenant's hook secret>",
    },
    "ghostSignature": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Ghost-Signature",
        "description": "Ghost's own webhook signature: sha256=<hex>, t=<unix milliseconds>",
    },
}
_SECURITY_OF: dict[Security, list[dict[str, list[str]]]] = {
    "bearer": [{"bearer": []}],
    "signature": [{"ogsSignature": []}, {"ghostSignature": []}],
    "none": [],
}


def _schemas(ops: list[Operation]) -> tuple[dict[str, Any], dict[tuple[type[BaseModel], str], Any]]:
    """Every model's schema under components/schemas, and the $ref of each (model, mode)."""
    wanted: set[tuple[type[BaseModel], JsonSchemaMode]] = set()
    for op in ops:
        wanted.update((model, "validation") for model in _body_models(op.body))
        wanted.update((spec, "serialization") for spec in op.responses.values() if _is_model(spec))
    ordered = sorted(wanted, key=lambda pair: (pair[0].__name__, pair[1]))
    refs, top = models_json_schema(ordered, ref_template=REF)
    return top.get("$defs", {}), dict(refs)


def _body_models(body: Body) -> tuple[type[BaseModel], ...]:
    return () if body is None else body if isinstance(body, tuple) else (body,)


def _body_schema(op: Operation, refs: Mapping[Any, Any]) -> dict[str, Any] | None:
    models = [refs[(model, "validation")] for model in _body_models(op.body)]
    return models[0] if len(models) == 1 else {"anyOf": models} if models else op.body_schema


def _is_model(spec: object) -> bool:
    return isinstance(spec, type) and issubclass(spec, BaseModel)


def _operation(path: str, method: str, args: Any, op: Operation, refs: Mapping[Any, Any]) -> dict[str, Any]:
    given = {p["name"] for p in op.parameters if p["in"] == "path"}
    path_params = [{"name": a, "in": "path", "required": True, "schema": {"type": "string"}} for a in args]
    out: dict[str, Any] = {
        "operationId": f"{method}_{path.strip('/').replace('/', '_').replace('{', '').replace('}', '')}"
        or f"{method}_root",
        "summary": op.summary,
        "parameters": [*[p for p in path_params if p["name"] not in given], *op.parameters],
        "responses": {str(status): _response(spec, refs) for status, spec in op.responses.items()},
        "security": _SECURITY_OF[op.security],
    }
    if op.description:
        out["description"] = op.description
    if op.tags:
        out["tags"] = list(op.tags)
    schema = _body_schema(op, refs)
    if schema is not None:
        out["requestBody"] = {"required": True, "content": {op.body_media: {"schema": schema}}}
    for status in op.all_errors(path):
        out["responses"].setdefault(str(status), _problem(error_for_status(status, "", "")))
    return out


def _response(spec: ResponseSpec, refs: Mapping[Any, Any]) -> dict[str, Any]:
    if spec is None:
        return {"description": "No body."}
    if _is_model(spec):
        model: type[BaseModel] = spec  # type: ignore[assignment]
        doc = (model.__doc__ or model.__name__).strip().split("\n")[0]
        schema = refs[(model, "serialization")]
        return {"description": doc, "content": {"application/json": {"schema": schema}}}
    content = {media: {"schema": schema} for media, schema in spec.items()}  # type: ignore[union-attr]
    return {"description": "See the content types.", "content": content}


def _problem(err: OgsError) -> dict[str, Any]:
    return {
        "description": err.title,
        "content": {PROBLEM: {"schema": {"$ref": REF.format(model="Problem")}}},
    }
