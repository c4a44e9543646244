"""Benchmarks that print figures (never timed tests): `ogservice bench render | cached | ...`."""

from __future__ import annotations

import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import click

STANDARD_TITLE = "Layered rendering: how we cut our social image bill by 90% in a week"  # 70 characters
_SUBJECTS = ("image bill", "render time", "cache misses", "crawler waits", "font bloat", "API spend")
_WHEN = ("in a week", "in a month", "overnight", "in one sprint", "this quarter", "for good")


def standard_title(i: int) -> str:
    """A distinct title of exactly 70 characters per i (cold cache, no reusable text layout)."""
    head = f"#{i} Layered rendering: how we cut our {_SUBJECTS[i % 6]} {_WHEN[i // 6 % 6]}"
    return (head + " and kept every card sharp")[:70].ljust(70, ".")


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
    """The standard card (blog-post, og, 70-char title, subtitle, site), cold cache, warm process."""
    from .config import load_settings
    from .pipeline import CardService
    from .store import open_store

    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(dev=True, data_dir=Path(tmp))
        service = CardService(settings, open_store(settings))  # the store the server uses
        times: list[float] = []
        sizes: list[int] = []
        for i in range(count + 5):
            params = [
                ("title", standard_title(i)),  # a different 70-character title every time: nothing to reuse
                ("subtitle", "Procedural backgrounds, real fonts, one cache"),
                ("site", "ogservice.dev"),
            ]
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
    """Production server answering a cached /og URL vs a bare Flask route serving the same bytes.

    Both run under the same gunicorn settings in the same run; load comes from `wrk`
    (Debian package wrk) on loopback.
    """
    if not shutil.which("wrk"):
        raise click.ClickException("this benchmark needs wrk: apt-get install wrk")
    with tempfile.TemporaryDirectory() as tmp:
        env_port, bare_port = 18_471, 18_472
        serve = [
            sys.executable,
            "-m",
            "ogservice.cli",
            "serve",
            "--port",
            str(env_port),
            "--workers",
            str(workers),
        ]
        service = _start(serve, tmp)
        try:
            url = _wait_and_sign(env_port, tmp)
            png = urllib.request.urlopen(url, timeout=10).read()  # warm: render once, then cached
            (Path(tmp) / "card.png").write_bytes(png)
            bare = _start(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "-w",
                    str(workers),
                    "-k",
                    "gthread",
                    "--threads",
                    "4",
                    "-b",
                    f"127.0.0.1:{bare_port}",
                    "ogservice.bench_ceiling:app",
                ],
                tmp,
            )
            try:
                _wait(bare_port)
                ours = _wrk(url, connections, duration)
                ceiling = _wrk(f"http://127.0.0.1:{bare_port}/card.png", connections, duration)
            finally:
                bare.terminate()
                bare.wait(10)
        finally:
            service.terminate()
            service.wait(10)
    click.echo(f"cached /og  : {ours['rps']:10.0f} req/s  p99 {ours['p99_ms']:.2f} ms")
    click.echo(f"bare flask  : {ceiling['rps']:10.0f} req/s  p99 {ceiling['p99_ms']:.2f} ms")
    click.echo(f"ratio       : {100 * ours['rps'] / ceiling['rps']:.1f}% of the ceiling (target >= 80%)")


def _start(command: list[str], data_dir: str) -> subprocess.Popen[bytes]:
    import os

    env = {**os.environ, "OGS_DEV": "1", "OGS_DATA_DIR": data_dir, "OGS_BENCH_FILE": f"{data_dir}/card.png"}
    env.pop("OGS_SIGNING_KEYS", None)
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return
        except OSError:
            time.sleep(0.2)
    raise click.ClickException(f"server on port {port} did not come up")


def _wait_and_sign(port: int, data_dir: str) -> str:
    from .config import load_settings
    from .signing import sign_url

    _wait(port)
    key = load_settings(dev=True, signing_keys="").keys()[0]
    path = sign_url(key, "/og/blog-post.png", [("title", STANDARD_TITLE), ("site", "ogservice.dev")])
    return f"http://127.0.0.1:{port}{path}"


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
