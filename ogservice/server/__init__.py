"""`ogservice serve`: gunicorn's process manager, waitress workers, the settings validated up front.

gunicorn preloads the app and forks OGS_WORKERS processes; each serves with `BufferingWorker`
(waitress's event loop reads every request whole before an app thread runs it). Limits: `limits.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gunicorn.app.base import BaseApplication

from ..config import Settings
from ..layers.service import startup_status
from ..signing import sign_url
from ..web.home import EXAMPLE_FIELDS

WORKER_CLASS = "ogservice.server.worker.BufferingWorker"


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    """Embeds gunicorn so `ogservice serve` needs no separate config file."""

    def __init__(self, settings: Settings, load_app: Callable[[], Any]) -> None:
        self.settings, self.load_app = settings, load_app
        super().__init__()

    def load_config(self) -> None:
        options: dict[str, Any] = {
            "bind": f"{self.settings.host}:{self.settings.port}",
            "workers": self.settings.workers,
            "worker_class": WORKER_CLASS,
            "timeout": 30,  # a worker whose event loop stops beating this long is restarted
            "accesslog": "-" if self.settings.access_log else None,
            "preload_app": True,  # fonts and templates parsed once, shared copy-on-write
        }
        if "control_socket_disable" in self.cfg.settings:
            # Newer gunicorn opens a control socket at one path per user, shared by every server
            # on the machine (tests, benchmarks); ogservice uses none.
            options["control_socket_disable"] = True
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return self.load_app()


def serve(settings: Settings, load_app: Callable[[], Any]) -> None:
    """Serve any WSGI app the way `ogservice serve` serves ogservice (benchmarks compare like with like)."""
    _Gunicorn(settings, load_app).run()


def run_server(settings: Settings, *, worker_starting: bool = False) -> None:
    """Print the address, an example card and whether AI layers are on, then serve ogservice.
    `worker_starting`: a layer worker was just started beside the server (serve --with-worker)."""
    from .. import create_app

    example = settings.base_url() + sign_url(settings.keys()[0], "/og/blog-post.png", EXAMPLE_FIELDS)
    print(f"ogservice on {settings.base_url()}  (dev mode: {settings.dev})", flush=True)
    print(f"example card: {example}", flush=True)
    print(startup_status(settings, worker_starting=worker_starting), flush=True)
    serve(settings, lambda: create_app(settings))
