"""Benchmark: layout and draw of a 70-character title in a 1040x300 box; prints p50/p95 in ms.

Run: .venv/bin/python bench/text_bench.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from PIL import Image

from ogservice.cards.fonts import FontRegistry
from ogservice.cards.text import TextBlock, TextStyle, draw_text, layout_text

TITLE = "How we render social cards in milliseconds with real fonts and caching"
STYLE = TextStyle(weight=700, min_size=32, max_size=64)
BOX = (1040, 300)


def percentiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p95 of a list of durations in ms."""
    cuts = statistics.quantiles(samples, n=20)
    return statistics.median(samples), cuts[18]


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    """Wall time of each of `runs` calls, in ms."""
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def report(label: str, samples: list[float]) -> None:
    """One line of figures."""
    p50, p95 = percentiles(samples)
    print(f"{label:<34} p50 {p50:6.2f} ms   p95 {p95:6.2f} ms")


def main() -> None:
    """Load fonts once, warm up, then time layout (cold and warm caches) and draw."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=300)
    runs = parser.parse_args().runs
    start = time.perf_counter()
    registry = FontRegistry.load()
    print(f"font registry load (once/process)  {(time.perf_counter() - start) * 1000:.0f} ms")
    block: TextBlock = layout_text(registry, TITLE, *BOX, STYLE)
    print(f"title: {len(TITLE)} chars -> {block.size}px, {len(block.lines)} lines, clamped={block.clamped}")
    titles = [f"{TITLE[:-3]}{i:03d}" for i in range(runs)]  # unique words: shaping cache misses
    fresh = iter(titles)
    report(
        "layout, new title (cache miss)", timed(lambda: layout_text(registry, next(fresh), *BOX, STYLE), runs)
    )
    report("layout, repeated title", timed(lambda: layout_text(registry, TITLE, *BOX, STYLE), runs))
    image = Image.new("RGB", (1200, 630), (20, 24, 40))
    report("draw", timed(lambda: draw_text(image, block, (80, 160), (255, 255, 255)), runs))


if __name__ == "__main__":
    main()
