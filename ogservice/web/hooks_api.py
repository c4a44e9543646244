"""POST /v1/hooks/publish: a CMS says a post was published; its cards are pre-rendered and called back.

    POST /v1/hooks/publish?tenant=acme   X-Ogs-Signature: t=<unix>,v1=<hex>   (or X-Ghost-Signature)
      -> 401 unknown tenant, no hook secret, bad or stale signature
      -> 409 a replayed delivery (these very bytes and signature were accepted before)
      -> 429 with Retry-After: over the tenant's OGS_HOOK_RATE_LIMIT of signed deliveries
      -> 422 a payload field is wrong; 404 no such template
      -> 202 {job, status, duplicate}: the job renders every size to its final form on a worker,
         pins the assets and POSTs the signed result to the tenant's callback URL

Idempotent on post id + version: a delivery the CMS retries (newly signed) answers 202 with the
job of the first one and renders nothing. The tenant comes from the URL because Ghost cannot add
headers to its webhooks; the signature, made with that tenant's hook secret, is what proves it.
"""

from __future__ import annotations

from collections.abc import Callable

import redis
from flask import Blueprint, Response, current_app, g, request

from ..cards.fields import parse_card_request
from ..errors import Conflict, ServiceUnavailable, TooManyRequests
from ..pipeline import CardService
from ..publish.deliveries import card_fields, ghost_payload, query_options
from ..publish.jobs import RenderSpec, new_job_id
from ..publish.models import GhostWebhook, JobAccepted, PublishPayload
from ..publish.render import card_params
from ..publish.webhooks import SignatureRefused, verify
from ..tenants.model import Tenant
from ..tenants.store import TenantStore
from .auth import authenticated_otherwise
from .cards_api import accepted, publish_services, redis_or_503, start_job, validated
from .json_body import json_object
from .openapi import operation

bp = Blueprint("hooks_api", __name__)
EXAMPLE = '{"post_id": "42", "version": "2026-12-07T10:00:00Z", "title": "Hello"}'


@bp.post("/v1/hooks/publish")
@authenticated_otherwise("the body's HMAC signature, made with the tenant's hook secret")
@operation(
    {202: JobAccepted}, body=(PublishPayload, GhostWebhook), errors=(401, 404, 503), security="signature",
    tags=("publish",),
    parameters=(
        {"name": "tenant", "in": "query", "required": True, "schema": {"type": "string"},
         "description": "The tenant whose hook secret signs the delivery."},
    ),
)  # fmt: skip
def publish() -> Response:
    """A CMS published a post: pre-render its cards, then call the tenant's callback URL back.

    The body is the generic payload below, or Ghost's post.published webhook (signed with
    X-Ghost-Signature; template, sizes and field.NAME then come from the query)."""
    tenant = _tenant(request.args.get("tenant", ""))
    assert tenant.hook_secret is not None
    raw = request.get_data(cache=True)
    delivery = verify(tenant.hook_secret, {k.lower(): v for k, v in request.headers.items()}, raw)
    g.tenant = tenant
    services = publish_services()
    with redis_or_503():
        first_time = services.replays.first_time(tenant.name, delivery)
    if not first_time:
        raise Conflict("replayed delivery: these bytes with this signature were accepted before; sign anew")
    _within_rate(tenant, lambda: services.replays.forget(tenant.name, delivery))
    payload = _payload(delivery.ghost)
    spec = _render_spec(payload)
    job_id = new_job_id()
    with redis_or_503():
        owner = services.idempotency.claim(tenant.name, payload.post_id, payload.version, job_id)
    if owner is not None:  # its record may still be being written by the first delivery
        return accepted(owner, duplicate=True)
    try:
        start_job(
            tenant.name, "publish", spec, job_id=job_id, post_id=payload.post_id, version=payload.version
        )
    except Exception:  # not recorded or not queued: the CMS's retry must be able to start it
        services.idempotency.release(tenant.name, payload.post_id, payload.version, job_id)
        raise
    return accepted(job_id)


def _within_rate(tenant: Tenant, forget: Callable[[], None]) -> None:
    """Count one signed delivery against the tenant's hook rate; 429 with Retry-After beyond it."""
    settings = current_app.extensions["ogs.settings"]
    window = current_app.extensions["ogs.ratelimit"].hit(f"hook:{tenant.name}", settings.hook_rate_limit)
    g.rate_window = window  # RateLimit-* headers on the answer, as on every rate-limited /v1 call
    if window.allowed:
        return
    with redis_or_503():
        forget()
    retry = max(1, window.reset_s)
    raise TooManyRequests(
        f"publish-hook rate of {window.limit} deliveries per {window.window_s} s reached for tenant "
        f"{tenant.name!r}; retry in {retry} s",
        retry_after=retry,
    )


def _payload(ghost: bool) -> PublishPayload:
    """The delivery's payload in the generic form (Ghost's mapped to it); 422 naming a bad field."""
    body = json_object(request, example=EXAMPLE)
    query = {k: v for k, v in request.args.items() if k != "tenant"}
    if ghost:
        return validated(PublishPayload, ghost_payload(validated(GhostWebhook, body), query))
    fields = {**query_options(query), **body}
    return validated(PublishPayload, fields)


def _render_spec(payload: PublishPayload) -> RenderSpec:
    """What the job renders; bad fields or sizes are the CMS's 4xx now, not a failed job later."""
    cards: CardService = current_app.extensions["ogs.cards"]
    template = cards.template(payload.template)
    spec = RenderSpec(
        template=payload.template, fields=card_fields(payload, template),
        sizes=payload.sizes or list(template.sizes), format=payload.format,
    )  # fmt: skip
    for size in spec.sizes:
        parse_card_request(template, card_params(spec.fields, size), cards.settings.max_pixels)
    return spec


def _tenant(name: str) -> Tenant:
    """The named tenant if it has a hook secret; 401 otherwise (which of the two is not said)."""
    store: TenantStore = current_app.extensions["ogs.tenants"]
    try:
        tenant = store.tenant(name) if name else None
    except redis.RedisError:
        raise ServiceUnavailable("tenants cannot be looked up: Redis is unavailable", retry_after=5) from None
    except ValueError:  # not a tenant name at all
        tenant = None
    if tenant is None or not tenant.hook_secret:
        raise SignatureRefused(
            "unknown tenant or no hook secret: call /v1/hooks/publish?tenant=NAME and make the secret "
            "with `ogservice keys hook-secret --tenant NAME`"
        )
    return tenant
