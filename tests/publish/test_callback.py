"""The callback's SSRF guard: a tenant's callback URL is reached only at public or listed addresses."""

from __future__ import annotations

import redis

from ogservice.publish.callback import deliver
from ogservice.publish.jobs import JobStore, RenderSpec
from ogservice.publish.models import CardsResponse
from ogservice.publish.queue import CardQueue
from ogservice.tenants.store import TenantStore
from tests.layers.conftest import settings_from
from tests.publish.conftest import CallbackReceiver


def _done_job(client: redis.Redis, prefix: str) -> str:
    spec = RenderSpec(template="blog-post", fields={"title": "x"}, sizes=["og"], format="png")
    jobs = JobStore(client, prefix)
    record = jobs.create("acme", "publish", spec, post_id="1", version="1")
    result = CardsResponse(template="blog-post", cards=[])
    jobs.save(record.model_copy(update={"state": "done", "result": result}))
    return record.id


def test_a_loopback_callback_is_refused_unless_its_exact_address_is_listed(
    base_env: dict[str, str], cms: CallbackReceiver, redis_client: redis.Redis, redis_prefix: str
) -> None:
    base_env = {**base_env, "OGS_IMAGE_FETCH_ALLOW_HTTP": "1", "OGS_IMAGE_FETCH_PORTS": str(cms.port)}
    tenants = TenantStore(redis_client, redis_prefix)
    tenants.create_key("acme", tier="pro", budget_usd=1.0, callback_url=cms.url)
    tenants.new_hook_secret("acme")
    queue = CardQueue(redis_client, redis_prefix)
    other_port = f"127.0.0.1:{cms.port + 1 if cms.port < 65535 else cms.port - 1}"
    for listed in ("", other_port):  # nothing listed; another port of the same address listed
        settings = settings_from({**base_env, "OGS_CALLBACK_PRIVATE_ADDRESSES": listed})
        job_id = _done_job(redis_client, redis_prefix)
        assert deliver(settings, redis_client, job_id, queue) == "pending"
        outcome = JobStore(redis_client, redis_prefix).load(job_id).callback
        assert outcome.attempts == 1 and outcome.last_status is None
        assert "only public addresses" in outcome.last_error
        # The refusal names the callback URL (the fetcher's wording is about image URLs).
        assert outcome.last_error.startswith(f"callback URL {cms.url} refused: ")
        assert "image" not in outcome.last_error
    assert cms.received == []  # no connection reached the receiver
    settings = settings_from({**base_env, "OGS_CALLBACK_PRIVATE_ADDRESSES": f"127.0.0.1:{cms.port}"})
    job_id = _done_job(redis_client, redis_prefix)
    assert deliver(settings, redis_client, job_id, queue) == "delivered"
    assert len(cms.received) == 1
