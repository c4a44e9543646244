"""The Gateway: routes a request, then executes the decision's candidates under the failure policy.

    route(req, ctx)    -> Decision        the router, told about open breakers, budget and providers
    generate(req, ctx) -> GatewayResult   route + execute: candidates in order, retries per policy.py,
                                          every attempt fed to the breaker and the cost ledger
    health(model), spend(), close()

Every paid attempt first reserves its predicted price against the tenant's daily budget (budget.py:
atomic across processes) and settles the reservation with what the vendor bills once it is done
(policy.billed: the same figure the ledger and the result's cost get); an attempt the budget cannot
cover is skipped, so the next (cheaper or local) candidate serves. A refused key (KeyRefused) trips
its provider's breaker: the provider's models are skipped until a probe after the cool-down.

A refusal raises GenerationRefused (422) unless fallback on refusal is configured; when every
candidate fails, GenerationFailed (503) carries the attempts so callers can explain what happened
(both, with Attempt and GatewayResult, live in results.py and are re-exported here).

Time: each remote attempt ends at its own timeout (policy.attempt_timeout: a multiple of the model's
p95, capped by what is left of the deadline); a remote candidate whose p95 no longer fits is skipped.
The local models have no deadline: they answer in milliseconds, so the last resort still serves
after the deadline, as it does when the router filters every remote model out. With
`ctx.async_ok` the deadline is the caller's wait for a provisional result, not the model's: the
run itself is bounded only by the per-model timeouts.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import redis

from ..health import Health
from ..tenants.model import DEFAULT_TENANT
from .breaker import Breaker
from .budget import Budget, BudgetRefused
from .decision import Decision, RouteContext
from .errors import BadResponse, GatewayError, KeyRefused, key_setting
from .ledger import CallRecord, Ledger
from .policy import (
    Action,
    RetryPolicy,
    Spend,
    attempt_timeout,
    billed,
    counts_against_health,
    next_action,
)
from .request import GeneratedImage, ImageRequest
from .results import Attempt, GatewayResult, GenerationFailed, GenerationRefused

if TYPE_CHECKING:
    from ..config import Settings
    from .catalog import Catalog, ModelSpec

log = logging.getLogger(__name__)
# The router admits a model whose p95 equals the deadline; our own book-keeping since then (a few
# Redis reads) must not make the gateway skip it.
_GRACE_S = 0.05
PROVIDER_BREAKER = "provider:"  # prefix of the per-provider breakers among the per-model ones
__all__ = ["Attempt", "Gateway", "GatewayResult", "GenerationFailed", "GenerationRefused"]


@dataclass
class _Run:
    """Mutable book-keeping of one generate() call: clock, deadline, predicted spend, attempts."""

    start: float
    deadline_s: float | None
    cap_usd: float | None
    spent_usd: float = 0.0
    attempts: list[Attempt] = field(default_factory=list)
    refused: set[str] = field(default_factory=set)  # providers that refused our key during this run
    probing: set[str] = field(default_factory=set)  # providers this run probes after a refused key

    def elapsed(self, now: float) -> float:
        return now - self.start

    def left(self, now: float) -> float | None:
        """Seconds left before the deadline (negative once it passed), None without one."""
        return None if self.deadline_s is None else self.deadline_s - self.elapsed(now)


class Gateway:
    """Executes routing decisions against providers, with breaker, ledger and failure policy."""

    def __init__(
        self,
        settings: Settings,
        catalog: Catalog,
        router: Any,
        providers: dict[str, Any],
        breaker: Breaker,
        ledger: Ledger,
        sleeper: Callable[[float], None] = time.sleep,
        *,
        policy: RetryPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
        owned: tuple[Any, ...] = (),
        budget: Budget | None = None,
    ) -> None:
        self.settings, self.catalog, self.router = settings, catalog, router
        self.providers, self.breaker, self.ledger = providers, breaker, ledger
        # Without an explicit one, the budget keeps its counters next to the ledger's.
        self.budget = budget or Budget(ledger.guard.client, ledger.redis_prefix, settings.budget_usd)
        self.sleeper, self.clock = sleeper, clock
        self.policy = policy or RetryPolicy()
        self._owned = owned  # things this gateway opened and must close (the Redis client)

    @classmethod
    def from_settings(cls, settings: Settings, *, client: Any = None) -> Gateway:
        """Everything from one Settings: catalog, router, providers, Redis-backed breaker and ledger."""
        from .catalog import load_catalog
        from .registry import build_providers

        catalog = load_catalog(settings.models_file)
        r = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=0.25, socket_timeout=0.5)
        policy = RetryPolicy(allow_fallback_on_refusal=settings.allow_fallback_on_refusal)
        return cls(
            settings,
            catalog,
            _router(catalog, settings),
            build_providers(settings, catalog, client),
            Breaker(r, settings.redis_prefix),
            Ledger(r, settings.redis_prefix),
            policy=policy,
            owned=(r,),
            budget=Budget(r, settings.redis_prefix, settings.budget_usd),
        )

    # --- routing -----------------------------------------------------------------------------------
    def route(self, req: ImageRequest, ctx: RouteContext, tenant: str | None = None) -> Decision:
        """The router's decision, with open breakers, remaining budget and configured providers filled in."""
        return self.router.decide(req, self.context(ctx, tenant))

    def context(self, ctx: RouteContext, tenant: str | None = None) -> RouteContext:
        """`ctx` plus what only the gateway knows: unhealthy models, today's budget, usable providers."""
        budget = self.budget.remaining(tenant or DEFAULT_TENANT)
        if ctx.budget_remaining_usd is not None:
            budget = min(budget, ctx.budget_remaining_usd)
        open_now = self.breaker.unhealthy()
        providers = frozenset(k for k in open_now if k.startswith(PROVIDER_BREAKER))
        return ctx.model_copy(
            update={
                "unhealthy_models": ctx.unhealthy_models | (open_now - providers),
                "refused_providers": frozenset(k.removeprefix(PROVIDER_BREAKER) for k in providers),
                "configured_providers": frozenset(self.providers) | {"local"},
                "budget_remaining_usd": budget,
            }
        )

    # --- execution ---------------------------------------------------------------------------------
    def generate(self, req: ImageRequest, ctx: RouteContext, tenant: str | None = None) -> GatewayResult:
        """Route, then execute; raises GenerationRefused or GenerationFailed when no image comes back."""
        ctx = self.context(ctx, tenant)
        return self.execute(req, self.router.decide(req, ctx), ctx, tenant)

    def execute(
        self, req: ImageRequest, decision: Decision, ctx: RouteContext, tenant: str | None = None
    ) -> GatewayResult:
        """Try the decision's candidates in order under the policy, within ctx's deadline and budget."""
        if ctx.quality and ctx.quality != req.quality:
            req = req.model_copy(update={"quality": ctx.quality})
        cap = _min(ctx.budget_remaining_usd, self.policy.max_request_usd)
        run = _Run(self.clock(), _run_deadline(ctx), cap)
        for model in decision.candidates():
            image = self._try_model(model, req, ctx, run, tenant, decision)
            if image is not None:
                return GatewayResult(image, decision, tuple(run.attempts))
        detail = (
            "; ".join(f"{a.model}: {a.outcome} {a.error}".strip() for a in run.attempts) or "no candidates"
        )
        raise GenerationFailed(f"no model produced an image ({detail})", decision, tuple(run.attempts))

    def _try_model(
        self,
        model: str,
        req: ImageRequest,
        ctx: RouteContext,
        run: _Run,
        tenant: str | None,
        decision: Decision,
    ) -> GeneratedImage | None:
        spec, provider, reason = self._usable(model, run)
        cost = spec.price_of(req) if spec else 0.0
        if not reason and run.cap_usd is not None and run.spent_usd + cost > run.cap_usd + 1e-9:
            reason = f"predicted ${cost:.4f} exceeds the remaining budget"
        if reason or spec is None:
            run.attempts.append(Attempt(model, "skipped", reason))
            return None
        for attempt in range(1, self.policy.max_retries + 2):
            image, action = self._attempt(provider, spec, req, ctx, run, tenant, attempt, cost)
            if image is not None:
                return image
            if action.kind == "stop":
                raise GenerationRefused(run.attempts[-1].error, decision, tuple(run.attempts))
            if action.kind == "next":
                return None
            self.sleeper(action.delay_s)
        return None

    def _usable(self, model: str, run: _Run) -> tuple[ModelSpec | None, Any, str]:
        """(spec, provider, '') when the model can be called now, else the reason to skip it."""
        spec = self.catalog.find(model)
        provider = self.providers.get(spec.provider) if spec else None
        if spec is None:
            return None, None, "not in the catalog"
        if provider is None:
            return spec, None, f"provider {spec.provider} is not configured"
        if spec.provider != "local" and (late := self._late(spec, run)):
            return spec, None, late
        if spec.provider != "local" and (refused := self._key_refused(spec.provider, run)):
            return spec, None, refused
        if not self.breaker.allow(model):
            return spec, None, "circuit breaker open"
        return spec, provider, ""

    def _key_refused(self, provider: str, run: _Run) -> str:
        """Why `provider` is not called while its key stands refused ('' when it may be called)."""
        key = provider_key(provider)
        if provider in run.refused or (
            self.breaker.state(key) != "closed" and not self._probe(provider, key, run)
        ):
            return f"provider {provider} refused the API key: check {key_setting(provider)}"
        return ""

    def _probe(self, provider: str, key: str, run: _Run) -> bool:
        """Whether this run is the one call that tries a refused key again after the cool-down."""
        if self.breaker.allow(key):
            run.probing.add(provider)
            return True
        return False

    def _late(self, spec: ModelSpec, run: _Run) -> str:
        """Why a remote model cannot start now: the deadline passed, or its p95 no longer fits."""
        left = run.left(self.clock())
        if left is None:
            return ""
        if left <= 0:
            return "deadline passed"
        if spec.latency_p95_s > left + _GRACE_S:
            return f"latency p95 {spec.latency_p95_s:g} s > the {left:.2f} s left"
        return ""

    def _attempt_deadline(self, spec: ModelSpec, run: _Run) -> float | None:
        """When this attempt gives up (on self.clock); None for local models, the last resort."""
        if spec.provider == "local":
            return None
        now = self.clock()
        return now + attempt_timeout(spec.latency_p95_s, run.left(now), self.policy)

    def _attempt(
        self,
        provider: Any,
        spec: ModelSpec,
        req: ImageRequest,
        ctx: RouteContext,
        run: _Run,
        tenant: str | None,
        attempt: int,
        cost: float,
    ) -> tuple[GeneratedImage | None, Action]:
        """One billed call, paid from a budget reservation and recorded in ledger, breaker and run;
        the image, or the action to take next."""
        try:
            hold = self.budget.reserve(tenant or DEFAULT_TENANT, cost)
        except BudgetRefused as exc:
            run.attempts.append(Attempt(spec.id, "skipped", str(exc)))
            return None, Action("next", "budget")
        began = self.clock()
        try:
            image = self._call(provider, spec, req, run)
        except GatewayError as exc:
            action = self._failed(exc, spec, run, tenant, ctx, attempt, cost, self.clock() - began)
            self.budget.settle(hold, run.attempts[-1].cost_usd)
            return None, action
        latency = self.clock() - began
        actual = image.cost_usd if image.cost_usd is not None else cost
        self.budget.settle(hold, actual)
        run.spent_usd += actual
        run.attempts.append(Attempt(spec.id, "ok", latency_s=round(latency, 4), cost_usd=actual))
        self.breaker.record(spec.id, ok=True)
        if spec.provider in run.probing:  # the probe of a provider whose key was refused went through
            self.breaker.record(provider_key(spec.provider), ok=True)
        self._bill(spec.id, cost, actual, "ok", latency, tenant, ctx)
        return image, Action("next")

    def _call(self, provider: Any, spec: ModelSpec, req: ImageRequest, run: _Run) -> GeneratedImage:
        try:
            return provider.generate(req, spec, deadline=self._attempt_deadline(spec, run))
        except GatewayError:
            raise
        except Exception as exc:  # a bug in one adapter must not take the request down: log it, move on
            log.exception("provider %s raised an unmapped error", spec.provider)
            raise BadResponse(f"adapter error: {type(exc).__name__}", provider=spec.provider) from exc

    def _failed(
        self,
        exc: GatewayError,
        spec: ModelSpec,
        run: _Run,
        tenant: str | None,
        ctx: RouteContext,
        attempt: int,
        cost: float,
        latency: float,
    ) -> Action:
        """Book what the vendor bills for the failed attempt, feed the breakers; the policy's next step."""
        booked = cost if billed(exc) else 0.0
        run.spent_usd += booked
        spend = Spend(run.spent_usd, cost, run.cap_usd)
        action = next_action(
            exc,
            attempt,
            run.elapsed(self.clock()),
            deadline_s=run.deadline_s,
            spend=spend,
            policy=self.policy,
            p95_s=spec.latency_p95_s,
        )
        run.attempts.append(
            Attempt(
                spec.id,
                type(exc).__name__,
                str(exc),
                round(latency, 4),
                booked,
                f"{action.kind}: {action.reason}",
            )
        )
        if isinstance(exc, KeyRefused):  # every model of this provider would be refused alike
            self.breaker.trip(provider_key(spec.provider))
            run.refused.add(spec.provider)
        elif counts_against_health(exc):
            self.breaker.record(spec.id, ok=False)
        self._bill(spec.id, booked, booked, type(exc).__name__, latency, tenant, ctx)
        return action

    def _bill(
        self,
        model: str,
        predicted: float,
        actual: float,
        outcome: str,
        latency: float,
        tenant: str | None,
        ctx: RouteContext,
    ) -> None:
        self.ledger.record(
            CallRecord(
                model,
                predicted,
                actual,
                outcome,
                round(latency, 4),
                tenant=tenant or DEFAULT_TENANT,
                tier=ctx.tier,
                layer=ctx.layer or "",
                template=ctx.template or "",
            )
        )

    def call_once(
        self, model_id: str, req: ImageRequest, ctx: RouteContext | None = None, tenant: str | None = None
    ) -> tuple[GeneratedImage | None, Attempt]:
        """One call to one model, no retry or fallback (benchmarks); still fed to breaker and ledger."""
        ctx = ctx or RouteContext()
        spec = self.catalog.get(model_id)
        provider = self.providers.get(spec.provider)
        run = _Run(self.clock(), _run_deadline(ctx), None)
        if provider is None:
            return None, Attempt(model_id, "skipped", f"provider {spec.provider} is not configured")
        cost = spec.price_of(req)
        image, _ = self._attempt(provider, spec, req, ctx, run, tenant, 1, cost)
        return image, run.attempts[-1]

    # --- introspection -------------------------------------------------------------------------------
    def health(self, model_id: str) -> str:
        """Breaker state of a catalog model: closed, open, half-open; unknown for other ids."""
        return self.breaker.state(model_id) if model_id in self.catalog else "unknown"

    def dependencies(self) -> dict[str, Health]:
        """The Redis breaker, ledger and budget keep their state in, as each of them last found it."""
        return {
            "breaker": self.breaker.guard.health(),
            "ledger": self.ledger.guard.health(),
            "budget": self.budget.health(),
        }

    def spend(self, tenant: str | None = None) -> dict[str, Any]:
        """Today's spend summary (per model, tier, tenant); for one tenant also its budget and what is
        left of it (calls in flight count as spent); for all tenants the default budget."""
        summary = self.ledger.spend(tenant)
        if tenant is None:
            summary["budget_usd"] = self.settings.budget_usd
            return summary
        state = self.budget.state(tenant)
        summary.update(budget_usd=state.limit_usd, remaining_usd=state.remaining_usd)
        return summary

    def close(self) -> None:
        """Close every provider's HTTP client and whatever this gateway opened."""
        for provider in self.providers.values():
            provider.close()
        for resource in self._owned:
            resource.close()


def provider_key(provider: str) -> str:
    """The breaker that stops every call to a provider whose API key was refused."""
    return f"{PROVIDER_BREAKER}{provider}"


def _run_deadline(ctx: RouteContext) -> float | None:
    """The run's deadline: the caller's, unless the caller serves a provisional result meanwhile."""
    return None if ctx.async_ok else ctx.deadline_s


def _min(a: float | None, b: float | None) -> float | None:
    values = [v for v in (a, b) if v is not None]
    return min(values) if values else None


def _router(catalog: Catalog, settings: Settings) -> Any:
    """The router over this catalog with the shipped rules, or OGS_RULES_FILE's."""
    from .router import Router, load_rules

    return Router(catalog, load_rules(settings.rules_file))
