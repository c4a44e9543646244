"""Gateway overhead benchmark: time the Gateway adds around a provider call, and the router's own time.

    .venv/bin/python bench/gateway_bench.py [-n 2000] [--json]

Overhead = Gateway.execute / generate total minus the provider's own time, measured inside the
provider. Three set-ups: breaker + ledger in process; both in the machine's Redis (127.0.0.1:6379,
a private key prefix, deleted afterwards); and the OpenAI adapter against its in-process emulator.
Target: p50 overhead < 2 ms. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout, for tests.emulators

from ogservice.config import ProviderConfig, load_settings  # noqa: E402
from ogservice.gateway.breaker import Breaker  # noqa: E402
from ogservice.gateway.catalog import load_catalog  # noqa: E402
from ogservice.gateway.decision import RouteContext  # noqa: E402
from ogservice.gateway.ledger import Ledger  # noqa: E402
from ogservice.gateway.local import FunctionProvider  # noqa: E402
from ogservice.gateway.request import GeneratedImage, ImageRequest  # noqa: E402
from ogservice.gateway.router import Router, load_rules  # noqa: E402
from ogservice.gateway.service import Gateway  # noqa: E402

REQ = ImageRequest(prompt="a lighthouse at dusk, watercolor", width=1024, height=1024)
PNG = (
    b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
)  # never decoded: the fast provider hands back a ready GeneratedImage


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def figures(samples: list[float]) -> dict[str, float]:
    """p50/p99/mean in milliseconds."""
    ms = [s * 1000 for s in samples]
    return {
        "p50_ms": round(statistics.median(ms), 3),
        "p99_ms": round(pct(ms, 0.99), 3),
        "mean_ms": round(statistics.fmean(ms), 3),
    }


class Timed:
    """Wraps a provider and remembers how long its last call took."""

    def __init__(self, inner: object) -> None:
        self.inner, self.name, self.last = inner, getattr(inner, "name", "timed"), 0.0

    def generate(self, req: ImageRequest, spec: object, deadline: float | None = None) -> GeneratedImage:
        began = time.perf_counter()
        try:
            return self.inner.generate(req, spec, deadline=deadline)  # type: ignore[attr-defined]
        finally:
            self.last = time.perf_counter() - began

    def close(self) -> None:
        self.inner.close()  # type: ignore[attr-defined]


def fast_provider() -> FunctionProvider:
    image = GeneratedImage(
        data=PNG, width=1024, height=1024, model="gpt-image-1", provider="openai", cost_usd=0.04
    )
    return FunctionProvider("openai", lambda req, spec: image)


def overhead(gateway: Gateway, timed: Timed, call: Callable[[], object], n: int) -> dict[str, float]:
    """Figures of (total - provider time) over n calls after a warm-up, and the provider's own p50."""
    samples, inner = [], []
    for i in range(n + 50):
        began = time.perf_counter()
        call()
        total = time.perf_counter() - began
        if i >= 50:
            samples.append(total - timed.last)
            inner.append(timed.last)
    return {**figures(samples), "provider_p50_ms": round(statistics.median(inner) * 1000, 3)}


def build(provider: object, client: redis.Redis | None, prefix: str) -> tuple[Gateway, Timed]:
    settings = load_settings(dev=True, budget_usd=1e9, redis_prefix=prefix)
    catalog = load_catalog()
    timed = Timed(provider)
    gateway = Gateway(
        settings,
        catalog,
        Router(catalog, load_rules()),
        {"openai": timed},
        Breaker(client, prefix),
        Ledger(client, prefix),
    )
    return gateway, timed


def run_setups(n: int, client: redis.Redis, prefix: str) -> dict[str, dict[str, float]]:
    catalog = load_catalog()
    decision = Router(catalog, load_rules()).decide(
        REQ, RouteContext(model="gpt-image-1", tier="pro", configured_providers=frozenset({"openai"}))
    )
    ctx = RouteContext(model="gpt-image-1", tier="pro")
    out: dict[str, dict[str, float]] = {}
    for label, redis_client in (("in-process", None), ("redis", client)):
        gateway, timed = build(fast_provider(), redis_client, prefix)
        out[f"execute, breaker+ledger {label}"] = overhead(
            gateway, timed, lambda g=gateway: g.execute(REQ, decision, ctx), n
        )
        out[f"generate (route+execute), {label}"] = overhead(
            gateway, timed, lambda g=gateway: g.generate(REQ, ctx), n
        )
    out["execute, openai adapter + in-process emulator, redis"] = emulator_overhead(
        n // 4, client, prefix, decision, ctx
    )
    return out


def emulator_overhead(n: int, client: redis.Redis, prefix: str, decision: object, ctx: RouteContext) -> dict:
    from ogservice.gateway.providers.openai import OpenAIProvider
    from tests.emulators.openai import OpenAIEmulator

    emulator = OpenAIEmulator()
    provider = OpenAIProvider(
        ProviderConfig(name="openai", api_key="test-key", base_url=emulator.base_url),
        client=emulator.client(),
    )
    gateway, timed = build(provider, client, prefix)
    try:
        return overhead(gateway, timed, lambda: gateway.execute(REQ, decision, ctx), n)  # type: ignore[arg-type]
    finally:
        gateway.close()


def router_figures(n: int) -> dict[str, float]:
    catalog = load_catalog()
    router = Router(catalog, load_rules())
    ctx = RouteContext(tier="pro", configured_providers=frozenset({"local", "openai", "replicate", "fal"}))
    prompts = [
        'a poster that says "GRAND OPENING"',
        "photo of a red fox, 85mm",
        "abstract gradient",
        REQ.prompt,
    ]
    samples = []
    for i in range(n):
        req = REQ.model_copy(update={"prompt": prompts[i % len(prompts)]})
        began = time.perf_counter()
        router.decide(req, ctx)
        samples.append(time.perf_counter() - began)
    return figures(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=2000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    client, prefix = redis.Redis(host="127.0.0.1", port=6379), f"ogs-bench:{uuid.uuid4().hex[:8]}:"
    try:
        results = run_setups(args.n, client, prefix)
        results["router.decide"] = router_figures(args.n)
    finally:
        for key in client.scan_iter(match=prefix + "*", count=500):
            client.delete(key)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    for name, fig in results.items():
        print(f"{name:<55} " + "  ".join(f"{k} {v:8.3f}" for k, v in fig.items()))


if __name__ == "__main__":
    main()
