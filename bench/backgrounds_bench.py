"""Benchmark procedural backgrounds: p50/p95 milliseconds and PNG bytes per style and size.

Run: .venv/bin/python bench/backgrounds_bench.py [--runs N]
Prints wall-clock and process-CPU figures (CPU time is less disturbed by other load on the box).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import time
from collections.abc import Callable

from PIL import Image

from ogservice.cards.backgrounds import STYLES, procedural, seed_from
from ogservice.cards.encode import encode_png

SIZES = ((1200, 630), (1080, 1920), (728, 90))


def _percentiles(samples: list[float]) -> tuple[float, float]:
    """(p50, p95) of samples in milliseconds."""
    ordered = sorted(samples)
    return statistics.median(ordered) * 1e3, ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1e3


def _timed(fn: Callable[[], Image.Image], runs: int) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of each run of fn."""
    wall, cpu = [], []
    for _ in range(runs):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    return wall, cpu


def _png_bytes(image: Image.Image) -> tuple[int, int]:
    """PNG sizes from Pillow (zlib level 1, the brief's yardstick) and from the service's own encoder."""
    buf = io.BytesIO()
    image.save(buf, "PNG", compress_level=1)
    return len(buf.getvalue()), len(encode_png(image))


def bench(style: str, size: tuple[int, int], runs: int) -> str:
    """One result line; every run uses a fresh seed, as real posts do (no cache hits on the field)."""
    seeds = iter(range(10**6))
    wall, cpu = _timed(lambda: procedural(*size, seed=seed_from(style, str(next(seeds))), style=style), runs)
    sizes = [_png_bytes(procedural(*size, seed=s, style=style)) for s in range(5)]
    pil, ours = (statistics.median(column) / 1024 for column in zip(*sizes, strict=True))
    (w50, w95), (c50, c95) = _percentiles(wall), _percentiles(cpu)
    return (
        f"{style:10s} {size[0]:>5d}x{size[1]:<5d} ms: wall p50 {w50:6.3f} p95 {w95:6.3f}  "
        f"cpu p50 {c50:6.3f} p95 {c95:6.3f}   png: pillow-1 {pil:5.1f} KB, encode_png {ours:5.1f} KB"
    )


def main() -> None:
    """Print one line per style and size."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; {args.runs} runs each")
    for size in SIZES:
        for style in STYLES:
            procedural(*size, seed=1, style=style)  # warm caches (tables, tiles) like a running worker
            print(bench(style, size, args.runs))


if __name__ == "__main__":
    main()
