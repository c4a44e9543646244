"""LayerSpec -> Ready | Pending | Local: what a card can use now, waiting for models up to a deadline.

One look at a layer, in order: the store (ready: use it), a recorded failure (set locally, say
why), no queue (AI layers are off), what the gateway can do right now (budget, reachable models),
then make sure its job is queued (single flight) and call it pending. Pending layers are looked
at again every POLL_S until they settle or the wait ends; the card then uses local stand-ins.

A request waits only when waiting can help: when some pending layer's job is expected to finish
before the wait ends (it started, or starts now if still queued, plus its planned model's catalog
p50). Otherwise it answers at once with the provisional card: holding a server thread for a model
that takes seconds only makes a burst of crawlers queue behind each other (20 cold requests on
8 threads took 2.8 s for the last one; `ogservice bench ai`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from ..tenants.model import DEFAULT_TENANT
from .assets import Failures, ReadyLayers
from .outcomes import Local, Outcome, Pending, Planned, Progress, Ready
from .route import live_reason
from .spec import LayerSpec

POLL_S = 0.03
QUEUE_DOWN = "Redis for the layer queue did not answer (down or hung); asked again in a few seconds"


class Submitter(Protocol):
    """Runs a layer's job somewhere, once: True while it is queued or running, False if it failed."""

    def reachable(self) -> bool:
        """False while the queue is known not to answer (then no job can be submitted)."""
        ...

    def submit(self, spec: LayerSpec) -> bool | None:
        """None when the queue did not answer just now."""
        ...


@dataclass
class Resolver:
    """Looks layers up and waits for them; built once per app or CLI run."""

    layers: ReadyLayers
    failures: Failures
    gateway: Any
    submitter: Submitter | None
    clock: Callable[[], float] = field(default=time.monotonic)

    def resolve(
        self, planned: Sequence[Planned], wait_until: float, progress: Progress | None = None
    ) -> list[Outcome]:
        """Every planned layer's outcome; pending ones are waited for until `wait_until` (monotonic)."""
        started = self.clock()
        outcomes = [p if isinstance(p, Local) else self._look(p, first=True) for p in planned]
        if not self._may_arrive(planned, outcomes, wait_until):
            return outcomes  # nothing can be ready in time: the provisional card, now
        while any(isinstance(o, Pending) for o in outcomes) and self.clock() < wait_until:
            if progress is not None:
                progress(outcomes, self.clock() - started)
            time.sleep(max(0.0, min(POLL_S, wait_until - self.clock())))
            outcomes = [self._again(p, o, started) for p, o in zip(planned, outcomes, strict=True)]
        waited = (self.clock() - started) * 1000
        return [_waited(o, waited) if isinstance(o, Pending) else o for o in outcomes]

    def _may_arrive(self, planned: Sequence[Planned], outcomes: Sequence[Outcome], wait_until: float) -> bool:
        """Whether a pending layer's job is expected to finish before `wait_until`.

        A submitter that cannot say when a job started (jobs run in this process, for the CLI,
        which waits for the final card anyway) is always waited for.
        """
        started_at = getattr(self.submitter, "started_at", None)
        if started_at is None:
            return True
        now, left = time.time(), wait_until - self.clock()
        for spec, outcome in zip(planned, outcomes, strict=True):
            if isinstance(outcome, Pending) and isinstance(spec, LayerSpec):
                model = self.gateway.catalog.find(spec.model)
                expected = (started_at(spec) or now) + (model.latency_p50_s if model else 0.0)
                if expected <= now + left:
                    return True
        return False

    def _again(self, planned: Planned, outcome: Outcome, started: float) -> Outcome:
        if not isinstance(outcome, Pending) or isinstance(planned, Local):
            return outcome
        found = self._look(planned, first=False)
        return found if isinstance(found, Pending) else _waited(found, (self.clock() - started) * 1000)

    def _look(self, spec: LayerSpec, *, first: bool) -> Outcome:
        if (ready := self.layers.ready(spec.key)) is not None:
            if (why := self._beyond_tier(spec, ready.made.model)) is not None:
                return Local(spec.slot, spec.kind, "tier", why, spec.model)
            return Ready(spec.slot, spec.kind, ready, fresh=not first)
        if (failure := self.failures.failure(spec.key, spec.tenant or DEFAULT_TENANT)) is not None:
            return Local(spec.slot, spec.kind, failure.reason, failure.detail, spec.model)
        if self.submitter is None:
            return Local(spec.slot, spec.kind, "ai-off", "no Redis for the layer queue", spec.model)
        # Before the gateway's checks: with the queue's Redis down or hung no job can be made anyway,
        # and the budget and breaker would each wait for that Redis too.
        if not self.submitter.reachable():
            return Local(spec.slot, spec.kind, "queue-down", QUEUE_DOWN, spec.model)
        if first and (reason := live_reason(spec, self.gateway)):
            return Local(spec.slot, spec.kind, reason, "", spec.model)
        running = self.submitter.submit(spec)
        if running is None:
            return Local(spec.slot, spec.kind, "queue-down", QUEUE_DOWN, spec.model)
        if not running:
            return Local(spec.slot, spec.kind, "worker-error", "its last job failed", spec.model)
        return Pending(spec.slot, spec.kind, spec.model)

    def _beyond_tier(self, spec: LayerSpec, maker: str) -> str | None:
        """Why a stored layer may not be used on this request's tier: layers are shared by content,
        and the job that made this one (for another tenant) may have fallen back to a model this
        tier is not offered. None when it may be used."""
        made_by = self.gateway.catalog.find(maker)
        if made_by is None or spec.tier in made_by.tiers:
            return None
        return f"made by {maker}, which is not offered on tier {spec.tier}"


def _waited(outcome: Outcome, ms: float) -> Outcome:
    return replace(outcome, waited_ms=round(ms, 2))
