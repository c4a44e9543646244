"""Benchmark POST /v1/banners: p50 of one call rendering all seven promo sizes, and bytes per size
and format, with a product photo, local layers, cold cache (every call has a headline, price and
seed of its own, so no size is ever a cache hit).

Run: .venv/bin/python bench/banners_bench.py [--runs N]
The app runs in process (Flask's test client: no HTTP server in the figure), with real Redis under a
prefix of its own (deleted afterwards) and a file store in a temporary directory. Formats take turns
within each round, so load from other processes weighs on all alike.
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import redis
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from ogservice import create_app
from ogservice.config import load_settings
from ogservice.gallery import sample_photo
from ogservice.publish.models import BANNER_SIZES

CONFIGS = [
    ("png", None),
    ("jpg", None),
    ("webp", None),
    ("png", 150_000),
    ("jpg", 150_000),
    ("webp", 150_000),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="calls per format and limit")
    runs = parser.parse_args().runs
    prefix = f"ogs-bench-banners-{uuid.uuid4().hex[:8]}:"
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(signing_keys="bench", data_dir=Path(tmp), redis_prefix=prefix)
        app = create_app(settings)
        try:
            _run(app, runs)
        finally:
            app.extensions["ogs.images"].close()
            client = redis.Redis.from_url(settings.redis_url)
            for key in client.scan_iter(match=f"{prefix}*", count=500):
                client.delete(key)


def _run(app, runs: int) -> None:
    token, _, _ = app.extensions["ogs.tenants"].create_key(
        "bench", tier="pro", budget_usd=1.0, rate="100000/minute"
    )
    auth = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(sample_photo()), filename="p.png")})
    photo = client.post(
        "/v1/assets", data=body, headers=auth, content_type=f"multipart/form-data; boundary={boundary}"
    ).get_json()["id"]
    times: dict[tuple[str, int | None], list[float]] = {c: [] for c in CONFIGS}
    sizes: dict[tuple[str, int | None], dict[str, list[int]]] = {
        c: {s: [] for s in BANNER_SIZES} for c in CONFIGS
    }
    call = 0
    for _ in range(runs):
        for fmt, limit in CONFIGS:
            call += 1
            banner = {
                "product": {"name": f"Trail Runner {call}", "price": f"${40 + call}", "old_price": "$129",
                            "image": photo},
                "brand": {"color": "#E4002B"},
                "headline": f"Winter sale no. {call}: 30% off every trail shoe",
                "discount": "-30%",
                "format": fmt,
                **({"max_bytes": limit} if limit else {}),
            }  # fmt: skip
            started = time.perf_counter()
            resp = client.post("/v1/banners", json=banner, headers=auth)
            times[(fmt, limit)].append(time.perf_counter() - started)
            assert resp.status_code == 200, resp.get_data(as_text=True)
            for result in resp.get_json()["banners"]:
                sizes[(fmt, limit)][result["size"]].append(result["bytes"])
    print(
        f"POST /v1/banners, all {len(BANNER_SIZES)} sizes, product photo, local layers, cold; "
        f"{runs} calls each"
    )
    print(
        f"{'format':<6} {'max_bytes':>9} {'p50 ms':>8} {'min ms':>8}  "
        + " ".join(f"{s:>11}" for s in BANNER_SIZES)
    )
    for config in CONFIGS:
        fmt, limit = config
        ms = [t * 1000 for t in times[config]]
        medians = [round(statistics.median(sizes[config][s])) for s in BANNER_SIZES]
        print(
            f"{fmt:<6} {limit or '-':>9} {statistics.median(ms):>8.0f} {min(ms):>8.0f}  "
            + " ".join(f"{b:>11,}" for b in medians)
        )
    print("bytes: median per size over the calls")


if __name__ == "__main__":
    main()
