"""Card jobs on the RQ workers: render every size to its final form, then (publish hooks) call back.

The queue is `{prefix}cards`, next to the layer queue; `ogservice worker` listens to both, layer
jobs first. A card job never holds a worker while a layer it needs waits in the queue behind it:
each run waits for AI layers at most RUN_WAIT_S, records the sizes that settled, and, while a layer
is still being made, puts itself back at the end of the queue (a worker takes the waiting layer
job first). After LAYER_PATIENCE layer timeouts the job finishes with local stand-ins and says so.

A publish job's callback is its own RQ job: a failed attempt is scheduled again after
OGS_CALLBACK_BACKOFF_S * 2^(attempt-1) seconds (RQ's scheduler, which the worker runs), at most
CALLBACK_ATTEMPTS times, and every attempt is recorded on the job.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import redis
from rq import Queue, Retry
from rq.callbacks import Callback
from rq.serializers import JSONSerializer

from ..config import Settings, load_settings
from ..errors import OgsError
from ..pipeline import CardService
from ..store.retention import pin
from ..tenants.model import DEFAULT_TENANT, Tenant
from ..tenants.store import TenantStore
from .jobs import JobRecord, JobStore
from .models import CardResult, CardsResponse, JobProgress
from .render import render_sizes

log = logging.getLogger(__name__)

RUN_WAIT_S = 2.0  # longest one run of a card job waits for AI layers before giving the worker back
LAYER_PATIENCE = 2  # a card job waits at most this many OGS_LAYER_TIMEOUT_S for its layers
CARD_JOB = "ogservice.publish.queue.run_card_job"
CALLBACK_JOB = "ogservice.publish.queue.send_callback"
CARD_JOB_FAILED = "ogservice.publish.queue.card_job_failed"
CALLBACK_ATTEMPTS = 6
RUN_TIMEOUT_S = 300


def cards_queue_name(prefix: str) -> str:
    """The RQ queue of card jobs: one per Redis prefix, like the layer queue."""
    return f"{prefix}cards"


class CardQueue:
    """Enqueues card jobs and callback attempts."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.queue = Queue(cards_queue_name(prefix), connection=client, serializer=JSONSerializer)

    def run(self, job_id: str) -> None:
        self.queue.enqueue(
            CARD_JOB, job_id, job_timeout=RUN_TIMEOUT_S, retry=Retry(max=2), result_ttl=60,
            failure_ttl=86400, on_failure=Callback(CARD_JOB_FAILED), description=f"cards of {job_id}",
        )  # fmt: skip

    def callback(self, job_id: str, delay_s: float = 0.0) -> None:
        options: dict[str, Any] = {"job_timeout": 60, "result_ttl": 60, "failure_ttl": 86400}
        if delay_s <= 0:
            self.queue.enqueue(CALLBACK_JOB, job_id, **options)
        else:
            self.queue.enqueue_in(timedelta(seconds=delay_s), CALLBACK_JOB, job_id, **options)


@dataclass
class WorkerServices:
    """What a card job needs in the worker: settings, a card service with queued AI layers, Redis."""

    settings: Settings
    cards: CardService
    client: redis.Redis
    jobs: JobStore
    queue: CardQueue
    tenants: TenantStore


@contextmanager
def worker_services() -> Iterator[WorkerServices]:
    from ..gateway.service import Gateway
    from ..layers.service import LayerService
    from ..store import open_store

    settings = load_settings()
    store = open_store(settings)
    gateway = Gateway.from_settings(settings)
    layers = LayerService.build(settings, store, gateway)
    client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=1, socket_timeout=5)
    try:
        cards = CardService(settings, store, layers=layers)
        jobs = JobStore(client, settings.redis_prefix)
        tenants = TenantStore(client, settings.redis_prefix)
        yield WorkerServices(settings, cards, client, jobs, CardQueue(client, settings.redis_prefix), tenants)
    finally:
        layers.close()
        gateway.close()
        store.close()  # writes through what is still queued before the work horse exits
        client.close()


def run_card_job(job_id: str) -> str:
    """RQ entry point: one run of a card job (see the module docstring)."""
    with worker_services() as services:
        record = services.jobs.load(job_id)
        if record is None or record.state in ("done", "failed"):
            return "gone" if record is None else record.state
        return CardJobRun(services, record).run()


class CardJobRun:
    """One run of a card job: render the sizes not final yet, then finish or queue the next run."""

    def __init__(self, services: WorkerServices, record: JobRecord) -> None:
        self.services, self.record = services, record
        self.sizes = record.spec.sizes or [""]  # "": the template's default size

    def run(self) -> str:
        now = time.time()
        record = self.record.model_copy(
            update={"state": "running", "runs": self.record.runs + 1, "started": self.record.started or now}
        )
        patience = self.services.settings.layer_timeout_s * LAYER_PATIENCE
        give_up = now - record.started > patience
        wait_until = time.monotonic() + (0 if give_up else RUN_WAIT_S)
        tenant = self._tenant(record.tenant)
        if tenant is None:  # never someone else's money: no tier and budget to spend with, no render
            return self._finish(record, 0, error=f"tenant {record.tenant!r} has no record")
        try:
            partial, renders = self._render_unsettled(record, wait_until, tenant)
        except OgsError as exc:  # the web validated the request; a template removed since, say
            return self._finish(record, 0, error=exc.detail)
        record = record.model_copy(update={"partial": partial})
        settled = sum(1 for r in partial.values() if not r.provisional)
        if settled < len(self.sizes) and not give_up:
            progress = JobProgress(done=settled, total=len(self.sizes))
            self._save(record.model_copy(update={"progress": progress}), renders)
            self.services.queue.run(record.id)  # back of the queue: waiting layer jobs go first
            return "waiting"
        note = f"AI layers did not finish within {patience} s; local stand-ins used" if give_up else ""
        return self._finish(record, renders, error=note, failed=False)

    def _tenant(self, name: str) -> Tenant | None:
        """The job's tenant as it is now (tier and budget may have changed since the job was made);
        the default tenant from settings; None for a name without a record."""
        if name == DEFAULT_TENANT:
            return Tenant.default(self.services.settings)
        return self.services.tenants.tenant(name)

    def _render_unsettled(
        self, record: JobRecord, wait_until: float, tenant: Tenant
    ) -> tuple[dict[str, CardResult], int]:
        """Each size not final yet, waiting for its AI layers until `wait_until` (monotonic) at most,
        routed on the tenant's tier and paid from its budget; the results by size, and how many cards
        were composed (cache hits are not)."""
        settled = {size for size, result in record.partial.items() if not result.provisional}
        keep = record.kind == "publish"  # pinned: stored without expiry from the first put on
        cards = self.services.cards
        done = render_sizes(cards, record.spec, wait_until, skip=settled, tenant=tenant, keep=keep)
        partial = {**record.partial, **{size: r.result for size, r in done.items()}}
        return partial, sum(1 for r in done.values() if not r.cache_hit)

    def _finish(self, record: JobRecord, renders: int, error: str = "", failed: bool | None = None) -> str:
        """Done (or failed, with `error`): the result, then for a publish hook its pins and callback."""
        services = self.services
        cards = [record.partial[size] for size in self.sizes if size in record.partial]
        failed = bool(error) if failed is None else failed
        update: dict[str, Any] = {
            "state": "failed" if failed else "done",
            "error": error,
            "progress": JobProgress(done=len(cards), total=len(self.sizes)),
            "result": None if failed else CardsResponse(template=record.spec.template, cards=cards),
        }
        record = self._save(record.model_copy(update=update), renders)
        if record.kind == "publish" and not failed:
            pin_cards(services.client, services.settings.redis_prefix, cards, record.id)
            services.queue.callback(record.id)
        return record.state

    def _save(self, record: JobRecord, renders: int) -> JobRecord:
        if renders:
            count_renders(self.services.client, self.services.settings.redis_prefix, record.tenant, renders)
        return self.services.jobs.save(record.model_copy(update={"renders": record.renders + renders}))


def renders_key(prefix: str, tenant: str) -> str:
    """Counter of cards composed by card jobs for a tenant (cache hits are not renders)."""
    return f"{prefix}renders:{tenant}"


def count_renders(client: redis.Redis, prefix: str, tenant: str, n: int) -> None:
    client.incrby(renders_key(prefix, tenant), n)


def pin_cards(client: redis.Redis, prefix: str, cards: list[CardResult], job_id: str) -> None:
    """Pin a publish hook's assets (see store/retention.py): they were stored without expiry."""
    pin(client, prefix, (c.url.rsplit("/", 1)[-1].split(".")[0] for c in cards), job_id)


def card_job_failed(job: Any, connection: Any, *exc_info: Any) -> None:
    """RQ failure callback: once no retry is left, the job record says it failed."""
    if job.retries_left:
        return
    settings = load_settings()
    jobs = JobStore(connection, settings.redis_prefix)
    record = jobs.load(job.args[0])
    if record is not None:
        error = exc_info[0].__name__ if exc_info and exc_info[0] else "the job failed"
        jobs.save(record.model_copy(update={"state": "failed", "error": f"{error}; no retry left"}))


def send_callback(job_id: str) -> str:
    """RQ entry point: one attempt to deliver a publish job's result (see callback.py)."""
    from .callback import deliver

    settings = load_settings()
    client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=1, socket_timeout=5)
    try:
        return deliver(settings, client, job_id, CardQueue(client, settings.redis_prefix))
    finally:
        client.close()
