"""LayerService: plans, routes and resolves a card's AI layers; one per app or CLI run.

Modes: `queue` (jobs go to RQ workers, the web's way), `inline` (jobs run on threads of this
process: the CLI when no worker listens) and `off` (no Redis reachable at start-up: every AI
layer is set locally, and the service says so when it starts).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Literal

import redis

from ..cards.fields import CardRequest
from ..config import Settings
from ..redis_guard import RedisGuard
from ..store import Store
from ..tenants.model import Tenant
from .assets import Failures, ReadyLayers
from .flight import LayerQueue, queue_name
from .outcomes import Outcome, Planned, Progress
from .plan import plan_asks
from .resolve import Resolver, Submitter
from .route import specify

log = logging.getLogger(__name__)
Mode = Literal["queue", "inline", "off"]


class LayerService:
    """The AI layers of cards: what to ask for (plan) and what is ready (resolve)."""

    def __init__(self, settings: Settings, gateway: Any, resolver: Resolver, mode: Mode, client: Any) -> None:
        self.settings, self.gateway, self.resolver, self.mode = settings, gateway, resolver, mode
        self._client = client

    @classmethod
    def build(
        cls, settings: Settings, store: Store, gateway: Any, *, inline_without_workers: bool = False
    ) -> LayerService:
        """Probe Redis once; queue jobs for workers (or, for the CLI, run them here when none listens)."""
        client = _redis(settings)
        # One guard for the one client: a timeout on any layer lookup leaves Redis alone for all.
        guard = RedisGuard(client, "layer queue", log, "setting AI layers locally")
        layers, failures = ReadyLayers(store), Failures(client, settings.redis_prefix, guard)
        mode: Mode = "off" if client is None else "queue"
        submitter: Submitter | None = None
        if client is not None:
            submitter = LayerQueue(client, settings.redis_prefix, settings.layer_timeout_s, guard)
        if inline_without_workers and (client is None or not _workers(client, settings)):
            from .inline import InlineRunner
            from .jobs import JobServices

            mode, submitter = "inline", InlineRunner(JobServices(settings, gateway, layers, failures))
        return cls(settings, gateway, Resolver(layers, failures, gateway, submitter), mode, client)

    def plan(self, req: CardRequest, tenant: Tenant | None = None) -> list[Planned]:
        """The card's model-made layers: a spec each, or Local with the reason no model is asked.

        `tenant` routes with its tier and pays from its budget (its record in Redis holds the daily
        cap the gateway's budget enforces); None is the default tenant: OGS_TIER, OGS_BUDGET_USD.
        The tenant travels in each LayerSpec to the worker that makes the layer.
        """
        tier = tenant.tier if tenant is not None else self.settings.tier
        name = tenant.name if tenant is not None else None
        return [specify(ask, self.gateway, req.template.name, tier, name) for ask in plan_asks(req)]

    def resolve(
        self, planned: Sequence[Planned], wait_until: float, progress: Progress | None = None
    ) -> list[Outcome]:
        return self.resolver.resolve(planned, wait_until, progress)

    def status(self) -> str:
        """One line for start-up: are AI layers on, where do their jobs go, who runs them."""
        return describe_mode(self.mode, self.settings, self._client)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


def redis_reachable(settings: Settings) -> bool:
    client = _redis(settings)
    if client is not None:
        client.close()
    return client is not None


def startup_status(settings: Settings, *, worker_starting: bool = False) -> str:
    """The start-up line for `ogservice serve`, from a fresh look at Redis and the workers."""
    client = _redis(settings)
    try:
        return describe_mode("off" if client is None else "queue", settings, client, worker_starting)
    finally:
        if client is not None:
            client.close()


def describe_mode(mode: Mode, settings: Settings, client: Any, worker_starting: bool = False) -> str:
    if mode == "off":
        return (
            f"AI layers are off: no Redis at {settings.redis_url} (bg=ai and lettering=ai cards "
            "are drawn locally; start Redis and restart to turn them on)"
        )
    if mode == "inline":
        return "AI layers: jobs run in this process (no layer worker is listening)"
    workers = _workers(client, settings)
    note = ""
    if worker_starting:
        note = "; a worker starts with the server"
    elif not workers:
        note = "; no worker is listening yet: start one with `ogservice worker`"
    return f"AI layers: on, queue {queue_name(settings.redis_prefix)!r}, {workers} worker(s){note}"


def _redis(settings: Settings) -> redis.Redis | None:
    """A client if Redis answers now, else None (AI layers off for this process)."""
    client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=0.25, socket_timeout=0.5)
    try:
        client.ping()
    except redis.RedisError:
        client.close()
        return None
    return client


def _workers(client: Any, settings: Settings) -> int:
    from rq import Queue, Worker

    try:
        return Worker.count(queue=Queue(queue_name(settings.redis_prefix), connection=client))
    except redis.RedisError:
        return 0
