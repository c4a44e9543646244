"""RateLimiter on the real Redis and without it: rate strings, one count for all instances, fail-open."""

from __future__ import annotations

import time

import pytest
import redis
from limits.util import WindowStats

from ogservice.tenants.ratelimit import RateLimiter, _hit, parse_rate


@pytest.mark.parametrize("text", ["120/minute", "120 per minute", "5/2 minutes", "10/second", "1/day"])
def test_rates_in_the_documented_forms_are_accepted(text):
    assert parse_rate(text).amount >= 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("lots", "expected COUNT/PERIOD"),
        ("", "expected COUNT/PERIOD"),
        ("10/fortnight", "expected COUNT/PERIOD"),
        ("1.5/minute", "expected COUNT/PERIOD"),
        ("10/second;100/hour", "give one rate"),
        ("0/minute", "between 1 and"),
        ("99999999999/second", "between 1 and"),
    ],
)
def test_other_rates_are_refused_with_the_accepted_form(text, message):
    with pytest.raises(ValueError, match=message):
        parse_rate(text)


def test_instances_share_one_count_through_redis(redis_client, redis_prefix):
    first = RateLimiter(redis_client, redis_prefix)
    second = RateLimiter(redis.Redis(host="127.0.0.1", port=6379), redis_prefix)
    assert [first.hit("key_a", "3/minute").allowed for _ in range(2)] == [True, True]
    window = second.hit("key_a", "3/minute")
    assert (window.allowed, window.remaining, window.limit, window.window_s) == (True, 0, 3, 60)
    refused = first.hit("key_a", "3/minute")
    assert not refused.allowed and 1 <= int(refused.headers()["Retry-After"]) <= 60
    assert second.hit("key_b", "3/minute").allowed  # another key, another count
    assert list(redis_client.scan_iter(match=f"{redis_prefix}ratelimit*"))


def test_an_unreachable_redis_fails_open_onto_a_count_per_process():
    limiter = RateLimiter(redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2), "ogs-test-down:")
    assert [limiter.hit("key_a", "2/minute").allowed for _ in range(3)] == [True, True, False]
    assert limiter.health().degraded


class JustBegun:
    """What limits 5.8's sliding window reports in the millisecond a window begins: reset_time == now."""

    def hit(self, item, key_id):
        return True

    def get_window_stats(self, item, key_id):
        return WindowStats(time.time(), item.amount - 1)


def test_a_window_that_just_began_resets_a_whole_window_later():
    window = _hit(JustBegun(), parse_rate("5/minute"), "key_a")  # type: ignore[arg-type]
    assert (window.remaining, window.reset_s, window.headers()["RateLimit-Reset"]) == (4, 60, "60")
