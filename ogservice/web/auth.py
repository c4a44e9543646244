"""API keys on /v1: every request under /v1/ is authenticated, then rate limited, before any view runs.

The check is one app-wide before_request hook keyed on the path (and on the matched rule), not a
decorator on each view, so an endpoint added under /v1 later is protected without anyone
remembering to. A view that authenticates its callers another way (the CMS publish hook verifies
an HMAC signature) opts out explicitly with @authenticated_otherwise("why"); it must then verify
the caller itself and set flask.g.tenant.

    Authorization: Bearer ogs_live_...   -> flask.g.tenant, flask.g.api_key; tenant_for_request()
    no / wrong / malformed / revoked key -> 401 problem+json with WWW-Authenticate: Bearer
    over the key's rate                  -> 429 problem+json with Retry-After (RateLimit-* always)
    Redis unreachable                    -> 503: a key that cannot be checked lets nobody in

Dev mode (OGS_DEV=1) while no key has been issued (or Redis is unreachable): requests without a
key are served as the default tenant (OGS_TIER, OGS_BUDGET_USD, OGS_RATE_LIMIT), so `make run`
works at once; the first `ogservice keys create` closes it. Outside dev mode a key is always
required.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import redis
from flask import Flask, Response, current_app, g, request

from ..config import Settings
from ..errors import ServiceUnavailable, TooManyRequests, Unauthorized
from ..health import Health
from ..tenants.model import DEFAULT_TENANT, ApiKey, Tenant
from ..tenants.ratelimit import RateLimiter, RateWindow
from ..tenants.store import KeysUnavailable, TenantStore
from ..tenants.tokens import well_formed

API_PREFIX = "/v1/"
HOW_TO_GET_A_KEY = "create one with `ogservice keys create --tenant NAME --tier free --budget-usd 5`"
View = TypeVar("View", bound=Callable[..., Any])


def init_app(app: Flask, settings: Settings) -> None:
    """Key store and rate limiter on one Redis client, and the hooks that guard /v1."""
    client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=0.25, socket_timeout=0.5)
    app.extensions["ogs.tenants"] = TenantStore(client, settings.redis_prefix)
    app.extensions["ogs.ratelimit"] = RateLimiter(client, settings.redis_prefix)
    app.before_request(_guard_api)
    app.after_request(_rate_headers)


def authenticated_otherwise(reason: str) -> Callable[[View], View]:
    """Exempt a /v1 view from API keys because it verifies its callers itself (`reason` says how)."""

    def mark(view: View) -> View:
        view.ogs_authenticated_otherwise = reason  # type: ignore[attr-defined]
        return view

    return mark


def tenant_for_request() -> Tenant:
    """The tenant this request acts for: its API key's on /v1, else the keyless default tenant."""
    tenant = g.get("tenant")
    return tenant if tenant is not None else Tenant.default(current_app.extensions["ogs.settings"])


def dependencies(app: Flask) -> dict[str, Health]:
    """The Redis that API keys and rate limits live in, as each last found it (for /healthz)."""
    return {
        "api_keys": app.extensions["ogs.tenants"].guard.health(),
        "rate_limit": app.extensions["ogs.ratelimit"].health(),
    }


def _guard_api() -> None:
    if not _is_api() or _exempt_reason():
        return
    settings: Settings = current_app.extensions["ogs.settings"]
    try:
        caller, rate = _authenticate(settings, current_app.extensions["ogs.tenants"])
    except KeysUnavailable as exc:
        raise ServiceUnavailable(str(exc), retry_after=5) from None
    window = current_app.extensions["ogs.ratelimit"].hit(caller, rate)
    g.rate_window = window
    if not window.allowed:
        retry = max(1, window.reset_s)
        detail = f"rate limit of {window.limit} requests per {window.window_s} s reached; retry in {retry} s"
        raise TooManyRequests(detail, retry_after=retry)


def _authenticate(settings: Settings, store: TenantStore) -> tuple[str, str]:
    """Sets g.tenant (and g.api_key); returns the rate limiter's key for this caller and its rate."""
    token = _bearer_token(request.headers.get("Authorization"))
    if token is None:
        if settings.dev and not _keys_issued(store):
            g.tenant, g.api_key = Tenant.default(settings), None
            return f"{DEFAULT_TENANT}-dev", settings.rate_limit
        raise Unauthorized(f"missing API key: send `Authorization: Bearer <key>`; {HOW_TO_GET_A_KEY}")
    key, tenant = _valid_key(token, store)
    g.tenant, g.api_key = tenant, key
    return key.id, key.rate_or(settings.rate_limit)


def _valid_key(token: str, store: TenantStore) -> tuple[ApiKey, Tenant]:
    """The key and tenant of `token`; 401 for a malformed (refused without Redis), unknown or revoked key."""
    if not well_formed(token):
        raise Unauthorized(f"malformed API key: check the key, or {HOW_TO_GET_A_KEY}", error="invalid_token")
    found = store.lookup(token)
    if found is None:
        raise Unauthorized(f"unknown API key: check the key, or {HOW_TO_GET_A_KEY}", error="invalid_token")
    if found[0].revoked is not None:
        raise Unauthorized(f"API key {found[0].id} was revoked", error="invalid_token")
    return found


def _keys_issued(store: TenantStore) -> bool:
    """Whether dev mode's open /v1 is closed. A dev machine whose Redis is down (or absent: `make run`
    without Redis) keeps it open: dev mode already serves unsigned cards, and there is no key to
    check. A key that is presented is still checked, and refused with 503 while Redis is down."""
    try:
        return store.any_keys()
    except KeysUnavailable:
        return False


def _bearer_token(header: str | None) -> str | None:
    """The token of `Authorization: Bearer <token>`; None without the header; 401 for another shape.

    A malformed header is answered 401 like every other credential problem (RFC 6750 would allow
    400), so clients have one status to handle."""
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip() or " " in token.strip():
        raise Unauthorized(
            "malformed Authorization header: expected `Authorization: Bearer <key>`", error="invalid_request"
        )
    return token.strip()


def _is_api() -> bool:
    rule = request.url_rule.rule if request.url_rule is not None else ""
    return (
        request.path.startswith(API_PREFIX)
        or request.path == API_PREFIX.rstrip("/")
        or rule.startswith(API_PREFIX)
    )


def _exempt_reason() -> str | None:
    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, "ogs_authenticated_otherwise", None)


def _rate_headers(response: Response) -> Response:
    """RateLimit-* on every rate-limited response (and Retry-After on a 429)."""
    window: RateWindow | None = g.get("rate_window")
    if window is not None:
        response.headers.update(window.headers())
    return response
