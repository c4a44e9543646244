"""Layer jobs run in this process, for `ogservice render` when no worker is listening.

A user rendering one card from the command line expects it to finish without starting a worker
first. Jobs run on threads here, one per layer key; the CLI waits for them like a web request
waits for a worker, through the same store and failure records.
"""

from __future__ import annotations

import logging
import threading

from .assets import Failure
from .jobs import FAILURE_TTL_S, JobServices, LayerJob
from .spec import LayerSpec

log = logging.getLogger(__name__)


class InlineRunner:
    """A Submitter running each layer's job once, on a thread of this process."""

    def __init__(self, services: JobServices) -> None:
        self.services = services
        self._threads: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()

    def reachable(self) -> bool:
        return True  # jobs run here; no queue to reach

    def submit(self, spec: LayerSpec) -> bool:
        with self._lock:
            if spec.key not in self._threads:
                thread = threading.Thread(
                    target=self._run, args=(spec,), name=f"layer-{spec.slot}", daemon=True
                )
                self._threads[spec.key] = thread
                thread.start()
        return True  # the job records its outcome (store or failure), which the resolver finds

    def join(self, timeout: float | None = None) -> None:
        for thread in list(self._threads.values()):
            thread.join(timeout)

    def _run(self, spec: LayerSpec) -> None:
        try:
            LayerJob(self.services).run(spec)
        except Exception as exc:  # a crash must end the wait with the local layer, not hang it
            log.exception("layer job for %s failed", spec.slot)
            failure = Failure("worker-error", f"{type(exc).__name__}: {exc}")
            self.services.failures.fail(spec.key, failure, FAILURE_TTL_S["worker-error"])
