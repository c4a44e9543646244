"""50 concurrent paid requests against a budget for 10: at most 10 are charged, through Gateway.execute,
from threads of one process and from two processes sharing the real Redis."""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from multiprocessing import get_context

import redis
from PIL import Image

from ogservice.config import load_settings
from ogservice.gateway.breaker import Breaker
from ogservice.gateway.catalog import Catalog, ModelSpec
from ogservice.gateway.decision import Decision, RouteContext
from ogservice.gateway.ledger import Ledger
from ogservice.gateway.local import FunctionProvider, png
from ogservice.gateway.request import GeneratedImage, ImageRequest
from ogservice.gateway.router import Router, load_rules
from ogservice.gateway.service import Gateway
from ogservice.tenants.store import TenantStore

PRICE = 0.04
BUDGET_FOR_TEN = 10 * PRICE
CATALOG = Catalog(
    models=(
        ModelSpec(id="paid", provider="openai", price={"default": PRICE}, latency_p50_s=1, latency_p95_s=2),
        ModelSpec(id="free", provider="replicate", price={"default": 0.0}, latency_p50_s=1, latency_p95_s=2),
    )
)
DECISION = Decision(model="paid", intent="general", rule="test", fallbacks=("free",))
PNG_1X1 = png(Image.new("RGB", (1, 1), "teal"))


class Vendor:
    """A paid model: answers after `delay_s` without reporting a price, so the catalog price is charged."""

    def __init__(self, delay_s: float) -> None:
        self.delay_s, self.calls, self._lock = delay_s, 0, threading.Lock()

    def __call__(self, req: ImageRequest, spec: ModelSpec) -> GeneratedImage:
        with self._lock:
            self.calls += 1
        time.sleep(self.delay_s)
        return GeneratedImage(data=PNG_1X1, width=1, height=1, cost_usd=None)


def gateway_for(prefix: str, vendor: Vendor, client: redis.Redis) -> Gateway:
    """The gateway as the app builds it, minus the network: OGS_BUDGET_USD pays for ten calls."""
    settings = load_settings(dev=True, redis_prefix=prefix, budget_usd=BUDGET_FOR_TEN)
    providers = {
        "openai": FunctionProvider("openai", vendor),
        "replicate": FunctionProvider("replicate", free),
    }
    router = Router(CATALOG, load_rules())
    return Gateway(settings, CATALOG, router, providers, Breaker(client, prefix), Ledger(client, prefix))


def free(req: ImageRequest, spec: ModelSpec) -> bytes:
    return PNG_1X1


def one_request(gateway: Gateway, tenant: str | None) -> str:
    ctx = gateway.context(RouteContext(), tenant)
    return gateway.execute(ImageRequest(prompt="a fox", width=64, height=64), DECISION, ctx, tenant).model


def burst(gateway: Gateway, tenant: str | None, count: int) -> list[str]:
    """`count` requests released at once from as many threads."""
    start = threading.Barrier(count)

    def request(_: int) -> str:
        start.wait()
        return one_request(gateway, tenant)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(request, range(count)))


def test_fifty_threads_with_a_budget_for_ten_are_charged_for_ten(redis_client, redis_prefix):
    vendor = Vendor(delay_s=0.05)
    gateway = gateway_for(redis_prefix, vendor, redis_client)
    served = burst(gateway, None, 50)
    assert vendor.calls == 10 and served.count("paid") == 10 and served.count("free") == 40
    spend = gateway.spend("default")
    assert spend["actual_usd"] == BUDGET_FOR_TEN and spend["remaining_usd"] == 0.0


def test_a_tenants_own_budget_is_enforced_and_leaves_others_alone(redis_client, redis_prefix):
    TenantStore(redis_client, redis_prefix).create_key("acme", tier="pro", budget_usd=3 * PRICE)
    vendor = Vendor(delay_s=0.05)
    gateway = gateway_for(redis_prefix, vendor, redis_client)
    served = burst(gateway, "acme", 20)
    assert vendor.calls == 3 and served.count("paid") == 3
    assert gateway.spend("acme")["budget_usd"] == 3 * PRICE
    assert one_request(gateway, None) == "paid"  # the default tenant's budget is untouched


def test_two_processes_share_one_budget(redis_prefix):
    with ProcessPoolExecutor(2, mp_context=get_context("spawn")) as pool:
        calls = list(pool.map(process_burst, [redis_prefix] * 2, [25] * 2))
    assert sum(calls) == 10, calls


def process_burst(prefix: str, count: int) -> int:
    """In a fresh process: wait for the other one (a Redis counter), then fire `count` requests."""
    client = redis.Redis(host="127.0.0.1", port=6379)
    ready = f"{prefix}test-ready:{uuid.uuid5(uuid.NAMESPACE_URL, prefix)}"
    client.incr(ready)
    deadline = time.monotonic() + 60
    while int(client.get(ready) or 0) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    vendor = Vendor(delay_s=0.2)  # holds of both processes overlap
    burst(gateway_for(prefix, vendor, client), None, count)
    client.close()
    return vendor.calls
