"""Daily budgets on the real Redis: reserve / settle / release in exact micro-USD, per-tenant limits
from the tenant's record, expiry of abandoned holds, and failing closed when Redis is unreachable."""

from __future__ import annotations

import pytest
import redis

from ogservice.gateway.budget import Budget, BudgetRefused
from ogservice.tenants.store import TenantStore
from tests.gateway.test_breaker import Clock

DAY1 = 1_790_000_000.0


@pytest.fixture
def clock() -> Clock:
    return Clock(DAY1)


@pytest.fixture
def budget(redis_client, redis_prefix, clock) -> Budget:
    return Budget(redis_client, redis_prefix, default_usd=0.30, clock=clock, hold_s=60)


def test_holds_count_against_the_budget_until_settled_or_released(budget):
    holds = [budget.reserve("default", 0.1) for _ in range(3)]  # 0.1 * 3 == 0.30 exactly, in micro-USD
    with pytest.raises(
        BudgetRefused, match=r"predicted \$0.0100 exceeds the remaining daily budget \$0.0000"
    ):
        budget.reserve("default", 0.01)
    assert budget.state("default").held_usd == pytest.approx(0.3)
    budget.settle(holds[0], 0.0)  # a failed call: the money comes back
    budget.settle(holds[1], 0.06)  # cheaper than predicted: the difference comes back
    state = budget.state("default")
    assert (state.spent_usd, state.held_usd, state.remaining_usd) == (0.06, 0.1, 0.14)
    assert budget.reserve("default", 0.14) is not None


def test_a_free_call_holds_nothing_and_needs_no_redis(budget):
    assert budget.reserve("default", 0.0) is None
    budget.settle(None, 0.0)
    assert budget.state("default").remaining_usd == 0.3


def test_a_tenant_record_sets_its_budget_and_tenants_are_kept_apart(budget, redis_client, redis_prefix):
    TenantStore(redis_client, redis_prefix).create_key("acme", tier="pro", budget_usd=0.05)
    budget.settle(budget.reserve("acme", 0.05), 0.05)
    with pytest.raises(BudgetRefused):
        budget.reserve("acme", 0.01)
    assert budget.state("acme").limit_usd == 0.05
    assert budget.state("default").remaining_usd == 0.3  # OGS_BUDGET_USD for keyless requests
    assert budget.reserve("other", 0.3) is not None  # unknown tenants get OGS_BUDGET_USD too


def test_a_hold_abandoned_by_a_dead_process_expires(budget, clock):
    budget.reserve("default", 0.3)
    with pytest.raises(BudgetRefused):
        budget.reserve("default", 0.1)
    clock.now += 61
    assert budget.reserve("default", 0.1) is not None


def test_each_utc_day_has_its_own_budget_and_keys_expire(budget, clock, redis_client, redis_prefix):
    budget.settle(budget.reserve("default", 0.3), 0.3)
    clock.now += 86400
    assert budget.state("default").remaining_usd == 0.3
    (spent,) = [
        k for k in redis_client.scan_iter(match=f"{redis_prefix}budget:*") if not k.endswith(b"holds")
    ][:1]
    assert 0 < redis_client.ttl(spent) <= 2 * 86400


def test_settling_after_midnight_pays_into_the_day_the_call_was_reserved(budget, clock):
    hold = budget.reserve("default", 0.2)
    clock.now += 86400
    budget.settle(hold, 0.2)
    assert budget.state("default").remaining_usd == 0.3
    clock.now -= 86400
    assert budget.state("default").spent_usd == 0.2


def test_an_unreachable_redis_refuses_paid_calls_and_reports_nothing_left():
    down = Budget(redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2), "ogs-test-down:", 5.0)
    with pytest.raises(BudgetRefused, match="cannot be checked"):
        down.reserve("default", 0.01)
    assert down.reserve("default", 0.0) is None  # free calls go on
    assert down.state("default").remaining_usd == 0.0 and down.health().degraded
    down.settle(None, 0.0)
