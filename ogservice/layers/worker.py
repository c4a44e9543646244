"""`ogservice worker`: an RQ worker for layer jobs and card jobs (publish/queue.py), tuned so a
dead worker's job is run again soon.

RQ's forking Worker runs each job in a work horse and heartbeats while it runs; when the horse
dies (OOM, SIGKILL) the worker fails the job and RQ's Retry runs it again. When the whole worker
dies, its job stays in the StartedJobRegistry until the entry's heartbeat TTL passes; the next
maintenance pass of any worker then finds it abandoned (AbandonedJobError) and retries it. RQ
adds 60 s of grace to that TTL; here the grace is two heartbeats, and maintenance runs every
three, so an abandoned layer is picked up again within about 6 heartbeats (60 s by default,
OGS_WORKER_HEARTBEAT_S), not several minutes later.
"""

from __future__ import annotations

import logging
from typing import Any

import redis
from rq import Queue, Worker
from rq.serializers import JSONSerializer

from ..config import Settings
from ..publish.queue import cards_queue_name
from .flight import queue_name

GRACE_BEATS = 2
MAINTENANCE_BEATS = 3
DEQUEUE_MARGIN_S = 15  # RQ's BLPOP waits worker_ttl - 15 s; maintenance can only run between waits


class LayerWorker(Worker):
    """RQ's forking worker with a heartbeat grace of GRACE_BEATS beats instead of 60 s."""

    def get_heartbeat_ttl(self, job: Any, working_time: float = 0.0) -> int:
        beat = self.job_monitoring_interval
        grace = GRACE_BEATS * beat
        if job.timeout and job.timeout > 0:
            return int(min(job.timeout - working_time, beat)) + grace
        return beat + grace


def build_worker(settings: Settings, name: str | None = None) -> LayerWorker:
    """A worker on this deployment's layer queue (OGS_REDIS_URL, OGS_REDIS_PREFIX)."""
    client = redis.Redis.from_url(settings.redis_url)
    beat = settings.worker_heartbeat_s
    # Layer jobs first: a card job waiting for a layer gives its worker back to the layer's job.
    queues = [
        Queue(name, connection=client, serializer=JSONSerializer)
        for name in (queue_name(settings.redis_prefix), cards_queue_name(settings.redis_prefix))
    ]
    return LayerWorker(
        queues,
        name=name,
        connection=client,
        serializer=JSONSerializer,
        job_monitoring_interval=beat,
        maintenance_interval=MAINTENANCE_BEATS * beat,
        worker_ttl=MAINTENANCE_BEATS * beat + DEQUEUE_MARGIN_S,
    )


class MaintenanceAtDebug(logging.Filter):
    """RQ's worker logs each registry clean-up at INFO, on the logger of its job lines: three lines
    every maintenance interval (30 s by default), the bulk of `make run`'s output when idle. They
    are demoted to DEBUG (shown when that logger is at DEBUG); job start, finish and failure lines
    stay at their level. Matched by RQ's method names, which hold no worker or queue name."""

    ROUTINE = frozenset({"clean_registries", "clean_group_registries"})

    def filter(self, record: logging.LogRecord) -> bool:
        if record.funcName not in self.ROUTINE or record.levelno != logging.INFO:
            return True
        record.levelno, record.levelname = logging.DEBUG, logging.getLevelName(logging.DEBUG)
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


QUIET_MAINTENANCE = MaintenanceAtDebug()


def run_worker(settings: Settings, *, burst: bool = False, name: str | None = None) -> bool:
    """Work on layer jobs until stopped (or, with burst, until the queue is empty)."""
    _preload()
    worker = build_worker(settings, name)
    logging.getLogger("rq.worker").addFilter(QUIET_MAINTENANCE)  # once: the same filter is not re-added
    # The scheduler runs delayed jobs: a publish hook's callback retried with backoff.
    return worker.work(burst=burst, with_scheduler=True, logging_level=logging.getLevelName(logging.INFO))


def _preload() -> None:
    """Import what every job needs once, so each forked work horse starts with it loaded."""
    from ..gateway.catalog import load_catalog
    from ..gateway.router import load_rules
    from . import jobs  # noqa: F401

    load_catalog()
    load_rules()
