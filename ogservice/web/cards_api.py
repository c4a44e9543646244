"""POST /v1/cards (every size of a card in one call) and GET /v1/jobs/<id> (a job's progress).

POST /v1/cards waits up to `wait` seconds for AI layers in this request; a card whose layers are
still being made then becomes a job (recorded in Redis, run by the workers) and the answer is 202
with `Location: /v1/jobs/<id>`. Jobs are the caller's tenant's: another tenant's id is a 404.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import redis
from flask import Blueprint, Flask, Response, current_app, jsonify, request
from flask.blueprints import BlueprintSetupState
from pydantic import BaseModel, ValidationError

from ..errors import NotFound, OgsError, ServiceUnavailable, UnprocessableField
from ..pipeline import CardService
from ..publish.body_terms import card_body_path, in_body_terms
from ..publish.deliveries import Idempotency
from ..publish.jobs import JobRecord, JobStore, RenderSpec
from ..publish.models import CardsRequest, CardsResponse, JobAccepted, JobView
from ..publish.queue import CardQueue
from ..publish.render import render_sizes
from ..publish.webhooks import ReplayGuard
from ..validation import first_problem, problems
from .auth import tenant_for_request
from .json_body import json_object
from .openapi import operation

bp = Blueprint("cards_api", __name__)
M = TypeVar("M", bound=BaseModel)
EXAMPLE = '{"template": "blog-post", "fields": {"title": "Hello"}, "sizes": ["og", "square"]}'


@dataclass(frozen=True)
class PublishServices:
    """Job records, the card queue, replay and idempotency records: one Redis client per app."""

    jobs: JobStore
    queue: CardQueue
    replays: ReplayGuard
    idempotency: Idempotency


@bp.record_once
def _services(state: BlueprintSetupState) -> None:
    settings = state.app.extensions["ogs.settings"]
    client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=0.5, socket_timeout=2.0)
    prefix = settings.redis_prefix
    state.app.extensions["ogs.publish"] = PublishServices(
        JobStore(client, prefix), CardQueue(client, prefix), ReplayGuard(client, prefix),
        Idempotency(client, prefix),
    )  # fmt: skip


def publish_services(app: Flask | None = None) -> PublishServices:
    return (app or current_app).extensions["ogs.publish"]


@bp.post("/v1/cards")
@operation({200: CardsResponse, 202: JobAccepted}, body=CardsRequest, errors=(404,), tags=("cards",))
def create_cards() -> Response:
    """Render each size; 200 with every card once settled, else 202 and a job to poll."""
    body = validated(CardsRequest, json_object(request, example=EXAMPLE))
    cards: CardService = current_app.extensions["ogs.cards"]
    spec = RenderSpec(
        template=body.template, fields=body.fields, sizes=body.sizes, format=body.format,
        max_bytes=body.max_bytes,
    )  # fmt: skip
    tenant = tenant_for_request()  # its tier routes the AI layers, its budget pays for them
    try:
        results = render_sizes(cards, spec, time.monotonic() + body.wait, tenant=tenant)
    except OgsError as exc:
        raise in_body_terms(exc, card_body_path) from None
    if all(r.settled for r in results.values()):
        response = CardsResponse(template=body.template, cards=[r.result for r in results.values()])
        return jsonify(response.model_dump())
    partial = {size: r.result for size, r in results.items() if r.settled}
    return accepted(start_job(tenant.name, "cards", spec, partial=partial).id)


@bp.get("/v1/jobs/<job_id>")
@operation({200: JobView}, errors=(404,), tags=("cards",))
def job_status(job_id: str) -> Response:
    """The job's state and progress, and its result once done; 404 for another tenant's job."""
    with redis_or_503():
        record = publish_services().jobs.get(job_id, tenant_for_request().name)
    if record is None:
        raise NotFound(f"no job {job_id[:64]!r} for this API key's tenant")
    return jsonify(record.view().model_dump())


def start_job(tenant: str, kind: Any, spec: RenderSpec, **extra: Any) -> JobRecord:
    """Record the job, then queue it: the record exists before anyone can be told its id."""
    services = publish_services()
    with redis_or_503():
        record = services.jobs.create(tenant, kind, spec, **extra)
        services.queue.run(record.id)
    return record


@contextmanager
def redis_or_503() -> Iterator[None]:
    """Jobs, replays and idempotency live in Redis: without it nothing can be accepted (503)."""
    try:
        yield
    except redis.RedisError:
        raise ServiceUnavailable("jobs cannot be recorded: Redis is unavailable", retry_after=5) from None


def accepted(job_id: str, duplicate: bool = False) -> Response:
    location = f"/v1/jobs/{job_id}"
    resp = jsonify(JobAccepted(job=job_id, status=location, duplicate=duplicate).model_dump())
    resp.status_code = 202
    resp.headers["Location"] = location
    return resp


def validated(model: type[M], body: dict[str, Any]) -> M:
    """The body as `model`; 422 naming the first bad field. An error about the body as a whole
    (one of several fields is required) names the fields its `ctx` lists, the first as `field`."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        where, message = problems(exc)[0]
        if where:
            raise UnprocessableField(first_problem(exc), field=where) from None
        fields = exc.errors()[0].get("ctx", {}).get("fields", [])
        named = {"field": fields[0], "fields": fields} if fields else {}
        raise UnprocessableField(message, **named) from None
