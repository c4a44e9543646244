"""The job a worker runs for one layer: gateway -> (lettering: isolate, OCR guard) -> asset.

Every way a model can fail ends in a recorded Failure (the layer is set locally, for a while)
rather than an exception: only a crash, a timeout or a dead worker leaves the retrying to RQ.
A job first looks for the layer in the store, so a retry after a success costs no model call.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from PIL import Image

from ..config import Settings, load_settings
from ..gateway.ledger import CallRecord
from ..gateway.results import GatewayResult, GenerationFailed, GenerationRefused
from ..tenants.model import DEFAULT_TENANT
from .assets import Failure, Failures, Made, ReadyLayers
from .route import job_context
from .spec import LayerSpec

log = logging.getLogger(__name__)

# How long a failure holds before the layer is asked for again. A refusal will not change; a
# misspelling might with another draw, but each draw is paid, so not on every request.
FAILURE_TTL_S = {
    "refused": 7 * 86400,
    "ocr-mismatch": 86400,
    "ocr-unsure": 86400,
    "ocr-no-text": 86400,
    "ocr-ambiguous": 86400,  # planning sets such text locally; a job already queued ends here
    "model-error": 300,
    "budget": 300,
    "unavailable": 120,
    "worker-error": 300,
}
# Failures that say something about the tenant who asked, not about the layer: recorded for that
# tenant alone (another tenant with money left may still have the layer made).
TENANT_FAILURES = frozenset({"budget"})
GATEWAY_SHARE = 0.8  # of the job's timeout, the gateway may spend; the rest is for OCR and storing
# A layer job has no one waiting (the card is served provisionally meanwhile), so a slow call is
# given this many times its model's p95 before it is abandoned and asked (and paid) for again,
# instead of the interactive 1.5x: with it, one flux-schnell call in ~60 that took over 10 s was
# made twice (`ogservice bench ai`). The job's own timeout still bounds a vendor that hangs.
JOB_TIMEOUT_P95_MULTIPLE = 4.0


@dataclass(frozen=True)
class JobServices:
    """What a layer job needs: settings, the gateway (with its ledger), ready layers and failures."""

    settings: Settings
    gateway: Any
    layers: ReadyLayers
    failures: Failures


@contextmanager
def open_services(settings: Settings) -> Iterator[JobServices]:
    """Services for jobs in this process, built from settings and closed afterwards."""
    import redis

    from ..gateway.service import Gateway
    from ..store import open_store

    store = open_store(settings)
    client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=0.5, socket_timeout=2.0)
    gateway = Gateway.from_settings(settings)
    gateway.policy = replace(gateway.policy, timeout_p95_multiple=JOB_TIMEOUT_P95_MULTIPLE)
    try:
        yield JobServices(settings, gateway, ReadyLayers(store), Failures(client, settings.redis_prefix))
    finally:
        gateway.close()
        store.close()  # writes through whatever is still queued
        client.close()


def generate_layer(payload: dict[str, Any]) -> dict[str, Any]:
    """RQ entry point: the layer described by `payload` (a LayerSpec), with services from OGS_*."""
    spec = LayerSpec.model_validate(payload)
    settings = load_settings()
    with open_services(settings) as services:
        return LayerJob(services).run(spec)


def layer_job_failed(job: Any, connection: Any, *exc_info: Any) -> None:
    """RQ failure callback: once no retry is left, the layer is set locally for a while."""
    if job.retries_left:
        return  # RQ runs it again
    spec = LayerSpec.model_validate(job.args[0])
    failures = Failures(connection, load_settings().redis_prefix)
    error = exc_info[0].__name__ if exc_info and exc_info[0] else "the job failed"
    failures.fail(spec.key, Failure("worker-error", f"{error}; no retry left"), FAILURE_TTL_S["worker-error"])


class LayerJob:
    """Makes one layer with the gateway and stores it, or records why it is set locally."""

    def __init__(self, services: JobServices) -> None:
        self.services = services

    def run(self, spec: LayerSpec) -> dict[str, Any]:
        services = self.services
        if (ready := services.layers.ready(spec.key)) is not None:
            return {"state": "ready", "model": ready.made.model, "reused": True}
        began = time.monotonic()
        outcome = self._generate(spec)
        if isinstance(outcome, Failure):
            payer = (spec.tenant or DEFAULT_TENANT) if outcome.reason in TENANT_FAILURES else None
            services.failures.fail(spec.key, outcome, FAILURE_TTL_S.get(outcome.reason, 300), payer)
            log.info(
                "layer %s (%s) set locally: %s %s", spec.slot, spec.key[:12], outcome.reason, outcome.detail
            )
            return {"state": "local", "reason": outcome.reason, "detail": outcome.detail}
        result, image = outcome
        made = Made(
            result.model,
            result.image.provider,
            result.cost_usd,
            round(time.monotonic() - began, 3),
            time.time(),
        )
        digest = services.layers.save(spec.key, image, made)
        services.failures.forget(spec.key)
        return {"state": "ready", "model": made.model, "digest": digest, "cost_usd": made.cost_usd}

    def _generate(self, spec: LayerSpec) -> tuple[GatewayResult, Image.Image] | Failure:
        deadline_s = self.services.settings.layer_timeout_s * GATEWAY_SHARE
        try:
            result = self.services.gateway.generate(spec.request, job_context(spec, deadline_s), spec.tenant)
        except GenerationRefused as exc:
            return Failure("refused", exc.detail)
        except GenerationFailed as exc:
            return Failure(_failure_reason(exc.attempts, exc.decision), exc.detail)
        if result.image.provider == "local":  # the router's last resort: not a model's layer
            return Failure(_failure_reason(result.attempts, result.decision), "no remote model produced it")
        if spec.kind == "lettering":
            return self._checked_lettering(spec, result)
        with Image.open(io.BytesIO(result.image.data)) as image:  # bytes the gateway has verified
            return result, image.convert("RGB")

    def _checked_lettering(
        self, spec: LayerSpec, result: GatewayResult
    ) -> tuple[GatewayResult, Image.Image] | Failure:
        """The lettering alone (transparent, trimmed to its ink) if OCR reads exactly the expected
        words; anything else is discarded (its cost recorded as such) and the layer set locally."""
        from ..lettering import LetteringImageError, check_lettering, isolate

        try:
            lettering = isolate(result.image.data)
        except LetteringImageError as exc:
            return self._discarded(spec, result, "ocr-no-text", str(exc))
        verdict = check_lettering(lettering, spec.text)
        if not verdict.ok:
            return self._discarded(
                spec, result, verdict.reason, f"expected {spec.text!r}, read {verdict.read!r}"
            )
        return result, lettering

    def _discarded(self, spec: LayerSpec, result: GatewayResult, reason: str, detail: str) -> Failure:
        log.warning("lettering from %s discarded (%s): %s", result.model, reason, detail)
        self._record_discard(spec, result, reason)
        return Failure(reason, detail)

    def _record_discard(self, spec: LayerSpec, result: GatewayResult, why: str) -> None:
        record = CallRecord(
            result.model, 0.0, result.cost_usd, why, 0.0, tenant=spec.tenant or DEFAULT_TENANT,
            tier=spec.tier,
            layer="typography", template=spec.template, discarded=True,
        )  # fmt: skip
        self.services.gateway.ledger.record(record)


def _failure_reason(attempts: Any, decision: Any) -> str:
    """budget, unavailable (nothing could be called) or model-error (calls were made and failed)."""
    reasons = [a.error for a in attempts if a.outcome == "skipped"] + [r.reason for r in decision.rejected]
    called = any(a.outcome != "skipped" for a in attempts)
    if not called and any("budget" in reason for reason in reasons):
        return "budget"
    return "model-error" if called else "unavailable"
