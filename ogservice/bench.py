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
from contextlib import ExitStack
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
@click.option("--duration", default=5, show_default=True, help="Seconds per measurement.")
@click.option("--rounds", default=3, show_default=True, help="Measurements of each, taken in turn.")
@click.option("--workers", default=2, show_default=True)
def bench_cached(connections: int, duration: int, rounds: int, workers: int) -> None:
    """A cached GET /og vs a raw WSGI app sending the same bytes and headers, under the same server.

    Both are served the way `ogservice serve` serves (same processes, threads and HTTP layer); load
    comes from `wrk` (Debian package wrk) on loopback. The two are measured in turn, round after
    round, so a busy machine weighs on both alike; the ratio is the median of the rounds' ratios.
    """
    if not shutil.which("wrk"):
        raise click.ClickException("this benchmark needs wrk: apt-get install wrk")
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as servers:
        card = Path(tmp) / "card.png"
        env = {**ogservice_env(Path(tmp)), "OGS_BENCH_FILE": str(card)}
        ours = servers.enter_context(server_process(ogservice_serve(workers), env))
        url = ours.base_url + _signed_card_path()
        _capture(url, card)
        raw_url = servers.enter_context(server_process(ceiling_command(workers), env)).base_url + "/card.png"
        for warm_up in (url, raw_url):  # every worker process has answered before figures count
            _wrk(warm_up, connections, 1)
        ratios = [_round(n, url, raw_url, connections, duration) for n in range(1, rounds + 1)]
    click.echo(f"median ratio: {100 * statistics.median(ratios):.1f}% of the raw WSGI app (same response)")


def _round(n: int, url: str, raw_url: str, connections: int, duration: int) -> float:
    """One measurement of each, printed; the ratio of their throughputs."""
    cached, raw = _wrk(url, connections, duration), _wrk(raw_url, connections, duration)
    ratio = cached["rps"] / raw["rps"]
    click.echo(
        f"round {n}: cached /og {cached['rps']:7.0f} req/s p99 {cached['p99_ms']:6.2f} ms | "
        f"raw WSGI {raw['rps']:7.0f} req/s p99 {raw['p99_ms']:6.2f} ms | ratio {100 * ratio:5.1f}%"
    )
    return ratio


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


def _register_ai() -> None:
    """`bench ai` lives in bench_ai.py (its rig and trace beside it)."""
    from .bench_ai import ai_command

    bench.add_command(ai_command)


_register_ai()
