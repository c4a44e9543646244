"""Failure policy: what the gateway does after each error class, capped by count, time and money.

    ContentRefused                 -> stop (or next, only when allow_fallback_on_refusal)
    RateLimited(retry_after)       -> wait retry_after when it fits the deadline, else next
    ProviderUnavailable            -> retry with exponential backoff + full jitter, then next
    ProviderTimeout                -> the same, but at most `max_timeout_retries` times
    RequestRejected / NotConfigured-> next, no retry
    BadResponse                    -> next

Every retry is billed again by most vendors (no idempotency keys for generation), so a retry is
also refused when its predicted cost would push this request over its money cap, and when the
model's p95 latency no longer fits before the deadline (a call abandoned at the deadline is billed
for nothing). A timeout says the model is slow right now, so it earns fewer retries than a 5xx.

Each attempt has its own time limit, `attempt_timeout`: a multiple of the model's p95 (from the
catalog) with a floor, capped by what is left of the deadline. One fixed HTTP timeout cannot fit
both a 6 s model and one whose p95 is 280 s.
The functions here are pure: the gateway feeds them numbers and obeys the returned Action.

Billing (`billed`): a vendor bills what it accepted, not what it refused. 429, 401/403, 4xx
validation and a 5xx answer to the submit call are free; once the vendor took the job (an async job
id, a 2xx, a call in flight when we stopped waiting) it is billed per the vendor's documented policy
(shared/providers.md): fal charges nothing for server errors, Stability nothing for a filtered
image. A vendor that documents nothing is assumed to bill, so budgets err on the safe side. The
gateway books every attempt (printed cost, budget, ledger's predicted and actual) through it.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from .errors import (
    BadResponse,
    ContentRefused,
    GatewayError,
    NotConfigured,
    ProviderTimeout,
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
    timeout_p95_multiple: float = 1.5  # an attempt may run this many times the model's p95...
    min_timeout_s: float = 10.0  # ...but never less: a cold start or a slow link is not a failure
    max_timeout_retries: int = 1  # retries after a timeout (a slow model is billed for each one)


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


def attempt_timeout(p95_s: float, remaining_s: float | None, policy: RetryPolicy = RetryPolicy()) -> float:
    """Seconds one attempt on a model may take: a multiple of its p95 with a floor, capped by the deadline."""
    own = max(policy.min_timeout_s, policy.timeout_p95_multiple * p95_s)
    return own if remaining_s is None else max(0.0, min(own, remaining_s))


def fits(delay_s: float, elapsed_s: float, deadline_s: float | None, needs_s: float) -> bool:
    """True when waiting `delay_s` still leaves `needs_s` for one attempt before the deadline."""
    if deadline_s is None:
        return True
    return elapsed_s + delay_s + needs_s <= deadline_s


def next_action(
    error: GatewayError,
    attempt: int,
    elapsed_s: float,
    *,
    deadline_s: float | None = None,
    spend: Spend = Spend(),
    policy: RetryPolicy = RetryPolicy(),
    rand: Callable[[], float] = random.random,
    p95_s: float = 0.0,
) -> Action:
    """The policy's answer after `attempt` failed attempts on one model, `elapsed_s` into the request.

    `p95_s` is the model's p95 latency: a retry is only worth starting when that still fits.
    """
    if isinstance(error, ContentRefused):
        return _refused(policy)
    if isinstance(error, RequestRejected | NotConfigured | BadResponse):
        return Action("next", reason=f"{type(error).__name__}: not retried")
    if not isinstance(error, RateLimited | ProviderUnavailable):
        return Action("next", reason=f"{type(error).__name__}: unknown class, not retried")
    if attempt > policy.max_retries:
        return Action("next", reason=f"gave up after {attempt} attempts")
    if isinstance(error, ProviderTimeout) and attempt > policy.max_timeout_retries:
        return Action("next", reason=f"timed out {attempt} times: the model is slow right now")
    if not spend.allows_another():
        return Action("next", reason="another attempt would exceed the request's money cap")
    needs = max(policy.min_attempt_s, p95_s)
    if isinstance(error, RateLimited):
        return _rate_limited(error, elapsed_s, deadline_s, policy, needs)
    delay = backoff_delay(attempt, policy, rand)
    if not fits(delay, elapsed_s, deadline_s, needs):
        return Action("next", reason=f"no time left for a retry (p95 {p95_s:g} s)")
    return Action("retry", delay, reason=f"retry {attempt} after {delay:.2f}s backoff")


def _refused(policy: RetryPolicy) -> Action:
    if policy.allow_fallback_on_refusal:
        return Action("next", reason="refused; fallback on refusal is enabled")
    return Action("stop", reason="refused by the model's safety system; no fallback to another model")


def _rate_limited(
    error: RateLimited, elapsed_s: float, deadline_s: float | None, policy: RetryPolicy, needs_s: float
) -> Action:
    wait = error.retry_after
    if wait is None:
        return Action("next", reason="rate limited without Retry-After")
    too_long = deadline_s is None and wait > policy.max_retry_after_s
    if too_long or not fits(wait, elapsed_s, deadline_s, needs_s):
        return Action("next", reason=f"Retry-After {wait:.1f}s does not fit the deadline")
    return Action("retry", wait, reason=f"honouring Retry-After {wait:.1f}s")


def counts_against_health(error: GatewayError) -> bool:
    """Whether an error says the model is unhealthy (refusals and bad fields say nothing about it)."""
    return isinstance(error, RateLimited | ProviderUnavailable | BadResponse)


# Failures after acceptance a vendor documents as free; every other accepted failure is billed.
UNBILLED_AFTER_ACCEPT: Mapping[str, tuple[type[GatewayError], ...]] = MappingProxyType(
    {
        "fal": (ProviderUnavailable,),  # "not charged for server errors" [C]
        "stability": (ContentRefused,),  # CONTENT_FILTERED results are not charged [3P]
    }
)


def billed(error: GatewayError | None) -> bool:
    """Whether the vendor bills an attempt that ended with `error` (None: it delivered the image)."""
    if error is None:
        return True
    if error.phase != "accepted":
        return False  # refused at the door (429, 401/403, 4xx, a 5xx answer) or never sent
    if isinstance(error, ProviderTimeout):
        return True  # we stopped waiting; the job may run to the end and bill (a cancel is best effort)
    return not isinstance(error, UNBILLED_AFTER_ACCEPT.get(error.provider, ()))
