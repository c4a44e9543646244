"""Cost ledger: totals per model, tenant and tier in the real Redis, budgets, and the Redis-down fallback."""

from __future__ import annotations

import redis

from ogservice.gateway.ledger import CallRecord, Ledger

DAY1 = 1_790_000_000.0  # a fixed unix time, so the test does not straddle midnight


def _calls() -> list[CallRecord]:
    return [
        CallRecord("gpt-image-1", 0.04, 0.042, "ok", 8.0, tenant="acme", tier="pro"),
        CallRecord("gpt-image-1", 0.04, 0.0, "ProviderUnavailable", 2.0, tenant="acme", tier="pro"),
        CallRecord("flux-schnell", 0.003, 0.003, "ok", 1.0, tenant="acme", tier="pro"),
        CallRecord("flux-schnell", 0.003, 0.003, "ok", 1.5, tenant="blog", tier="free"),
    ]


def test_cost_per_layer_and_template_and_discarded_images_are_counted(redis_client, redis_prefix):
    ledger = Ledger(redis_client, redis_prefix, clock=lambda: DAY1)
    blog = {"template": "blog-post"}
    ledger.record(CallRecord("flux-schnell", 0.003, 0.003, "ok", 1.0, layer="background", **blog))
    ledger.record(CallRecord("ideogram-v3", 0.06, 0.06, "ok", 9.0, layer="typography", **blog))
    # The OCR guard threw the lettering away: its money is counted as discarded, not as a second call.
    ledger.record(CallRecord("ideogram-v3", 0.0, 0.06, "ocr-mismatch", 0.0, discarded=True, **blog))
    spend = ledger.spend()
    assert spend["by_layer"] == {
        "background": {"actual_usd": 0.003, "calls": 1},
        "typography": {"actual_usd": 0.06, "calls": 1},
    }
    assert spend["by_template"] == {"blog-post": {"actual_usd": 0.063, "calls": 2}}
    assert spend["calls"] == 2 and spend["discarded"] == 1 and spend["discarded_usd"] == 0.06
    assert spend["by_model"]["ideogram-v3"]["discarded"] == 1


def test_totals_per_model_tenant_and_tier_are_shared_through_redis(redis_client, redis_prefix):
    writer = Ledger(redis_client, redis_prefix, clock=lambda: DAY1)
    for call in _calls():
        writer.record(call)
    reader = Ledger(redis.Redis(host="127.0.0.1", port=6379), redis_prefix, clock=lambda: DAY1)
    acme = reader.spend("acme")
    assert acme["actual_usd"] == 0.045 and acme["predicted_usd"] == 0.083
    assert acme["calls"] == 3 and acme["errors"] == 1
    assert acme["by_model"]["gpt-image-1"] == {
        "actual_usd": 0.042,
        "predicted_usd": 0.08,
        "calls": 2,
        "errors": 1,
        "discarded": 0,
        "discarded_usd": 0.0,
        "mean_latency_s": 5.0,
    }
    everyone = reader.spend()
    assert everyone["by_tenant"] == {"acme": 0.045, "blog": 0.003}
    assert everyone["by_tier"]["free"] == {"actual_usd": 0.003, "calls": 1}
    assert everyone["by_model"]["flux-schnell"]["calls"] == 2


def test_days_are_kept_apart_and_keys_expire(redis_client, redis_prefix):
    ledger = Ledger(redis_client, redis_prefix, clock=lambda: DAY1)
    ledger.record(_calls()[0])
    later = Ledger(redis_client, redis_prefix, clock=lambda: DAY1 + 86400)
    assert later.spend("acme")["calls"] == 0
    key = next(redis_client.scan_iter(match=f"{redis_prefix}ledger:*:acme"))
    assert 35 * 86400 < redis_client.ttl(key) <= 40 * 86400


def test_call_records_keep_every_field(redis_client, redis_prefix):
    ledger = Ledger(redis_client, redis_prefix, clock=lambda: DAY1)
    ledger.record(_calls()[1])
    (latest,) = ledger.recent()
    assert (latest.model, latest.tenant, latest.tier, latest.outcome) == (
        "gpt-image-1",
        "acme",
        "pro",
        "ProviderUnavailable",
    )
    assert latest.at == DAY1 and latest.latency_s == 2.0


def test_redis_down_keeps_counting_in_process():
    down = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    ledger = Ledger(down, "ogs-test-down:", clock=lambda: DAY1)
    for call in _calls():
        ledger.record(call)
    assert ledger.spend("acme")["actual_usd"] == 0.045
    assert ledger.spend()["by_tenant"] == {"acme": 0.045, "blog": 0.003}
    assert len(ledger.recent()) == 4
