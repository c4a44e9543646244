"""Tenants and their API keys in Redis. A key is stored only as its sha256 (see tokens.token_hash).

    {prefix}tenant:{name}        hash  name, tier, budget_usd, callback_url, hook_secret, created
    {prefix}apikey:{sha256}      hash  id, tenant, hint, rate, created, revoked
    {prefix}apikeys              hash  key id -> sha256 (listing, revoking, "is any key issued?")

Records are never deleted: a revoked key keeps its record, so it is refused as revoked (not as
unknown) and `keys list` keeps the history.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from typing import Any

import redis
from pydantic import ValidationError

from ..redis_guard import RedisGuard
from ..validation import first_problem
from .model import DEFAULT_TENANT, ApiKey, Tenant
from .tokens import hint, new_token, token_hash

log = logging.getLogger(__name__)


class TenantError(ValueError):
    """A tenant or key operation that cannot be done as asked; the message says why."""


class KeysUnavailable(Exception):
    """Redis cannot be reached, so no API key can be checked (requests are refused, never let in)."""


def tenant_record_key(prefix: str, name: str) -> str:
    """The Redis hash holding tenant `name` (the budget script reads its daily budget from it)."""
    return f"{prefix}tenant:{name}"


class TenantStore:
    """Creates, finds, lists and revokes API keys and keeps their tenants' records."""

    def __init__(self, client: redis.Redis, prefix: str, clock: Callable[[], float] = time.time) -> None:
        self.guard = RedisGuard(client, "API keys", log, "refusing API requests (503)")
        self.prefix, self.clock = prefix, clock
        self.index = f"{prefix}apikeys"

    # --- requests ------------------------------------------------------------------------------
    def lookup(self, token: str) -> tuple[ApiKey, Tenant] | None:
        """The key and its tenant for a presented token; None when no such key was ever issued."""

        def fetch(r: redis.Redis) -> tuple[ApiKey, Tenant] | None:
            raw = r.hgetall(self._key_record(token_hash(token)))
            if not raw:
                return None
            key = ApiKey.model_validate(_decoded(raw))
            tenant = r.hgetall(tenant_record_key(self.prefix, key.tenant))
            if not tenant:  # only a hand-edited Redis gets here: a key without its tenant lets nobody in
                log.error("API key %s belongs to tenant %r, which has no record", key.id, key.tenant)
                return None
            return key, Tenant.model_validate(_decoded(tenant))

        return self.guard.call(fetch, _unavailable)

    def any_keys(self) -> bool:
        """Whether any key (revoked ones included) was ever issued under this prefix."""
        return self.guard.call(lambda r: bool(r.exists(self.index)), _unavailable)

    # --- administration (the `ogservice keys` commands) -------------------------------------------
    def create_key(self, name: str, rate: str | None = None, **changes: Any) -> tuple[str, ApiKey, Tenant]:
        """A new key for tenant `name`, which is created (tier and budget_usd required) or updated
        with `changes` (tier, budget_usd, callback_url; None leaves a value as it is)."""
        tenant = self._merged_tenant(name, {k: v for k, v in changes.items() if v is not None})
        token = new_token()
        key = _validated(ApiKey, id=_key_id(), tenant=name, hint=hint(token), rate=rate, created=self.clock())
        with self._client().pipeline(transaction=True) as pipe:
            pipe.hset(tenant_record_key(self.prefix, name), mapping=_encoded(tenant))
            pipe.hset(self._key_record(token_hash(token)), mapping=_encoded(key))
            pipe.hset(self.index, key.id, token_hash(token))
            pipe.execute()
        return token, key, tenant

    def keys(self) -> list[tuple[ApiKey, Tenant | None]]:
        """Every key ever issued, oldest first, with its tenant."""
        r = self._client()
        hashes = [h.decode() for h in r.hvals(self.index)]
        with r.pipeline(transaction=False) as pipe:
            for digest in hashes:
                pipe.hgetall(self._key_record(digest))
            keys = [ApiKey.model_validate(_decoded(raw)) for raw in pipe.execute() if raw]
        tenants = {t.name: t for t in map(self.tenant, {k.tenant for k in keys}) if t is not None}
        return sorted(((k, tenants.get(k.tenant)) for k in keys), key=lambda pair: pair[0].created)

    def revoke(self, key_id: str) -> tuple[ApiKey, bool]:
        """Mark a key revoked from now on (requests with it get 401 at once, in every process);
        the key, and False when it already was revoked."""
        r = self._client()
        digest = r.hget(self.index, key_id)
        if digest is None:
            raise TenantError(f"no key with id {key_id!r} (see `ogservice keys list`)")
        record = self._key_record(digest.decode())
        changed = bool(r.hsetnx(record, "revoked", repr(self.clock())))
        return ApiKey.model_validate(_decoded(r.hgetall(record))), changed

    def new_hook_secret(self, name: str) -> str:
        """A new hook secret for an existing tenant, replacing its previous one (rotation)."""
        if self.tenant(name) is None:
            raise TenantError(f"no tenant {name!r}: create it with `ogservice keys create --tenant {name}`")
        secret = "whsec_" + secrets.token_urlsafe(32)
        self._client().hset(tenant_record_key(self.prefix, name), "hook_secret", secret)
        return secret

    def tenant(self, name: str) -> Tenant | None:
        raw = self._client().hgetall(tenant_record_key(self.prefix, name))
        return Tenant.model_validate(_decoded(raw)) if raw else None

    # --- helpers ---------------------------------------------------------------------------------
    def _merged_tenant(self, name: str, changes: dict[str, Any]) -> Tenant:
        if name == DEFAULT_TENANT:
            raise TenantError(
                f"{DEFAULT_TENANT!r} is the tenant of keyless requests (OGS_TIER, OGS_BUDGET_USD)"
            )
        current = self.tenant(name)
        if current is None and not {"tier", "budget_usd"} <= changes.keys():
            raise TenantError(f"new tenant {name!r}: give its --tier and --budget-usd")
        base = current.model_dump() if current else {"name": name, "created": self.clock()}
        return _validated(Tenant, **{**base, **changes})

    def _key_record(self, digest: str) -> str:
        return f"{self.prefix}apikey:{digest}"

    def _client(self) -> redis.Redis:
        assert self.guard.client is not None
        return self.guard.client


def _key_id() -> str:
    return "key_" + secrets.token_hex(6)


def _unavailable() -> Any:
    raise KeysUnavailable("API keys cannot be checked: Redis is unavailable")


def _validated(model: type[Any], **values: Any) -> Any:
    try:
        return model(**values)
    except ValidationError as exc:
        raise TenantError(first_problem(exc)) from None


def _encoded(record: ApiKey | Tenant) -> dict[str, str]:
    """Hash fields of a record; a None field is left out (and reads back as None)."""
    return {
        k: (repr(v) if isinstance(v, float) else str(v))
        for k, v in record.model_dump().items()
        if v is not None
    }


def _decoded(raw: dict[bytes, bytes]) -> dict[str, str]:
    return {k.decode(): v.decode() for k, v in raw.items()}
