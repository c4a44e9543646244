"""Benchmark output formats: encode milliseconds (p50, CPU) and bytes per format, for the standard
og card and the seven promo-banner presets, with and without a 150 KB limit.

Run: .venv/bin/python bench/formats_bench.py [--runs N]
Each card is composed once; its image is then encoded N times per format, formats taking turns
(so load from other processes weighs on all alike). PNG is the fast banded encoder the pipeline
uses (without the overlap with drawing that the pipeline gets on big cards). The banner's content
and the photograph are tests/cards/encode_samples.py's: the cards tests/cards/test_formats.py checks.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout, for tests.cards

from ogservice.cards.encode import encode  # noqa: E402
from ogservice.cards.formats import available  # noqa: E402
from ogservice.config import load_settings  # noqa: E402
from ogservice.errors import ByteLimitUnreachable  # noqa: E402
from ogservice.pipeline import CardService  # noqa: E402
from ogservice.publish.models import BANNER_SIZES  # noqa: E402
from ogservice.store import open_store  # noqa: E402
from tests.cards.encode_samples import BANNER, photo  # noqa: E402

STANDARD = (
    "blog-post",
    "og",
    [
        ("title", "Layered rendering: how we cut our social image bill by 90% in a week"),
        ("subtitle", "Procedural backgrounds, local type, one PNG"),
        ("site", "ogservice.dev"),
    ],
)
LIMIT = 150_000


def _images() -> list[tuple[str, Image.Image]]:
    """The composed image of each benchmarked card."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(dev=True, data_dir=Path(tmp))
        service = CardService(settings, open_store(settings))
        cards = [(f"{STANDARD[0]}/{STANDARD[1]}", STANDARD[0], [*STANDARD[2], ("size", STANDARD[1])])]
        cards += [(f"promo-banner/{p}", "promo-banner", [*BANNER, ("size", p)]) for p in BANNER_SIZES]
        images = []
        for label, template, params in cards:
            job = service.run(template, params, timeout_ms=60_000, format="webp")  # composed, not PNG-banded
            assert job.composition is not None
            images.append((label, job.composition.image))
        service.store.close()
    return images


def _row(label: str, image: Image.Image, runs: int, limit: int | None) -> str:
    cells = []
    times: dict[str, list[float]] = {name: [] for name in available()}
    sizes: dict[str, str] = {}
    for _ in range(runs):
        for name, fmt in available().items():
            started = time.process_time()
            try:
                encoded = encode(image, fmt, limit)
                sizes[name] = f"{len(encoded.data):>7}" + (f" q{encoded.quality}" if encoded.quality else "")
            except ByteLimitUnreachable as exc:
                sizes[name] = f">{exc.extra['smallest_bytes']}"
            times[name].append((time.process_time() - started) * 1000)
    for name in available():
        cells.append(f"{name} {sizes[name]:>11} {statistics.median(times[name]):7.1f} ms")
    return f"{label:<24} {image.width:>4}x{image.height:<5} " + " | ".join(cells)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    images = _images()
    for limit in (None, LIMIT):
        print(f"\nmax_bytes={limit}: bytes (quality) and CPU ms p50 of encode() per format")
        for label, image in images:
            print(_row(label, image, args.runs, limit))
    print(f"\nphotograph filling the banner, max_bytes={LIMIT} ('>N': no encoding fits, N the smallest)")
    for label, image in images[1:]:
        print(_row(f"photo/{label.split('/')[1]}", photo(image.width, image.height), args.runs, LIMIT))


if __name__ == "__main__":
    main()
