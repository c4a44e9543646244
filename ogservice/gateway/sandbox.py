"""`ogservice sandbox`: every vendor emulator from tests/emulators/ on loopback, with realistic latency.

Each emulator answers generation calls (POST) after a delay drawn from a log-normal fitted to its
models' catalog priors (p50, p95), divided by `speed`; polls and file fetches answer at once.
The emulators live in the test tree, so this needs a source checkout (not an installed wheel).
"""

from __future__ import annotations

import importlib
import math
import pkgutil
import random
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from werkzeug.serving import make_server

from .catalog import Catalog, load_catalog

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class SandboxError(RuntimeError):
    """The sandbox cannot start (no checkout, no emulators, port taken); the message says what to do."""


@dataclass
class Latency:
    """How long an emulator takes to answer a generation call: a log-normal with this p50 and p95,
    kept within [floor_s, cap_s] when given, then divided by `speed`. Mutable, so a benchmark can
    give a running emulator the prior of the one model it will be asked for."""

    p50_s: float
    p95_s: float
    speed: float = 10.0
    floor_s: float = 0.0
    cap_s: float = math.inf

    def draw(self, rng: random.Random) -> float:
        """One call's delay in seconds (0 when speed is 0: no delay at all)."""
        if self.speed <= 0 or self.p50_s <= 0:
            return 0.0
        sigma = max(0.0, math.log(max(self.p95_s, self.p50_s) / self.p50_s)) / 1.645
        drawn = rng.lognormvariate(math.log(self.p50_s), sigma)
        return min(self.cap_s, max(self.floor_s, drawn)) / self.speed


@dataclass(frozen=True)
class Endpoint:
    """One running emulator: the providers it speaks for, its address and the env lines to use it.

    `emulator` is the running emulator object (its request log, failure injection such as
    `misspell`), `latency` its delay, which may be changed while it runs.
    """

    providers: tuple[str, ...]
    base_url: str
    env: tuple[str, ...]
    p50_s: float
    emulator: Any = field(default=None, repr=False, compare=False)
    latency: Latency | None = field(default=None, repr=False, compare=False)


def find_checkout(candidates: Iterable[Path] | None = None) -> Path:
    """The source checkout holding tests/emulators (put on sys.path); SandboxError when there is none."""
    here = Path(__file__).resolve().parents[2]
    for root in candidates if candidates is not None else (here, Path.cwd()):
        if (root / "tests" / "emulators" / "base.py").is_file():
            if str(root) not in sys.path:
                sys.path.insert(0, str(root))
            return root
    raise SandboxError(
        "ogservice sandbox needs a source checkout: the emulators live in tests/emulators/. "
        "Run it from a clone of the repository (pip install -e .), not from an installed wheel."
    )


def emulator_cases() -> list[Any]:
    """Every ContractCase exported by a tests/emulators/<vendor>.py module."""
    find_checkout()
    package = importlib.import_module("tests.emulators")
    cases: list[Any] = []
    for info in pkgutil.iter_modules(package.__path__):
        if info.name != "base":
            cases.extend(getattr(importlib.import_module(f"tests.emulators.{info.name}"), "CASES", []))
    if not cases:
        raise SandboxError("tests/emulators/ has no emulator exporting CASES")
    return cases


def latency_prior(model_ids: Iterable[str], catalog: Catalog) -> tuple[float, float]:
    """Median p50 and p95 of the catalog priors of these models (1 s / 3 s when none are known)."""
    specs = [s for m in model_ids if (s := catalog.find(m)) is not None]
    if not specs:
        return 1.0, 3.0
    return (
        sorted(s.latency_p50_s for s in specs)[len(specs) // 2],
        sorted(s.latency_p95_s for s in specs)[len(specs) // 2],
    )


def delayed(app: WsgiApp, latency: Latency, rng: random.Random) -> WsgiApp:
    """WSGI middleware: POSTs (generation calls) wait `latency.draw()`; polls and files answer at once."""
    lock = threading.Lock()  # random.Random is shared by every request thread

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") == "POST":
            with lock:
                delay = latency.draw(rng)
            time.sleep(delay)
        return app(environ, start_response)

    return wrapped


def env_lines(cases: Iterable[Any], base_url: str) -> tuple[str, ...]:
    """`export OGS_<PROVIDER>_...` lines pointing the gateway at one emulator."""
    lines: dict[str, str] = {}
    for case in cases:
        name = case.provider_cls.name.upper()
        parts = [f"OGS_{name}_BASE_URL={base_url}"]
        parts += [f"OGS_{name}_API_KEY={case.api_key}"] if case.api_key else []
        parts += [f"OGS_{name}_{k.upper()}={v}" for k, v in sorted(case.extra_config.items())]
        lines[name] = "export " + " ".join(parts)
    return tuple(lines.values())


@contextmanager
def start_sandbox(port_base: int = 0, speed: float = 10.0, seed: int = 0) -> Iterator[list[Endpoint]]:
    """Run one loopback server per emulator class until the block exits; yields their endpoints."""
    groups: dict[Any, list[Any]] = {}
    for case in emulator_cases():
        groups.setdefault(case.emulator_cls, []).append(case)
    catalog, rng = load_catalog(), random.Random(seed)
    servers: list[Any] = []
    try:
        endpoints = [
            _serve(cls, cases, port_base + i if port_base else 0, speed, catalog, rng, servers)
            for i, (cls, cases) in enumerate(groups.items())
        ]
        yield endpoints
    finally:
        for server, thread in servers:
            server.shutdown()
            thread.join(5)


def _serve(
    emulator_cls: Any,
    cases: list[Any],
    port: int,
    speed: float,
    catalog: Catalog,
    rng: random.Random,
    servers: list[Any],
) -> Endpoint:
    emulator = emulator_cls()
    latency = Latency(*latency_prior((c.model_id for c in cases), catalog), speed=speed)
    emulator.app.wsgi_app = delayed(emulator.app.wsgi_app, latency, rng)
    try:
        server = make_server("127.0.0.1", port, emulator.app, threaded=True)
    except OSError as exc:
        raise SandboxError(
            f"cannot listen on 127.0.0.1:{port}: {exc.strerror}; try another --port-base"
        ) from None
    emulator.base_url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    servers.append((server, thread))
    providers = tuple(dict.fromkeys(c.provider_cls.name for c in cases))
    p50_s = latency.p50_s / speed if speed else 0.0
    env = env_lines(cases, emulator.base_url)
    return Endpoint(providers, emulator.base_url, env, p50_s, emulator, latency)


def run_forever(port_base: int = 0, speed: float = 10.0, echo: Callable[[str], None] = print) -> None:
    """Start the sandbox, print the export lines, and serve until Ctrl-C."""
    with start_sandbox(port_base, speed) as endpoints:
        for ep in endpoints:
            echo(f"# {', '.join(ep.providers)} at {ep.base_url} (p50 ~{ep.p50_s:.2f}s)")
            echo("\n".join(ep.env))
        echo("# sandbox running; paste the lines above into another shell. Ctrl-C stops it.")
        _stop_on_signals()
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            echo("# sandbox stopped")


def _stop_on_signals() -> None:
    """Ctrl-C and SIGTERM end the sandbox cleanly, even when started in the background (SIGINT ignored)."""

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
