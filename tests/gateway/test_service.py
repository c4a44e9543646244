"""The Gateway executing decisions: each failure class, breaker and ledger feeding, budgets, deadlines."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PIL import Image

from ogservice.gateway.breaker import Breaker
from ogservice.gateway.catalog import Catalog, ModelSpec, load_catalog
from ogservice.gateway.decision import Decision, RouteContext
from ogservice.gateway.errors import (
    BadResponse,
    ContentRefused,
    GatewayError,
    ProviderUnavailable,
    RateLimited,
    RequestRejected,
)
from ogservice.gateway.ledger import Ledger
from ogservice.gateway.local import FunctionProvider, local_providers
from ogservice.gateway.policy import RetryPolicy
from ogservice.gateway.request import ImageRequest
from ogservice.gateway.router import Router, load_rules
from ogservice.gateway.service import Gateway, GenerationFailed, GenerationRefused

REQ_SIZE = (320, 200)


class Script:
    """A stand-in vendor: answers each call with the next scripted outcome (an error, bytes or 'ok')."""

    def __init__(self, *outcomes: GatewayError | bytes | str) -> None:
        self.outcomes = list(outcomes)
        self.calls = 0

    def __call__(self, req, spec) -> Image.Image | bytes:
        self.calls += 1
        outcome = self.outcomes.pop(0) if len(self.outcomes) > 1 else self.outcomes[0]
        if isinstance(outcome, GatewayError):
            raise outcome
        return outcome if isinstance(outcome, bytes) else Image.new("RGB", (req.width, req.height), "teal")


def spec(model_id: str, provider: str, price: float) -> ModelSpec:
    return ModelSpec(
        id=model_id, provider=provider, price={"default": price}, latency_p50_s=1, latency_p95_s=2
    )


CATALOG = Catalog(models=(spec("alpha", "openai", 0.04), spec("beta", "replicate", 0.02)))
DECISION = Decision(model="alpha", intent="general", rule="test", fallbacks=("beta",))


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def make(settings, redis_client, redis_prefix, sleeps) -> Callable[..., Gateway]:
    """A gateway over the stand-in vendors, with the real Redis behind breaker and ledger."""

    def build(alpha: Script, beta: Script | None = None, **policy: object) -> Gateway:
        providers = {
            "openai": FunctionProvider("openai", alpha),
            "replicate": FunctionProvider("replicate", beta or Script("ok")),
        }
        return Gateway(
            settings,
            CATALOG,
            Router(CATALOG, load_rules()),
            providers,
            Breaker(redis_client, redis_prefix),
            Ledger(redis_client, redis_prefix),
            sleeps.append,
            policy=RetryPolicy(**policy),
        )  # type: ignore[arg-type]

    return build


def run(gateway: Gateway, deadline_s: float | None = None, decision: Decision = DECISION):
    ctx = RouteContext(deadline_s=deadline_s)
    return gateway.execute(ImageRequest(prompt="a fox", width=REQ_SIZE[0], height=REQ_SIZE[1]), decision, ctx)


def test_success_on_the_first_candidate_reports_model_attempts_and_cost(make):
    result = run(make(Script("ok")))
    assert result.model == "alpha" and (result.image.width, result.image.height) == REQ_SIZE
    assert [(a.model, a.outcome) for a in result.attempts] == [("alpha", "ok")]
    assert result.cost_usd == 0.0  # FunctionProvider reports its real cost: nothing


def test_refusal_stops_without_trying_a_more_permissive_model(make):
    beta = Script("ok")
    with pytest.raises(GenerationRefused) as info:
        run(make(Script(ContentRefused("blocked by safety system", provider="alpha")), beta))
    assert beta.calls == 0 and info.value.status == 422
    assert [a.outcome for a in info.value.attempts] == ["ContentRefused"]


def test_refusal_falls_through_only_when_configured(make):
    result = run(make(Script(ContentRefused("blocked")), allow_fallback_on_refusal=True))
    assert result.model == "beta" and result.attempts[0].action.startswith("next")


def test_rate_limit_within_the_deadline_waits_then_succeeds(make, sleeps):
    alpha = Script(RateLimited("slow down", retry_after=1.5), "ok")
    result = run(make(alpha), deadline_s=10)
    assert result.model == "alpha" and alpha.calls == 2 and sleeps == [1.5]


def test_rate_limit_beyond_the_deadline_moves_to_the_next_candidate(make, sleeps):
    alpha = Script(RateLimited("slow down", retry_after=30))
    result = run(make(alpha), deadline_s=5)
    assert result.model == "beta" and alpha.calls == 1 and sleeps == []


def test_server_errors_are_retried_with_backoff_then_next(make, sleeps):
    alpha = Script(ProviderUnavailable("HTTP 503"))
    result = run(make(alpha, max_retries=2, base_delay_s=0.5), deadline_s=30)
    assert alpha.calls == 3 and result.model == "beta"
    assert len(sleeps) == 2 and 0 <= sleeps[0] <= 0.5 and 0 <= sleeps[1] <= 1.0
    assert [a.outcome for a in result.attempts] == ["ProviderUnavailable"] * 3 + ["ok"]


def test_client_errors_are_not_retried(make, sleeps):
    alpha = Script(RequestRejected("invalid size", status=400))
    assert run(make(alpha)).model == "beta" and alpha.calls == 1 and sleeps == []


def test_bytes_that_are_not_an_image_move_to_the_next_candidate(make):
    alpha = Script(b"<html>oops</html>")
    result = run(make(alpha))
    assert result.model == "beta" and result.attempts[0].outcome == BadResponse.__name__


def test_money_cap_stops_retries_because_each_retry_is_billed(make):
    alpha = Script(ProviderUnavailable("job failed", phase="accepted"))  # accepted, then failed: billed
    result = run(make(alpha, max_retries=5, max_request_usd=0.10))
    assert alpha.calls == 2  # $0.04 + $0.04; a third would make $0.12 > $0.10
    assert result.model == "beta" and result.cost_usd == pytest.approx(0.08)


def test_every_candidate_failing_raises_503_with_the_attempts(make):
    with pytest.raises(GenerationFailed) as info:
        run(make(Script(RequestRejected("bad")), Script(BadResponse("garbage"))))
    assert info.value.status == 503
    assert [(a["model"], a["outcome"]) for a in info.value.problem()["attempts"]] == [
        ("alpha", "RequestRejected"),
        ("beta", "BadResponse"),
    ]


def test_breaker_opens_after_consecutive_failures_and_the_model_is_skipped(make):
    alpha = Script(ProviderUnavailable("HTTP 500"))
    gateway = make(alpha, max_retries=0)
    for _ in range(3):
        run(gateway)
    assert gateway.health("alpha") == "open" and gateway.health("beta") == "closed"
    result = run(gateway)
    assert alpha.calls == 3 and result.attempts[0].error == "circuit breaker open"
    assert gateway.health("no-such-model") == "unknown"


def test_route_sees_open_breakers_and_spend_counts_every_call(make):
    gateway = make(Script(ProviderUnavailable("HTTP 500")), max_retries=0)
    for _ in range(3):
        run(gateway)
    ctx = gateway.context(RouteContext())
    assert "alpha" in ctx.unhealthy_models and {"openai", "replicate", "local"} <= ctx.configured_providers
    spend = gateway.spend("default")
    assert spend["by_model"]["alpha"]["errors"] == 3 and spend["by_model"]["beta"]["calls"] == 3
    assert spend["remaining_usd"] == gateway.settings.budget_usd  # failed calls and free images cost nothing


def test_budget_caps_the_request_before_any_call(make):
    alpha = Script("ok")
    gateway = make(alpha)
    ctx = gateway.context(RouteContext(budget_remaining_usd=0.03))
    result = gateway.execute(ImageRequest(prompt="a fox"), DECISION, ctx)
    assert result.model == "beta" and "budget" in result.attempts[0].error and alpha.calls == 0


def test_without_keys_generate_routes_to_local_providers(settings, redis_client, redis_prefix):
    catalog = load_catalog()
    gateway = Gateway(
        settings,
        catalog,
        Router(catalog, load_rules()),
        local_providers(),
        Breaker(redis_client, redis_prefix),
        Ledger(redis_client, redis_prefix),
    )
    result = gateway.generate(
        ImageRequest(prompt="abstract gradient background", width=600, height=315), RouteContext()
    )
    assert result.model.startswith("local-") and (result.image.width, result.image.height) == (600, 315)
    gateway.close()


def test_a_named_model_that_fails_raises_instead_of_answering_with_another(
    settings, redis_client, redis_prefix, sleeps
):
    """The Python API as the CLI: RouteContext(model=...) is that model or GenerationFailed."""
    catalog = Catalog(models=(spec("alpha", "openai", 0.04), spec("local-procedural", "local", 0.0)))
    alpha, local = Script(ProviderUnavailable("HTTP 502")), Script("ok")
    providers = {"openai": FunctionProvider("openai", alpha), "local": FunctionProvider("local", local)}
    gateway = Gateway(
        settings,
        catalog,
        Router(catalog, load_rules()),
        providers,
        Breaker(redis_client, redis_prefix),
        Ledger(redis_client, redis_prefix),
        sleeps.append,
        policy=RetryPolicy(max_retries=0),
    )
    req = ImageRequest(prompt="a fox", width=REQ_SIZE[0], height=REQ_SIZE[1])
    with pytest.raises(GenerationFailed) as info:
        gateway.generate(req, RouteContext(model="alpha"))
    assert [a.model for a in info.value.attempts] == ["alpha"] and local.calls == 0
    result = gateway.generate(req, RouteContext(model="alpha", fallback=True))
    assert (result.model, result.decision.requested, local.calls) == ("local-procedural", "alpha", 1)


def test_a_refused_key_opens_the_providers_breaker_until_a_probe_succeeds(make, redis_client, redis_prefix):
    import time

    from ogservice.gateway.breaker import Breaker
    from ogservice.gateway.errors import KeyRefused
    from ogservice.gateway.service import provider_key

    alpha = Script(KeyRefused("invalid key", provider="openai", status=401), "ok")
    gateway = make(alpha)
    result = run(gateway)
    assert alpha.calls == 1 and result.model == "beta"  # not retried; the next candidate serves
    assert result.attempts[0].outcome == "KeyRefused" and result.attempts[0].cost_usd == 0.0
    assert "check OGS_OPENAI_API_KEY" in result.attempts[0].error
    assert gateway.breaker.state(provider_key("openai")) == "open"
    assert gateway.context(RouteContext()).refused_providers == {"openai"}
    run(gateway)
    assert alpha.calls == 1  # every openai model is skipped while the key stands refused
    # After the cool-down one call probes the key; its success closes the provider's breaker.
    gateway.breaker = Breaker(redis_client, redis_prefix, clock=lambda: time.time() + 3600)
    assert run(gateway).model == "alpha" and alpha.calls == 2
    assert gateway.breaker.state(provider_key("openai")) == "closed"
