"""`ogservice keys create | list | revoke`: API keys of the publisher API, kept in OGS_REDIS_URL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import click
import redis

from ..config import ConfigError, load_settings
from .model import ApiKey, Tenant
from .store import TenantError, TenantStore

TIERS = click.Choice(["free", "pro", "enterprise"])


@contextmanager
def _store() -> Iterator[tuple[TenantStore, str]]:
    """The key store and the default rate; Redis and input problems become one-line errors."""
    try:
        settings = load_settings(dev=True)  # keys need no signing key, like `generate`
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=1, socket_timeout=2)
    try:
        yield TenantStore(client, settings.redis_prefix), settings.rate_limit
    except TenantError as exc:
        raise click.ClickException(str(exc)) from None
    except redis.RedisError as exc:
        raise click.ClickException(f"Redis at {settings.redis_url} (OGS_REDIS_URL): {exc}") from None
    finally:
        client.close()


@click.group()
def keys() -> None:
    """Create, list and revoke API keys for the /v1 endpoints (stored as sha256 in Redis)."""


@keys.command()
@click.option("--tenant", required=True, help="Tenant name: lowercase letters, digits, '.', '_', '-'.")
@click.option("--tier", type=TIERS, default=None, help="Routing tier (required for a new tenant).")
@click.option(
    "--budget-usd", type=float, default=None, help="Daily spend cap for remote models (new tenant)."
)
@click.option("--rate", default=None, help="Requests allowed for this key, e.g. 120/minute (OGS_RATE_LIMIT).")
@click.option("--callback-url", default=None, help="Where publish-hook results are POSTed.")
def create(
    tenant: str, tier: str | None, budget_usd: float | None, rate: str | None, callback_url: str | None
) -> None:
    """Issue a key and print it once. For an existing tenant the given options update it and the
    others stay, so `keys create --tenant NAME` alone issues a second key (rotation)."""
    with _store() as (store, default_rate):
        token, key, record = store.create_key(
            tenant, rate=rate, tier=tier, budget_usd=budget_usd, callback_url=callback_url
        )
    click.echo(token)  # alone on stdout, so KEY=$(ogservice keys create ...) works
    click.echo(
        f"created {key.id} for tenant {record.name} ({_terms(key, record, default_rate)}); "
        "this is the only time the key is shown: store it now",
        err=True,
    )


@keys.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per key.")
def list_keys(as_json: bool) -> None:
    """Every key issued (never the key itself): id, tenant, hint, tier, budget, rate, created, revoked."""
    with _store() as (store, default_rate):
        rows = [_row(key, tenant, default_rate) for key, tenant in store.keys()]
    if as_json:
        for row in rows:
            click.echo(json.dumps(row))
        return
    if not rows:
        click.echo("no API keys yet; create one with `ogservice keys create --tenant NAME ...`", err=True)
        return
    widths = {name: max(len(name), *(len(str(r[name])) for r in rows)) for name in rows[0]}
    click.echo("  ".join(name.upper().ljust(w) for name, w in widths.items()).rstrip())
    for row in rows:
        click.echo("  ".join(str(row[name]).ljust(w) for name, w in widths.items()).rstrip())


@keys.command()
@click.argument("key_id")
def revoke(key_id: str) -> None:
    """Revoke a key (by the id `keys list` shows); requests with it get 401 at once."""
    with _store() as (store, _):
        key, changed = store.revoke(key_id)
    done = "revoked" if changed else "already revoked:"
    click.echo(f"{done} {key.id} ({key.hint}) of tenant {key.tenant} at {_when(key.revoked)}")


@keys.command("hook-secret")
@click.option("--tenant", required=True, help="The tenant whose CMS signs publish-hook deliveries.")
def hook_secret(tenant: str) -> None:
    """Make (or replace) the tenant's hook secret and print it once: the CMS signs
    POST /v1/hooks/publish with it, and callbacks to --callback-url are signed with it."""
    with _store() as (store, _):
        secret = store.new_hook_secret(tenant)
    click.echo(secret)
    click.echo(f"hook secret of tenant {tenant} replaced; this is the only time it is shown", err=True)


def _terms(key: ApiKey, tenant: Tenant, default_rate: str) -> str:
    return f"tier {tenant.tier}, ${tenant.budget_usd:g}/day, rate {_rate(key, default_rate)}"


def _rate(key: ApiKey, default_rate: str) -> str:
    return key.rate or f"{default_rate} (default)"


def _row(key: ApiKey, tenant: Tenant | None, default_rate: str) -> dict[str, Any]:
    return {
        "id": key.id,
        "tenant": key.tenant,
        "key": key.hint,
        "tier": tenant.tier if tenant else "?",
        "budget": f"${tenant.budget_usd:.2f}/day" if tenant else "?",
        "rate": _rate(key, default_rate),
        "created": _when(key.created),
        "revoked": _when(key.revoked) if key.revoked else "-",
    }


def _when(at: float | None) -> str:
    return datetime.fromtimestamp(at or 0, UTC).strftime("%Y-%m-%d %H:%M:%SZ")


COMMANDS = [keys]
