"""Slow clients against `ogservice serve`: is /healthz (and a cached card) still answered meanwhile?

Starts the production server on a loopback port (or uses --base-url), then, for each count, holds
that many slowloris connections (a partial request head, one more header byte every 2 s; any the
server closes is reopened) while timing /healthz and a cached /og card, one request at a time.

    python bench/slow_clients.py [--clients 64 128] [--hold 20] [--workers 2] [--base-url URL]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import urllib.request
from contextlib import ExitStack
from pathlib import Path

from ogservice.config import load_settings
from ogservice.loopback import SlowClients, ogservice_env, ogservice_serve, server_process
from ogservice.signing import sign_url

CARD = [("title", "Slow clients hold sockets, not threads"), ("site", "ogservice.dev")]


def timed_get(url: str, timeout: float = 10.0) -> float | None:
    """Milliseconds for one GET on a new connection; None when it failed or timed out."""
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            response.read()
    except OSError:
        return None
    return (time.perf_counter() - started) * 1000


def measure(urls: dict[str, str], seconds: float) -> dict[str, list[float | None]]:
    """Each URL in turn, for `seconds`: the latency of every request (None: an error)."""
    results: dict[str, list[float | None]] = {name: [] for name in urls}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for name, url in urls.items():
            results[name].append(timed_get(url))
        time.sleep(0.05)
    return results


def report(label: str, results: dict[str, list[float | None]]) -> None:
    for name, times in results.items():
        ok = [t for t in times if t is not None]
        errors = len(times) - len(ok)
        p50 = f"{statistics.median(ok):8.1f}" if ok else "       -"
        worst = f"{max(ok):8.1f}" if ok else "       -"
        print(f"{label:>22} {name:>8}: n={len(times):4d}  p50 {p50} ms  max {worst} ms  errors {errors}")


def run(base_url: str, counts: list[int], hold: float) -> None:
    key = load_settings(dev=True, signing_keys="").keys()[0]
    urls = {"healthz": f"{base_url}/healthz", "card": base_url + sign_url(key, "/og/blog-post.png", CARD)}
    timed_get(urls["card"], timeout=30)  # rendered once: every later request is a cache hit
    report("no slow clients", measure(urls, min(hold, 5)))
    for count in counts:
        with SlowClients(base_url, count) as slow:
            time.sleep(1)  # every connection open and its head started
            results = measure(urls, hold)
            report(f"{count} slow clients", results)
            print(f"{'':>22} slow connections held: {count}, reopened after the server closed them: "
                  f"{slow.reopened}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, nargs="+", default=[64, 128])
    parser.add_argument("--hold", type=float, default=20.0, help="seconds of measurement per count")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--base-url", help="a server already running (e.g. another version)")
    args = parser.parse_args()
    with ExitStack() as stack:
        base_url = args.base_url
        if base_url is None:
            data = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            served = stack.enter_context(server_process(ogservice_serve(args.workers), ogservice_env(data)))
            base_url = served.base_url
        run(base_url.rstrip("/"), args.clients, args.hold)


if __name__ == "__main__":
    main()
