"""Job records in Redis: what a card job or a publish hook was asked, how far it got, what came out.

    {prefix}cardjob:{id}   JSON of JobRecord, kept JOB_TTL_S after its last change

The record is written before the 202 answer names it, and the RQ job carries only its id, so a web
process that restarts loses nothing: the worker reads the request from here and writes the result
back. Only one RQ job works on a record at a time (a card job, then its callback job), so a plain
SET is enough. Records are tenant-scoped: `get(id, tenant)` of another tenant's job is None.
"""

from __future__ import annotations

import secrets
import time
from typing import Any, Literal

import redis
from pydantic import BaseModel, ConfigDict, Field

from .models import CallbackOutcome, CardResult, CardsResponse, JobProgress, JobView

JOB_TTL_S = 7 * 86400


class RenderSpec(BaseModel):
    """What to render: the same for POST /v1/cards and a publish hook."""

    model_config = ConfigDict(frozen=True)

    template: str
    fields: dict[str, str]
    sizes: list[str]
    format: str
    max_bytes: int | None = None


class JobRecord(BaseModel):
    """A job as stored; `view()` is what GET /v1/jobs/<id> shows."""

    id: str
    tenant: str
    kind: Literal["cards", "publish"]
    spec: RenderSpec
    state: Literal["queued", "running", "done", "failed"] = "queued"
    progress: JobProgress
    result: CardsResponse | None = None
    partial: dict[str, CardResult] = Field(default_factory=dict)  # by requested size ("" = default)
    error: str = ""
    callback: CallbackOutcome | None = None
    post_id: str | None = None
    version: str | None = None
    runs: int = 0  # how many times a worker picked the job up (it resumes while AI layers are pending)
    started: float = 0.0  # when a worker first picked it up (the layer wait counts from here)
    renders: int = 0  # cards composed for this job (a retried delivery must not add any)
    created: float = Field(default_factory=time.time)
    updated: float = Field(default_factory=time.time)

    def view(self) -> JobView:
        return JobView(
            id=self.id, kind=self.kind, state=self.state, progress=self.progress, result=self.result,
            error=self.error, callback=self.callback, post_id=self.post_id, version=self.version,
            created=self.created, updated=self.updated,
        )  # fmt: skip


def new_job_id() -> str:
    return "job_" + secrets.token_hex(10)


class JobStore:
    """Reads and writes job records under the Redis prefix."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client, self.prefix = client, prefix

    def _key(self, job_id: str) -> str:
        return f"{self.prefix}cardjob:{job_id}"

    def create(
        self, tenant: str, kind: Literal["cards", "publish"], spec: RenderSpec, job_id: str = "", **extra: Any
    ) -> JobRecord:
        total = max(1, len(spec.sizes))
        record = JobRecord(
            id=job_id or new_job_id(), tenant=tenant, kind=kind, spec=spec,
            progress=JobProgress(done=0, total=total),
            **extra,
        )  # fmt: skip
        self.save(record)
        return record

    def save(self, record: JobRecord) -> JobRecord:
        record = record.model_copy(update={"updated": time.time()})
        self.client.set(self._key(record.id), record.model_dump_json(), ex=JOB_TTL_S)
        return record

    def load(self, job_id: str) -> JobRecord | None:
        raw = self.client.get(self._key(job_id))
        return JobRecord.model_validate_json(raw) if raw else None

    def get(self, job_id: str, tenant: str) -> JobRecord | None:
        """The job if it exists and belongs to `tenant` (another tenant's id reads as unknown)."""
        record = self.load(job_id) if job_id.startswith("job_") and len(job_id) <= 64 else None
        return record if record is not None and record.tenant == tenant else None
