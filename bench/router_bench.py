"""Router overhead: p50/p99 of Router.decide over a mix of prompts and contexts (target p99 < 0.5 ms).

    .venv/bin/python bench/router_bench.py [--decisions 20000] [--seed 1]

Uses the shipped catalog and rules; intent detection is included in every decision.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time

from ogservice.gateway.catalog import load_catalog
from ogservice.gateway.decision import RouteContext
from ogservice.gateway.intent import detect_intent
from ogservice.gateway.request import ImageRequest
from ogservice.gateway.router import Router, load_rules

PROMPTS = (
    "minimalist tech background, blue gradient",
    'a neon sign saying "OPEN 24/7" inside a rainy cyberpunk window',
    "text saying 'Hello World', clear font, legible",
    "a macro shot of a coffee bean with morning sunlight",
    "A cybernetic cat eating a galaxy while sitting on a binary tree",
    "wide angle architectural shot of a plaza at dusk",
    "futuristic sneaker design, vector style",
    "a futuristic city with art deco influences and neon lighting reflecting in rain puddles",
    "quick sketch of a product launch banner",
    "mountain lake at sunrise, " * 30,  # a long prompt (~780 characters)
)
ALL = frozenset({"local", "openai", "ideogram", "gemini", "vertex", "stability", "fal", "replicate"})
CONTEXTS = (
    RouteContext(configured_providers=ALL),
    RouteContext(tier="pro", configured_providers=ALL),
    RouteContext(tier="enterprise", layer="hero", configured_providers=ALL, deadline_s=30),
    RouteContext(quality="draft", configured_providers=ALL, budget_remaining_usd=0.03),
    RouteContext(configured_providers=frozenset({"local"})),
    RouteContext(
        model="gpt-image-1",
        fallback=True,  # a named model with an open breaker: the rule's list stands in
        configured_providers=ALL,
        unhealthy_models=frozenset({"gpt-image-1"}),
    ),
)


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def time_calls(fn, args: list[tuple], clock=time.perf_counter) -> list[float]:
    """Time in ms of fn(*a) for each a, by `clock` (wall, or this thread's CPU time)."""
    out = []
    for a in args:
        start = clock()
        fn(*a)
        out.append((clock() - start) * 1000)
    return sorted(out)


def report(name: str, ms: list[float]) -> None:
    print(f"{name:<16} n={len(ms):>6}  p50={percentile(ms, 0.50):.4f} ms  p99={percentile(ms, 0.99):.4f} ms  "
          f"max={ms[-1]:.3f} ms  mean={statistics.fmean(ms):.4f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decisions", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    opts = parser.parse_args()
    rng = random.Random(opts.seed)
    start = time.perf_counter()
    router = Router(load_catalog(), load_rules())
    print(f"router built in {(time.perf_counter() - start) * 1000:.1f} ms "
          f"({len(router.catalog.models)} models, {len(router.rules)} rules)")
    requests = [ImageRequest(prompt=p, width=1200, height=630) for p in PROMPTS]
    mix = [(rng.choice(requests), rng.choice(CONTEXTS)) for _ in range(opts.decisions)]
    time_calls(router.decide, mix[:1000])  # warm-up
    # Wall time includes being preempted on a busy machine; thread CPU time is the router's own cost.
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    report("decide (wall)", time_calls(router.decide, mix))
    report("decide (cpu)", time_calls(router.decide, mix, time.thread_time))
    intent = lambda r, c: detect_intent(r.prompt, layer=c.layer)  # noqa: E731
    report("intent (wall)", time_calls(intent, mix))
    report("intent (cpu)", time_calls(intent, mix, time.thread_time))


if __name__ == "__main__":
    main()
