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

from PIL import Image

from ogservice.cards.backgrounds import STYLES, procedural, seed_from
from ogservice.cards.encode import encode_png

SIZES = ((1200, 630), (1080, 1920), (728, 90))


def _percentiles(samples: list[float]) -> tuple[float, float]:
    """(p50, p95) of samples in milliseconds."""
    ordered = sorted(samples)
    return statistics.median(ordered) * 1e3, ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1e3


def _timed(size: tuple[int, int], runs: int) -> dict[str, tuple[list[float], list[float]]]:
    """Wall and CPU seconds per style; styles take turns, so load from other processes hits all alike."""
    samples: dict[str, tuple[list[float], list[float]]] = {style: ([], []) for style in STYLES}
    for run in range(runs):
        for style in STYLES:
            seed = seed_from(style, str(run))  # a fresh seed each run, as real posts have
            w0, c0 = time.perf_counter(), time.process_time()
            procedural(*size, seed=seed, style=style)
            samples[style][0].append(time.perf_counter() - w0)
            samples[style][1].append(time.process_time() - c0)
    return samples


def _png_bytes(image: Image.Image) -> tuple[int, int]:
    """PNG sizes from Pillow (zlib level 1, the brief's yardstick) and from the service's own encoder."""
    buf = io.BytesIO()
    image.save(buf, "PNG", compress_level=1)
    return len(buf.getvalue()), len(encode_png(image))


def report(style: str, size: tuple[int, int], wall: list[float], cpu: list[float]) -> str:
    """One result line: timing percentiles and the median PNG size over a few seeds."""
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
        for seed in range(50):  # warm caches (tables, pattern tiles) as a running worker has them
            procedural(*size, seed=seed, style="geometric")
        for style, (wall, cpu) in _timed(size, args.runs).items():
            print(report(style, size, wall, cpu))


if __name__ == "__main__":
    main()
