"""`ogservice serve`: gunicorn running the app factory, with the settings validated up front."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication

from .config import Settings
from .signing import sign_url
from .web.home import EXAMPLE_FIELDS


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    """Embeds gunicorn so `ogservice serve` needs no separate config file."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        options: dict[str, Any] = {
            "bind": f"{self.settings.host}:{self.settings.port}",
            "workers": self.settings.workers,
            "worker_class": "gthread",
            "threads": 4,
            "timeout": 30,
            "accesslog": "-" if self.settings.access_log else None,
            "preload_app": True,  # fonts and templates parsed once, shared copy-on-write
        }
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from . import create_app

        return create_app(self.settings)


def run_server(settings: Settings) -> None:
    app = _Gunicorn(settings)
    example = settings.base_url() + sign_url(settings.keys()[0], "/og/blog-post.png", EXAMPLE_FIELDS)
    print(f"ogservice on {settings.base_url()}  (dev mode: {settings.dev})", flush=True)
    print(f"example card: {example}", flush=True)
    app.run()
