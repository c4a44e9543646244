"""Failure policy: what the gateway does after each error class, capped by count, time and money.

    ContentRefused                 -> stop (or next, only when allow_fallback_on_refusal)
    RateLimited(retry_after)       -> wait retry_after when it fits the deadline, else next
    ProviderUnavailable / Timeout  -> retry with exponential backoff + full jitter, then next
    RequestRejected / NotConfigured-> next, no retry
    BadResponse                    -> next

Every retry is billed again by most vendors (no idempotency keys for generation), so a retry is
also refused when its predicted cost would push this request over its money cap.
The functions here are pure: the gateway feeds them numbers and obeys the returned Action.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from .errors import (
    BadResponse,
    ContentRefused,
    GatewayError,
    NotConfigured,
    ProviderUnavailable,
    RateLimited,
    RequestRejected,
)

ActionKind = Literal["retry", "next", "stop"]


@dataclass(frozen=True)
class RetryPolicy:
    """Tunable limits of the failure policy (defaults suit interactive image generation)."""

    max_retries: int = 2  # extra attempts on the same model after the first one
    base_delay_s: float = 0.5  # first backoff ceiling; doubles per retry
    max_delay_s: float = 8.0  # backoff ceiling never exceeds this
    max_retry_after_s: float = 20.0  # longest Retry-After we wait when there is no deadline
    min_attempt_s: float = 0.05  # time an attempt needs at the very least after a wait
    allow_fallback_on_refusal: bool = False  # a refusal may fall through to a (more permissive) model
    max_request_usd: float | None = None  # money cap per request across all attempts


@dataclass(frozen=True)
class Action:
    """What to do after a failed attempt, and why (shown in the attempts trail)."""

    kind: ActionKind
    delay_s: float = 0.0
    reason: str = ""


@dataclass(frozen=True)
class Spend:
    """Money so far on this request, the price of one more attempt, and the cap (None = no cap)."""

    spent_usd: float = 0.0
    next_usd: float = 0.0
    cap_usd: float | None = None

    def allows_another(self) -> bool:
        """True when one more billed attempt keeps the request within its cap."""
        return self.cap_usd is None or self.spent_usd + self.next_usd <= self.cap_usd + 1e-9


def backoff_delay(attempt: int, policy: RetryPolicy, rand: Callable[[], float] = random.random) -> float:
    """Full-jitter exponential backoff: uniform in [0, min(max, base * 2**(attempt-1)))."""
    ceiling = min(policy.max_delay_s, policy.base_delay_s * 2 ** max(0, attempt - 1))
    return rand() * ceiling


def fits(delay_s: float, elapsed_s: float, deadline_s: float | None, policy: RetryPolicy) -> bool:
    """True when waiting `delay_s` still leaves room for one attempt before the deadline."""
    if deadline_s is None:
        return True
    return elapsed_s + delay_s + policy.min_attempt_s <= deadline_s


def next_action(
    error: GatewayError,
    attempt: int,
    elapsed_s: float,
    *,
    deadline_s: float | None = None,
    spend: Spend = Spend(),
    policy: RetryPolicy = RetryPolicy(),
    rand: Callable[[], float] = random.random,
) -> Action:
    """The policy's answer after `attempt` failed attempts on one model, `elapsed_s` into the request."""
    if isinstance(error, ContentRefused):
        return _refused(policy)
    if isinstance(error, RequestRejected | NotConfigured | BadResponse):
        return Action("next", reason=f"{type(error).__name__}: not retried")
    if not isinstance(error, RateLimited | ProviderUnavailable):
        return Action("next", reason=f"{type(error).__name__}: unknown class, not retried")
    if attempt > policy.max_retries:
        return Action("next", reason=f"gave up after {attempt} attempts")
    if not spend.allows_another():
        return Action("next", reason="another attempt would exceed the request's money cap")
    if isinstance(error, RateLimited):
        return _rate_limited(error, elapsed_s, deadline_s, policy)
    delay = backoff_delay(attempt, policy, rand)
    if not fits(delay, elapsed_s, deadline_s, policy):
        return Action("next", reason="no time left for a retry")
    return Action("retry", delay, reason=f"retry {attempt} after {delay:.2f}s backoff")


def _refused(policy: RetryPolicy) -> Action:
    if policy.allow_fallback_on_refusal:
        return Action("next", reason="refused; fallback on refusal is enabled")
    return Action("stop", reason="refused by the model's safety system; no fallback to another model")


def _rate_limited(
    error: RateLimited, elapsed_s: float, deadline_s: float | None, policy: RetryPolicy
) -> Action:
    wait = error.retry_after
    if wait is None:
        return Action("next", reason="rate limited without Retry-After")
    too_long = deadline_s is None and wait > policy.max_retry_after_s
    if too_long or not fits(wait, elapsed_s, deadline_s, policy):
        return Action("next", reason=f"Retry-After {wait:.1f}s does not fit the deadline")
    return Action("retry", wait, reason=f"honouring Retry-After {wait:.1f}s")


def counts_against_health(error: GatewayError) -> bool:
    """Whether an error says the model is unhealthy (refusals and bad fields say nothing about it)."""
    return isinstance(error, RateLimited | ProviderUnavailable | BadResponse)
