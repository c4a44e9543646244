"""A gunicorn worker that serves through waitress: gunicorn manages the processes, waitress the sockets.

gunicorn's master keeps what it is good at (preloading the app once and forking workers, restarting
a dead one, graceful reloads and shutdowns, heartbeats). Each worker runs waitress's event loop on
the listening sockets it inherited: requests are read whole before an app thread sees them, so slow
clients cost a socket each, not a thread (see `http.py`).

    gunicorn -k ogservice.server.worker.BufferingWorker wsgi:app
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from gunicorn.workers.base import Worker

from ..config import Settings, load_settings
from .access_log import AccessLog
from .http import Listeners
from .limits import HttpLimits


class BufferingWorker(Worker):  # type: ignore[misc]
    """Runs waitress on the worker's sockets until gunicorn asks it to stop, then drains."""

    def run(self) -> None:
        # waitress logs a warning whenever a request waits for a thread; under load that is normal.
        logging.getLogger("waitress.queue").setLevel(logging.ERROR)
        listeners = Listeners(self._app(), [s.sock for s in self.sockets], self._limits())
        while self.alive:
            listeners.poll(timeout=1.0)
            self._heartbeat()
        self._drain(listeners)

    def _app(self) -> Any:
        if self.cfg.accesslog:
            return AccessLog(self.wsgi, self.log.access_log)
        return self.wsgi

    def _limits(self) -> HttpLimits:
        settings: Settings = getattr(self.app, "settings", None) or load_settings()  # plain `gunicorn -k`
        return HttpLimits.from_settings(settings)

    def _heartbeat(self) -> None:
        """Tell the master this process is alive (a file timestamp: once a second is plenty)."""
        now = time.monotonic()
        if now - getattr(self, "_beat", 0.0) >= 1.0:
            self._beat = now
            self.notify()
            if self.ppid != os.getppid():  # the master died: stop, as gunicorn's own workers do
                self.alive = False

    def _drain(self, listeners: Listeners) -> None:
        """Stop accepting; finish the requests in hand within the graceful timeout."""
        listeners.stop_accepting()
        deadline = time.monotonic() + self.cfg.graceful_timeout
        while listeners.busy() and time.monotonic() < deadline:
            listeners.poll(timeout=0.1)
            self._heartbeat()
        listeners.close(timeout=max(0.0, deadline - time.monotonic()))
