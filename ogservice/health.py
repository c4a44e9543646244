"""The state of a dependency (store, Redis) as /healthz reports it, and failures logged once per episode.

A full disk or a hung Redis fails every request for as long as it lasts; a log line per failure
buries the cause (6,500 lines in 12 s on a full disk). `FailureLog` counts every failure, logs the
first one of an episode with its error and, when the dependency answers again, one line saying how
many failures the episode had. An episode ends at a success that comes `settle_s` after its last
failure: on a nearly full disk a card's PNG fails while its small index entry still fits, and
that must not start a new episode (two log lines) for every card.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Health:
    """Failures counted since start; `last_error` is set while the latest episode lasts."""

    errors: int = 0
    last_error: str | None = None

    @property
    def degraded(self) -> bool:
        return self.last_error is not None

    def __add__(self, other: Health) -> Health:
        """Two parts of one dependency: errors add up, and it is degraded while either part is."""
        return Health(self.errors + other.errors, self.last_error or other.last_error)

    def as_json(self, **about: Any) -> dict[str, Any]:
        """{"status": "ok" | "degraded", **about, "errors": n[, "last_error": "..."]}."""
        body = {"status": "degraded" if self.degraded else "ok", **about, "errors": self.errors}
        if self.last_error is not None:
            body["last_error"] = self.last_error
        return body


class FailureLog:
    """Counts one dependency's failures; logs each episode twice at most: its start and its end."""

    def __init__(
        self,
        log: logging.Logger,
        what: str,
        problem: str,
        meanwhile: str,
        settle_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.log, self.what, self.problem, self.meanwhile = log, what, problem, meanwhile
        self.settle_s, self.clock = settle_s, clock
        self._lock = threading.Lock()
        self._errors = 0
        self._episode = 0  # failures in the current episode
        self._last_error: str | None = None
        self._last_failure_at = 0.0

    def failed(self, exc: BaseException, detail: str = "", traceback: bool = False) -> None:
        """Count a failure; the first of an episode is logged with its error (and `detail`, and the
        traceback when the error is unexpected: a bug rather than a sick dependency)."""
        error = str(exc) or type(exc).__name__
        with self._lock:
            self._errors += 1
            self._episode += 1
            self._last_error = error
            self._last_failure_at = self.clock()
            first = self._episode == 1
        if first:
            where = f" ({detail})" if detail else ""
            self.log.warning(
                "%s: %s%s: %s; %s until it recovers (further failures are counted on /healthz, not logged)",
                self.what, self.problem, where, error, self.meanwhile,
                exc_info=exc if traceback else None,
            )  # fmt: skip

    def succeeded(self) -> None:
        """End the current episode, if any and settled, with one line saying how long it was."""
        if not self._episode:  # the common case, without taking the lock
            return
        with self._lock:
            if self.clock() - self._last_failure_at < self.settle_s:
                return
            failures, self._episode, self._last_error = self._episode, 0, None
        if failures:
            self.log.warning("%s: recovered after %d failures (%s)", self.what, failures, self.problem)

    def health(self) -> Health:
        with self._lock:
            return Health(self._errors, self._last_error)
