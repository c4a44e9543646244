"""Single flight across processes: however many requests and web processes ask for a layer, one job.

The job id is the layer key (under the Redis prefix), and RQ's `unique=True` enqueue checks and
enqueues in one Lua script, so of N concurrent submits exactly one creates the job. A finished
job expires FINISHED_JOB_TTL_S later (its layer, or the reason it failed, is recorded by then, and
is what requests look at first); a job that failed beyond its retries stays FAILED for
FAILED_JOB_TTL_S, during which the layer is set locally, then expires, so the next request tries
again. Nothing here needs a lock of its own.

result_ttl is not 0 (delete at once) on purpose: RQ 3.0.0 deletes a job through its executions,
and a job retried after its worker died still lists the dead execution, whose record has expired:
the delete raises ValueError ("Execution ... not found") and the success is reported as a failure.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC
from typing import Any

from rq import Queue, Retry
from rq.callbacks import Callback
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

from ..redis_guard import RedisGuard
from .spec import LayerSpec

log = logging.getLogger(__name__)

JOB_FUNCTION = "ogservice.layers.jobs.generate_layer"
FAILURE_CALLBACK = "ogservice.layers.jobs.layer_job_failed"
RETRIES = 2  # a job whose worker died (or that raised) runs at most this many more times
FAILED_JOB_TTL_S = 300
FINISHED_JOB_TTL_S = 10
QUEUED_TTL_S = 3600  # a job no worker started within an hour is dropped; the next request re-submits
# FINISHED counts as running: the job recorded its outcome before it finished, so a request sees
# it at its next look; the job itself expires within FINISHED_JOB_TTL_S.
ACTIVE = frozenset(
    {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED, JobStatus.FINISHED}
)


def queue_name(prefix: str) -> str:
    """The RQ queue of layer jobs: one per Redis prefix, so two deployments never share jobs."""
    return f"{prefix}layers"


class LayerQueue:
    """Submits layer jobs to RQ, one per layer key; says whether a layer's job is still running."""

    def __init__(self, client: Any, prefix: str, job_timeout_s: int, guard: RedisGuard | None = None) -> None:
        self.queue = Queue(queue_name(prefix), connection=client, serializer=JSONSerializer)
        self.id_prefix = re.sub(r"[^A-Za-z0-9_-]", "-", prefix)
        self.job_timeout_s = job_timeout_s
        # Shared with the layer failures (same client): one timeout and both leave Redis alone.
        self.guard = guard or RedisGuard(client, "layer queue", log, "setting AI layers locally")

    def job_id(self, key: str) -> str:
        return f"{self.id_prefix}layer-{key}"

    def reachable(self) -> bool:
        """False while the queue's Redis is left alone after a failure (down or hung)."""
        return self.guard.available()

    def submit(self, spec: LayerSpec) -> bool | None:
        """Make sure a job for this layer is queued or running; False if its last job failed (for now),
        None if Redis did not answer (then it is not asked again for a few seconds)."""
        return self.guard.call(lambda _client: self._submit(spec), lambda: None)

    def _submit(self, spec: LayerSpec) -> bool:
        job_id = self.job_id(spec.key)
        for _ in range(3):  # a job can expire between the look and the enqueue; look again
            status = self.status(job_id)
            if status in ACTIVE:
                return True
            if status is not None:
                return False  # failed beyond its retries, stopped or canceled: local until it expires
            try:
                self._enqueue(spec, job_id)
                return True
            except DuplicateJobError:
                continue  # another request or process enqueued it just now
        return True

    def started_at(self, spec: LayerSpec) -> float | None:
        """When this layer's job started running (unix time); None while it is queued, or gone."""
        job = self._fetch(self.job_id(spec.key))
        began = job.started_at if job is not None else None
        if began is None:
            return None
        return (began if began.tzinfo else began.replace(tzinfo=UTC)).timestamp()

    def status(self, job_id: str) -> JobStatus | None:
        job = self._fetch(job_id)
        return job.get_status(refresh=False) if job is not None else None

    def _fetch(self, job_id: str) -> Job | None:
        try:
            return Job.fetch(job_id, connection=self.queue.connection, serializer=JSONSerializer)
        except NoSuchJobError:
            return None

    def _enqueue(self, spec: LayerSpec, job_id: str) -> None:
        self.queue.enqueue(
            JOB_FUNCTION,
            spec.model_dump(mode="json"),
            job_id=job_id,
            unique=True,
            job_timeout=self.job_timeout_s,
            retry=Retry(max=RETRIES),
            result_ttl=FINISHED_JOB_TTL_S,
            failure_ttl=FAILED_JOB_TTL_S,
            ttl=QUEUED_TTL_S,
            on_failure=Callback(FAILURE_CALLBACK),
            description=f"{spec.kind} '{spec.slot}' of {spec.template or 'a card'} via {spec.model}",
        )
