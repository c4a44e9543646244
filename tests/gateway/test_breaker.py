"""Circuit breaker: trips at low traffic, shared via Redis, one half-open probe, Redis-down fallback."""

from __future__ import annotations

import logging

import pytest
import redis

from ogservice.gateway.breaker import Breaker, BreakerConfig, BreakerState, transition

CFG = BreakerConfig(
    consecutive=3, window=10, min_calls=5, failure_ratio=0.5, cooldown_s=10, max_cooldown_s=60
)


class Clock:
    """A settable wall clock so cool-downs pass without sleeping."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def pair(redis_client, redis_prefix, clock) -> tuple[Breaker, Breaker]:
    """Two breakers on the same Redis prefix, as two worker processes would have."""
    return (
        Breaker(redis_client, redis_prefix, CFG, clock=clock),
        Breaker(redis.Redis(host="127.0.0.1", port=6379), redis_prefix, CFG, clock=clock),
    )


def test_three_consecutive_failures_open_it_however_slow_the_traffic(pair, clock):
    a, b = pair
    for _ in range(3):
        clock.now += 1200  # one call every 20 minutes: far below any rate threshold
        assert a.allow("premium")
        a.record("premium", ok=False)
    clock.now += 1
    assert b.state("premium") == "open"  # seen by the other process
    assert not b.allow("premium")
    assert b.unhealthy() == frozenset({"premium"})


def test_failure_ratio_over_a_small_window_opens_it(pair):
    a, b = pair
    for ok in (False, True, False, True, False):
        a.record("flaky", ok=ok)
    assert b.state("flaky") == "open"


def test_success_resets_the_consecutive_count(pair):
    a, _ = pair
    for ok in (False, False, True, False, False, True, True, True):
        a.record("ok-ish", ok=ok)
    assert a.state("ok-ish") == "closed" and a.allow("ok-ish")


def test_half_open_allows_exactly_one_probe_across_processes(pair, clock):
    a, b = pair
    for _ in range(3):
        a.record("m", ok=False)
    clock.now += CFG.cooldown_s + 0.1
    assert a.state("m") == "half-open"
    assert [a.allow("m"), b.allow("m"), a.allow("m")] == [True, False, False]
    assert "m" in b.unhealthy()  # the probe is in flight: routers should look elsewhere


def test_probe_success_closes_it_for_everyone(pair, clock):
    a, b = pair
    for _ in range(3):
        a.record("m", ok=False)
    clock.now += CFG.cooldown_s + 0.1
    assert b.allow("m")
    b.record("m", ok=True)
    assert a.state("m") == "closed" and a.allow("m") and a.unhealthy() == frozenset()


def test_probe_failure_reopens_with_a_longer_cooldown(pair, clock):
    a, b = pair
    for _ in range(3):
        a.record("m", ok=False)
    clock.now += CFG.cooldown_s + 0.1
    assert b.allow("m")
    b.record("m", ok=False)
    clock.now += CFG.cooldown_s + 0.1  # the first cool-down length is no longer enough
    assert a.state("m") == "open" and not a.allow("m")
    clock.now += CFG.cooldown_s
    assert a.state("m") == "half-open" and a.allow("m")


def test_state_lives_under_the_configured_prefix(pair, redis_client, redis_prefix):
    a, _ = pair
    a.record("m", ok=False)
    assert redis_client.exists(f"{redis_prefix}breaker:m")


def test_redis_down_falls_back_in_process_and_logs_once(clock, caplog):
    down = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    breaker = Breaker(down, "ogs-test-down:", CFG, clock=clock)
    with caplog.at_level(logging.WARNING, logger="ogservice.gateway.breaker"):
        for _ in range(3):
            assert breaker.allow("m")
            breaker.record("m", ok=False)
        assert breaker.state("m") == "open" and not breaker.allow("m")
        assert breaker.unhealthy() == frozenset({"m"})
    assert len([r for r in caplog.records if "Redis unavailable" in r.message]) == 1


def test_transition_ignores_straggler_failures_during_cooldown():
    opened = transition(transition(transition(BreakerState(), False, 0, CFG), False, 1, CFG), False, 2, CFG)
    assert opened.open and opened.open_until == 2 + CFG.cooldown_s
    assert transition(opened, False, 5, CFG) == opened
