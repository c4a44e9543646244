"""The gateway's time: per-model timeouts from the catalog, retries that fit, cancels at the deadline."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from ogservice.gateway.breaker import Breaker
from ogservice.gateway.catalog import Catalog, ModelSpec, load_catalog
from ogservice.gateway.decision import Decision, RouteContext
from ogservice.gateway.errors import GatewayError, ProviderTimeout, RequestRejected
from ogservice.gateway.ledger import Ledger
from ogservice.gateway.local import local_providers
from ogservice.gateway.providers.comfyui import ComfyUIProvider
from ogservice.gateway.providers.fal import FalProvider
from ogservice.gateway.providers.replicate import ReplicateProvider
from ogservice.gateway.request import GeneratedImage, ImageRequest
from ogservice.gateway.router import Router, load_rules
from ogservice.gateway.service import Gateway
from tests.emulators.comfyui import ComfyUIEmulator
from tests.emulators.fal import FalEmulator
from tests.emulators.replicate import ReplicateEmulator
from tests.gateway.providers.helpers import emulated

SHIPPED = load_catalog()
LOCAL = SHIPPED.get("local-procedural")
# gpt-image-2 at high quality: p95 280 s (providers.md); a fast model under the 10 s floor.
SLOW = ModelSpec(id="slow", provider="openai", price={"default": 0.211}, latency_p50_s=195, latency_p95_s=280)
QUICK = ModelSpec(id="quick", provider="replicate", price={"default": 0.003}, latency_p95_s=2)
CATALOG = Catalog(models=(SLOW, QUICK, LOCAL))
REQ = ImageRequest(prompt="a lighthouse at dusk", width=320, height=200)


class Clock:
    """A monotonic clock that only moves when a stand-in vendor says its call took time."""

    def __init__(self) -> None:
        self.start = self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Vendor:
    """A stand-in vendor: records the deadline each call was given, takes `takes` s, then answers."""

    def __init__(self, name: str, clock: Clock, outcome: GatewayError | None = None, takes: float = 0.0):
        self.name, self.clock, self.outcome, self.takes = name, clock, outcome, takes
        self.deadlines: list[float | None] = []

    def generate(
        self, req: ImageRequest, spec: ModelSpec, *, deadline: float | None = None
    ) -> GeneratedImage:
        self.deadlines.append(None if deadline is None else deadline - self.clock.now)
        self.clock.now += self.takes
        if self.outcome is not None:
            raise self.outcome
        return GeneratedImage(data=b"-", width=req.width, height=req.height, model=spec.id)

    def close(self) -> None:
        """Nothing to release."""


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make(settings, redis_client, redis_prefix) -> Callable[..., Gateway]:
    """A gateway over the given vendors plus the local providers, the real Redis behind breaker and ledger."""

    def build(
        vendors: dict[str, Any], catalog: Catalog = CATALOG, clock: Callable[[], float] = time.monotonic
    ) -> Gateway:
        return Gateway(
            settings,
            catalog,
            Router(catalog, load_rules()),
            {**local_providers(), **vendors},
            Breaker(redis_client, redis_prefix),
            Ledger(redis_client, redis_prefix),
            lambda _s: None,
            clock=clock,
        )

    return build


def decision(*models: str) -> Decision:
    """Try `models` in order, then the local last resort (as every rule ends)."""
    fallbacks = (*models[1:], "local-procedural")
    return Decision(model=models[0], intent="general", rule="test", fallbacks=fallbacks)


# --- per-model timeouts ---------------------------------------------------------------------------------
def test_each_attempt_gets_its_models_own_timeout_from_the_catalog(make, clock):
    slow, quick = Vendor("openai", clock), Vendor("replicate", clock)
    gateway = make({"openai": slow, "replicate": quick}, clock=clock)
    gateway.execute(REQ, decision("slow"), RouteContext())
    gateway.execute(REQ, decision("quick"), RouteContext())
    assert slow.deadlines == [pytest.approx(420)]  # 1.5 x p95 280 s: a fixed 120 s cut it short
    assert quick.deadlines == [pytest.approx(10)]  # the floor: 1.5 x 2 s would punish a cold start


def test_the_timeout_is_capped_by_what_is_left_of_the_deadline(make, clock):
    quick = Vendor("replicate", clock, RequestRejected("bad size", status=400), takes=100)
    slow = Vendor("openai", clock)
    gateway = make({"openai": slow, "replicate": quick}, clock=clock)
    result = gateway.execute(REQ, decision("quick", "slow"), RouteContext(deadline_s=400))
    assert result.model == "slow" and quick.deadlines == [pytest.approx(10)]
    assert slow.deadlines == [pytest.approx(300)]  # 400 s less the 100 s already spent


def test_async_ok_runs_under_the_per_model_timeouts_not_the_callers_wait(make, clock):
    slow = Vendor("openai", clock)
    gateway = make({"openai": slow}, clock=clock)
    result = gateway.execute(REQ, decision("slow"), RouteContext(deadline_s=0.8, async_ok=True))
    assert result.model == "slow" and slow.deadlines == [pytest.approx(420)]


# --- retries after a timeout ------------------------------------------------------------------------------
def test_a_slow_model_that_times_out_is_retried_at_most_once(make, clock):
    slow = Vendor("openai", clock, ProviderTimeout("timed out: ReadTimeout"), takes=420)
    result = make({"openai": slow}, clock=clock).execute(REQ, decision("slow"), RouteContext())
    assert len(slow.deadlines) == 2 and result.model == "local-procedural"
    assert "timed out 2 times" in result.attempts[1].action


def test_a_timeout_is_not_retried_when_the_models_p95_no_longer_fits(make, clock):
    slow = Vendor("openai", clock, ProviderTimeout("timed out: ReadTimeout"), takes=420)
    result = make({"openai": slow}, clock=clock).execute(REQ, decision("slow"), RouteContext(deadline_s=600))
    assert len(slow.deadlines) == 1 and result.model == "local-procedural"
    assert "no time left for a retry (p95 280 s)" in result.attempts[0].action


def test_a_fallback_whose_p95_no_longer_fits_is_not_started(make, clock):
    quick = Vendor("replicate", clock, RequestRejected("bad size", status=400), takes=50)
    slow = Vendor("openai", clock)
    gateway = make({"openai": slow, "replicate": quick}, clock=clock)
    result = gateway.execute(REQ, decision("quick", "slow"), RouteContext(deadline_s=300))
    assert slow.deadlines == [] and result.model == "local-procedural"
    assert result.attempts[1].error == "latency p95 280 s > the 250.00 s left"


# --- after the deadline -----------------------------------------------------------------------------------
def test_the_local_fallback_still_serves_after_the_deadline(make, clock):
    quick = Vendor("replicate", clock, ProviderTimeout("deadline passed while waiting"), takes=31)
    gateway = make({"replicate": quick}, clock=clock)
    result = gateway.execute(REQ, decision("quick"), RouteContext(deadline_s=30))
    assert result.model == "local-procedural" and (result.image.width, result.image.height) == (320, 200)
    assert [a.outcome for a in result.attempts] == ["ProviderTimeout", "ok"]


def _replicate(emulator: ReplicateEmulator) -> None:
    emulator.finishes_within_wait = False


def _no_setup(emulator: Any) -> None:
    """These emulators need nothing beyond polls_until_done to keep a job running."""


@pytest.mark.parametrize(
    ("model_id", "provider_cls", "emulator_cls", "setup", "cancels"),
    [
        (
            "flux-schnell-replicate",
            ReplicateProvider,
            ReplicateEmulator,
            _replicate,
            lambda em: list(em.predictions),
        ),
        ("flux-schnell", FalProvider, FalEmulator, _no_setup, lambda em: list(em.jobs)),
        (
            "comfyui",
            ComfyUIProvider,
            ComfyUIEmulator,
            _no_setup,
            lambda em: [(call, pid) for pid in em.jobs for call in ("delete", "interrupt")],
        ),
    ],
    ids=["replicate", "fal", "comfyui"],
)
def test_a_job_still_running_at_the_deadline_is_cancelled_once_and_local_serves(
    make, model_id, provider_cls, emulator_cls, setup, cancels
):
    emulator = emulator_cls()
    emulator.polls_until_done = 1000
    setup(emulator)
    provider = emulated(provider_cls, emulator, api_key=None if model_id == "comfyui" else "test-key")
    provider.poll_interval = 1000.0  # the next poll would outlast the deadline: the gateway stops waiting
    spec = SHIPPED.get(model_id)
    gateway = make({spec.provider: provider}, catalog=Catalog(models=(spec, LOCAL)))
    ctx = RouteContext(deadline_s=spec.latency_p95_s + 2)
    result = gateway.execute(REQ, decision(model_id), ctx)
    # One cancel per job left behind (the timeout earns one retry, whose job is left behind too).
    assert emulator.cancels == cancels(emulator) and len(cancels(emulator)) >= 1
    assert result.model == "local-procedural" and "cancel sent to the vendor" in result.attempts[0].error


def test_replicate_is_asked_to_wait_no_longer_than_the_time_left(make):
    emulator = ReplicateEmulator()
    spec = SHIPPED.get("flux-schnell-replicate")
    provider = emulated(ReplicateProvider, emulator)
    gateway = make({"replicate": provider}, catalog=Catalog(models=(spec, LOCAL)))
    result = gateway.execute(REQ, decision(spec.id), RouteContext(deadline_s=8.5))
    assert result.model == spec.id and emulator.waits == [7]  # 8.5 s left, less a second for the answer
    gateway.execute(REQ, decision(spec.id), RouteContext())
    assert emulator.waits[-1] == 8  # no deadline: the model's own 10 s timeout, less that second
