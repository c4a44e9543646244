"""The failure policy's decisions per error class, with count, time and money caps."""

from __future__ import annotations

import pytest

from ogservice.gateway.errors import (
    BadResponse,
    ContentRefused,
    KeyRefused,
    NotConfigured,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    RequestRejected,
    StrictSizeError,
)
from ogservice.gateway.policy import (
    RetryPolicy,
    Spend,
    attempt_timeout,
    backoff_delay,
    billed,
    counts_against_health,
    next_action,
)

POLICY = RetryPolicy(max_retries=2, base_delay_s=0.5, max_delay_s=8.0)


def test_refusal_stops_by_default_and_falls_through_only_when_configured():
    assert next_action(ContentRefused("blocked"), 1, 0.0, policy=POLICY).kind == "stop"
    allowed = RetryPolicy(allow_fallback_on_refusal=True)
    assert next_action(ContentRefused("blocked"), 1, 0.0, policy=allowed).kind == "next"


@pytest.mark.parametrize(
    "error",
    [
        RequestRejected("bad field"),
        StrictSizeError("no size"),
        NotConfigured("no key"),
        BadResponse("not an image"),
    ],
)
def test_client_side_and_bad_response_errors_move_on_without_retry(error):
    action = next_action(error, 1, 0.0, policy=POLICY)
    assert action.kind == "next" and action.delay_s == 0


def test_retry_after_is_honoured_when_it_fits_the_deadline():
    action = next_action(RateLimited("slow down", retry_after=1.5), 1, 0.2, deadline_s=5.0, policy=POLICY)
    assert (action.kind, action.delay_s) == ("retry", 1.5)


def test_retry_after_beyond_the_deadline_moves_on():
    assert (
        next_action(RateLimited("x", retry_after=4.0), 1, 2.0, deadline_s=5.0, policy=POLICY).kind == "next"
    )


def test_rate_limit_without_deadline_waits_only_up_to_the_policy_limit():
    short = RateLimited("x", retry_after=POLICY.max_retry_after_s - 1)
    long = RateLimited("x", retry_after=POLICY.max_retry_after_s + 1)
    assert next_action(short, 1, 0.0, policy=POLICY).kind == "retry"
    assert next_action(long, 1, 0.0, policy=POLICY).kind == "next"


def test_rate_limit_without_retry_after_moves_on():
    assert next_action(RateLimited("x"), 1, 0.0, policy=POLICY).kind == "next"


def test_unavailable_is_retried_a_bounded_number_of_times():
    error = ProviderUnavailable("502")
    kinds = [next_action(error, attempt, 0.0, policy=POLICY, rand=lambda: 0.5).kind for attempt in (1, 2, 3)]
    assert kinds == ["retry", "retry", "next"]


def test_a_timeout_is_retried_once_at_most_because_the_model_is_slow_right_now():
    error = ProviderTimeout("read timeout")
    kinds = [next_action(error, attempt, 0.0, policy=POLICY, rand=lambda: 0.5).kind for attempt in (1, 2, 3)]
    assert kinds == ["retry", "next", "next"]


@pytest.mark.parametrize(
    ("error", "elapsed"), [(ProviderTimeout("read timeout"), 420.0), (ProviderUnavailable("503"), 330.0)]
)
def test_a_retry_must_leave_room_for_the_models_p95(error, elapsed):
    """gpt-image-2: p95 280 s. With 600 s to the deadline, a retry after 420 s (or 330 s) cannot land."""
    late = next_action(error, 1, elapsed, deadline_s=600, policy=POLICY, rand=lambda: 0.0, p95_s=280)
    assert late.kind == "next" and late.reason == "no time left for a retry (p95 280 s)"
    early = next_action(error, 1, elapsed - 200, deadline_s=600, policy=POLICY, rand=lambda: 0.0, p95_s=280)
    assert early.kind == "retry"


def test_retry_after_must_leave_room_for_the_models_p95():
    wait = RateLimited("slow down", retry_after=2.0)
    assert next_action(wait, 1, 0.0, deadline_s=10, policy=POLICY, p95_s=7).kind == "retry"
    assert next_action(wait, 1, 0.0, deadline_s=10, policy=POLICY, p95_s=9).kind == "next"


@pytest.mark.parametrize(
    ("p95", "remaining", "timeout"),
    [(280, None, 420), (280, 300, 300), (6, None, 10), (2, None, 10), (30, 12.5, 12.5), (30, -1, 0)],
)
def test_attempt_timeout_is_a_multiple_of_p95_with_a_floor_capped_by_the_deadline(p95, remaining, timeout):
    assert attempt_timeout(p95, remaining, RetryPolicy()) == timeout


def test_backoff_is_exponential_with_full_jitter_and_capped():
    ceilings = [backoff_delay(a, POLICY, rand=lambda: 1.0) for a in range(1, 7)]
    assert ceilings == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    assert backoff_delay(3, POLICY, rand=lambda: 0.0) == 0.0
    assert backoff_delay(3, POLICY, rand=lambda: 0.25) == 0.5


def test_backoff_that_would_miss_the_deadline_moves_on():
    action = next_action(ProviderUnavailable("503"), 1, 4.9, deadline_s=5.0, policy=POLICY, rand=lambda: 1.0)
    assert action.kind == "next"


def test_money_cap_refuses_a_retry_that_would_exceed_it():
    within = Spend(spent_usd=0.08, next_usd=0.04, cap_usd=0.12)
    over = Spend(spent_usd=0.12, next_usd=0.04, cap_usd=0.12)
    assert next_action(ProviderUnavailable("x"), 1, 0.0, spend=within, policy=POLICY).kind == "retry"
    action = next_action(ProviderUnavailable("x"), 1, 0.0, spend=over, policy=POLICY)
    assert action.kind == "next" and "money" in action.reason


def test_only_availability_errors_count_against_model_health():
    assert counts_against_health(ProviderUnavailable("x")) and counts_against_health(RateLimited("x"))
    assert not counts_against_health(ContentRefused("x"))
    assert not counts_against_health(RequestRejected("x"))


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (None, True),  # the image came back
        (RateLimited("429", provider="openai", status=429), False),
        (KeyRefused("bad key", provider="openai", status=401), False),
        (RequestRejected("bad size", provider="openai", status=400), False),
        (ProviderUnavailable("500 at submit", provider="replicate", status=500), False),
        (ProviderTimeout("connect timeout", provider="openai"), False),  # never reached the vendor
        (ProviderTimeout("read timeout", provider="openai", phase="accepted"), True),  # may still bill
        (ProviderTimeout("gave up polling", provider="fal", phase="accepted"), True),
        # fal documents server errors as free; Replicate documents nothing, so they count as billed.
        (ProviderUnavailable("job failed", provider="fal", phase="accepted"), False),
        (ProviderUnavailable("job failed", provider="replicate", phase="accepted"), True),
        (ContentRefused("filtered", provider="stability", status=200, phase="accepted"), False),
        (ContentRefused("failed: NSFW", provider="replicate", phase="accepted"), True),
        (BadResponse("not an image", provider="openai", status=200, phase="accepted"), True),
    ],
)
def test_billed_books_what_the_vendor_bills(error, expected):
    assert billed(error) is expected
