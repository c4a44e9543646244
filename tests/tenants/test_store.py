"""TenantStore on the real Redis: keys created once and stored hashed, tenants created and updated,
revocation, listing, and the records the budget and the auth layer read."""

from __future__ import annotations

import re

import pytest
import redis

from ogservice.tenants.store import KeysUnavailable, TenantError, TenantStore, tenant_record_key
from ogservice.tenants.tokens import token_hash


@pytest.fixture
def store(redis_client: redis.Redis, redis_prefix: str) -> TenantStore:
    return TenantStore(redis_client, redis_prefix, clock=lambda: 1_790_000_000.0)


def test_a_created_key_finds_its_tenant_and_is_stored_only_as_its_hash(store, redis_client, redis_prefix):
    token, key, tenant = store.create_key(
        "acme", tier="pro", budget_usd=2.5, callback_url="https://cms.acme.test/hook", rate="5/minute"
    )
    assert (tenant.name, tenant.tier, tenant.budget_usd) == ("acme", "pro", 2.5)
    found_key, found_tenant = store.lookup(token)
    assert found_key == key and found_tenant == tenant and key.rate == "5/minute" and key.revoked is None
    assert found_tenant.callback_url == "https://cms.acme.test/hook"
    stored = b"".join(
        k + b"".join(v for pair in redis_client.hgetall(k).items() for v in pair)
        for k in redis_client.scan_iter(match=f"{redis_prefix}*")
    )
    assert token.encode() not in stored and token[9:].encode() not in stored
    assert token_hash(token).encode() in stored


def test_an_unknown_key_finds_nothing(store):
    store.create_key("acme", tier="free", budget_usd=1)
    assert store.lookup("ogs_live_" + "A" * 38) is None


def test_a_new_tenant_needs_tier_and_budget_an_existing_one_keeps_what_is_not_given(store):
    with pytest.raises(TenantError, match="give its --tier and --budget-usd"):
        store.create_key("acme", tier="pro")
    first, _, _ = store.create_key("acme", tier="pro", budget_usd=3, callback_url="https://a.test/h")
    second, key, tenant = store.create_key("acme", budget_usd=4)
    assert (tenant.tier, tenant.budget_usd, tenant.callback_url) == ("pro", 4.0, "https://a.test/h")
    assert store.lookup(first)[1] == store.lookup(second)[1] == tenant  # both keys work: rotation
    assert key.rate is None  # the default rate (OGS_RATE_LIMIT) applies


@pytest.mark.parametrize(
    ("name", "changes", "message"),
    [
        ("Acme", {}, "'Acme' is not a tenant name"),
        ("a:b", {}, "is not a tenant name"),
        ("default", {}, "the tenant of keyless requests"),
        ("acme", {"tier": "gold"}, "tier: Input should be 'free', 'pro' or 'enterprise'"),
        ("acme", {"budget_usd": -1}, "budget_usd: Input should be greater than or equal to 0"),
        ("acme", {"budget_usd": float("nan")}, "budget_usd: Input should be a finite number"),
        ("acme", {"callback_url": "ftp://x"}, "callback_url: expected an http(s) URL"),
        ("acme", {"rate": "lots"}, "rate: invalid rate 'lots'"),
        ("acme", {"rate": "0/minute"}, "the count must be between 1 and"),
    ],
)
def test_invalid_tenants_and_keys_are_refused_with_the_reason(
    store, redis_client, redis_prefix, name, changes, message
):
    changes = {"tier": "free", "budget_usd": 1, **changes}
    with pytest.raises(TenantError, match=re.escape(message)):
        store.create_key(name, **changes)
    assert not list(redis_client.scan_iter(match=f"{redis_prefix}apikey*"))


def test_revoke_marks_the_key_and_keeps_its_record(store):
    token, key, _ = store.create_key("acme", tier="free", budget_usd=1)
    other, _, _ = store.create_key("acme")
    revoked, changed = store.revoke(key.id)
    assert changed and revoked.revoked == 1_790_000_000.0
    assert store.lookup(token)[0].revoked is not None and store.lookup(other)[0].revoked is None
    assert store.revoke(key.id)[1] is False
    with pytest.raises(TenantError, match="no key with id 'key_nope'"):
        store.revoke("key_nope")


def test_keys_lists_every_key_with_its_tenant_and_never_the_key(store):
    assert store.keys() == [] and not store.any_keys()
    tokens = [
        store.create_key("acme", tier="pro", budget_usd=1)[0],
        store.create_key("blog", tier="free", budget_usd=0)[0],
    ]
    listed = store.keys()
    assert [(k.tenant, t.tier) for k, t in listed] == [("acme", "pro"), ("blog", "free")]
    assert all(token not in repr(listed) for token in tokens) and store.any_keys()


def test_the_tenant_record_holds_the_budget_the_gateway_reads(store, redis_client, redis_prefix):
    store.create_key("acme", tier="pro", budget_usd=0.4)
    assert redis_client.hget(tenant_record_key(redis_prefix, "acme"), "budget_usd") == b"0.4"


def test_an_unreachable_redis_lets_nobody_in():
    down = TenantStore(redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2), "ogs-test-down:")
    with pytest.raises(KeysUnavailable):
        down.lookup("ogs_live_" + "A" * 38)
    with pytest.raises(KeysUnavailable):
        down.any_keys()
