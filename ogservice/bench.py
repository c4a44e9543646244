"""Benchmarks that print figures (never timed tests): `ogservice bench render | cached | ...`."""

from __future__ import annotations

import json
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import click

from .bench_ceiling import ceiling_command
from .bench_texts import card_texts
from .loopback import ogservice_env, ogservice_serve, server_process

STANDARD_TITLE = "Layered rendering: how we cut our social image bill by 90% in a week"  # 70 characters


@click.group()
def bench() -> None:
    """Benchmarks: print figures for speed and memory targets."""


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@bench.command("render")
@click.option("-n", "count", default=200, show_default=True, help="Renders to time.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object: p50_ms, p95_ms, png_bytes, rss_mb.")
def bench_render(count: int, as_json: bool) -> None:
    """The standard card (blog-post, og, 70-char title, subtitle, site), cold cache, warm process.

    No two cards share a word (see bench_texts), so neither a layout nor a shaped word is reused.
    """
    from .config import load_settings
    from .pipeline import CardService
    from .store import open_store

    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(dev=True, data_dir=Path(tmp))
        service = CardService(settings, open_store(settings))  # the store the server uses
        times: list[float] = []
        sizes: list[int] = []
        texts = card_texts()  # every card's title, subtitle and site in words no other card has
        for i in range(count + 5):
            title, subtitle, site = next(texts)
            params = [("title", title), ("subtitle", subtitle), ("site", site)]
            started = time.perf_counter()
            job = service.run("blog-post", params)
            elapsed = (time.perf_counter() - started) * 1000
            if i >= 5:  # the first few warm the process (font faces, numpy)
                times.append(elapsed)
                sizes.append(len(job.png or b""))
        service.store.close()  # every card written before the folder goes
    figures = {
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(_percentile(times, 0.95), 2),
        "png_bytes": int(statistics.median(sizes)),
        "png_bytes_max": max(sizes),
        "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "renders": count,
    }
    if as_json:
        click.echo(json.dumps(figures))
        return
    for key, value in figures.items():
        click.echo(f"{key:>10}: {value}")
    click.echo("targets: p50_ms <= 8, png_bytes <= 100000, rss_mb <= 200")


@bench.command("cached")
@click.option("--connections", default=32, show_default=True)
@click.option("--duration", default=10, show_default=True, help="Seconds per measurement.")
@click.option("--workers", default=2, show_default=True)
def bench_cached(connections: int, duration: int, workers: int) -> None:
    """A cached GET /og vs a raw WSGI app sending the same bytes and headers, under the same server.

    Both are served the way `ogservice serve` serves (same processes, threads and HTTP layer); load
    comes from `wrk` (Debian package wrk) on loopback. The ratio is the cost of ogservice's own work.
    """
    if not shutil.which("wrk"):
        raise click.ClickException("this benchmark needs wrk: apt-get install wrk")
    with tempfile.TemporaryDirectory() as tmp:
        card = Path(tmp) / "card.png"
        env = {**ogservice_env(Path(tmp)), "OGS_BENCH_FILE": str(card)}
        with server_process(ogservice_serve(workers), env) as served:
            url = served.base_url + _signed_card_path()
            _capture(url, card)
            ours = _wrk(url, connections, duration)
        with server_process(ceiling_command(workers), env) as served:
            ceiling = _wrk(f"{served.base_url}/card.png", connections, duration)
    click.echo(f"cached /og : {ours['rps']:10.0f} req/s  p99 {ours['p99_ms']:.2f} ms")
    click.echo(f"raw WSGI   : {ceiling['rps']:10.0f} req/s  p99 {ceiling['p99_ms']:.2f} ms  (same response)")
    click.echo(f"ratio      : {100 * ours['rps'] / ceiling['rps']:.1f}% of the ceiling")


def _signed_card_path() -> str:
    from .config import load_settings
    from .signing import sign_url

    key = load_settings(dev=True, signing_keys="").keys()[0]
    return sign_url(key, "/og/blog-post.png", [("title", STANDARD_TITLE), ("site", "ogservice.dev")])


_SERVER_HEADERS = ("Date", "Server", "Connection", "Keep-Alive")  # the HTTP layer's, not the app's


def _capture(url: str, card: Path) -> None:
    """Render the card once, then keep the bytes and headers of a cached answer for the ceiling."""
    urllib.request.urlopen(url, timeout=30).read()
    with urllib.request.urlopen(url, timeout=30) as response:
        card.write_bytes(response.read())
        headers = [(k, v) for k, v in response.headers.items() if k not in _SERVER_HEADERS]
    Path(f"{card}.headers.json").write_text(json.dumps(headers))


def _wrk(url: str, connections: int, duration: int) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(next(line.split()[1] for line in out.splitlines() if line.startswith("Requests/sec")))
    p99 = next(line.split()[1] for line in out.splitlines() if line.strip().startswith("99%"))
    return {"rps": rps, "p99_ms": _ms(p99)}


def _ms(text: str) -> float:
    for suffix, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * factor
    return float(text)
