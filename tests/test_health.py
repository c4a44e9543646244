"""FailureLog: an episode of failures is logged at its start and its end, and counted throughout."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest

from ogservice.health import FailureLog, Health

log = logging.getLogger("ogservice.test")


@pytest.fixture
def clock() -> SimpleNamespace:
    return SimpleNamespace(now=100.0)


@pytest.fixture
def failures(clock) -> FailureLog:
    return FailureLog(
        log, "file store", "write failed", "cards are not stored", settle_s=5.0, clock=lambda: clock.now
    )


def messages(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "ogservice.test"]


def test_an_episode_is_logged_when_it_starts_and_when_it_settles(failures, clock, caplog):
    with caplog.at_level(logging.INFO):
        for _ in range(500):
            failures.failed(OSError(28, "No space left on device"), "asset/ab")
        assert failures.health() == Health(500, "[Errno 28] No space left on device")
        clock.now += 1
        failures.succeeded()  # too soon after the last failure: not yet recovered
        assert failures.health().degraded
        clock.now += 5
        failures.succeeded()
    assert failures.health() == Health(500, None) and not failures.health().degraded
    first, last = messages(caplog)
    assert "write failed (asset/ab): [Errno 28] No space left on device" in first
    assert "recovered after 500 failures" in last


def test_failures_between_successes_stay_one_episode(failures, clock, caplog):
    # A nearly full disk: each card's PNG fails while its small index entry is written.
    with caplog.at_level(logging.INFO):
        for _ in range(200):
            failures.failed(OSError(28, "No space left on device"))
            clock.now += 0.01
            failures.succeeded()
            clock.now += 1
    assert len(messages(caplog)) == 1 and failures.health().degraded


def test_a_new_episode_after_recovery_is_logged_again(failures, clock, caplog):
    with caplog.at_level(logging.INFO):
        failures.failed(TimeoutError())
        clock.now += 10
        failures.succeeded()
        failures.failed(TimeoutError())
    assert len(messages(caplog)) == 3 and failures.health() == Health(2, "TimeoutError")


def test_health_json_shape():
    assert Health().as_json(backend="files") == {"status": "ok", "backend": "files", "errors": 0}
    assert (Health(2, "x") + Health(1)).as_json() == {"status": "degraded", "errors": 3, "last_error": "x"}
