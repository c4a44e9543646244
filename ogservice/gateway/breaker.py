"""Per-model circuit breaker that fires at low traffic and is shared across processes through Redis.

    closed --(3 consecutive failures, or failure ratio over a small window)--> open
    open   --(cool-down over; cool-down doubles with each re-trip)-----------> half-open
    half-open: exactly one caller wins the probe token (SET NX with a TTL, so a crashed
    prober cannot wedge the model); probe success -> closed, probe failure -> open again.

Unlike rate-based breakers (LiteLLM needs >= 5 requests/min) the thresholds are counts, so a premium
model called twice an hour still trips. State lives in a Redis hash `{prefix}breaker:{model}` updated
with WATCH/MULTI/EXEC around one pure transition function, which the in-process fallback shares:
`trip` opens a breaker at once (the gateway keeps one per provider, `provider:<name>`, tripped by a
refused API key). When Redis is unreachable or hung the breaker keeps working per process (see
redis_guard.py).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

import redis

from ..redis_guard import RedisGuard

log = logging.getLogger(__name__)
State = Literal["closed", "open", "half-open"]


@dataclass(frozen=True)
class BreakerConfig:
    """Thresholds and timings; counts rather than rates so low-traffic models still trip."""

    consecutive: int = 3  # consecutive failures that open the breaker
    window: int = 10  # recent outcomes kept for the ratio rule
    min_calls: int = 5  # the ratio rule needs at least this many outcomes in the window
    failure_ratio: float = 0.5  # open when failures / window >= this
    cooldown_s: float = 15.0  # first cool-down; doubles on each re-trip
    max_cooldown_s: float = 600.0
    probe_ttl_s: float = 60.0  # a probe token expires in case its holder died
    key_ttl_s: int = 7 * 86400  # idle breakers disappear from Redis


@dataclass(frozen=True)
class BreakerState:
    """What one model's breaker remembers; `window` is a string of '1' (ok) and '0' (failed)."""

    open: bool = False
    consecutive: int = 0
    window: str = ""
    trips: int = 0
    open_until: float = 0.0

    def to_hash(self) -> dict[str, str]:
        return {
            "open": str(int(self.open)),
            "consecutive": str(self.consecutive),
            "window": self.window,
            "trips": str(self.trips),
            "open_until": repr(self.open_until),
        }

    @classmethod
    def from_hash(cls, raw: dict[bytes, bytes]) -> BreakerState:
        """Decode a Redis hash (missing hash = a fresh closed breaker)."""
        if not raw:
            return cls()
        get = {k.decode(): v.decode() for k, v in raw.items()}.get
        return cls(
            open=get("open") == "1",
            consecutive=int(get("consecutive") or 0),
            window=get("window") or "",
            trips=int(get("trips") or 0),
            open_until=float(get("open_until") or 0),
        )

    def label(self, now: float) -> State:
        """closed, open (cooling down) or half-open (cool-down over, a probe may go)."""
        if not self.open:
            return "closed"
        return "open" if now < self.open_until else "half-open"


def cooldown(trips: int, cfg: BreakerConfig) -> float:
    """Cool-down after the n-th consecutive trip: exponential, capped."""
    return min(cfg.max_cooldown_s, cfg.cooldown_s * 2 ** max(0, trips - 1))


def should_trip(state: BreakerState, cfg: BreakerConfig) -> bool:
    """The opening rule: consecutive failures, or a failure ratio over a small minimum of calls."""
    if state.consecutive >= cfg.consecutive:
        return True
    calls = len(state.window)
    return calls >= cfg.min_calls and state.window.count("0") / calls >= cfg.failure_ratio


def transition(state: BreakerState, ok: bool, now: float, cfg: BreakerConfig) -> BreakerState:
    """Pure state machine: the breaker after one more outcome at time `now`."""
    if state.open:
        if ok:  # the probe (or a straggler) succeeded: the model answers again
            return BreakerState()
        if now < state.open_until:  # a straggler failing during cool-down changes nothing
            return state
        trips = state.trips + 1  # the probe failed: open again for longer
        return replace(state, trips=trips, open_until=now + cooldown(trips, cfg))
    window = (state.window + ("1" if ok else "0"))[-cfg.window :]
    after = replace(state, window=window, consecutive=0 if ok else state.consecutive + 1)
    if ok or not should_trip(after, cfg):
        return after
    trips = state.trips + 1
    return BreakerState(open=True, trips=trips, open_until=now + cooldown(trips, cfg))


def tripped(state: BreakerState, now: float, cfg: BreakerConfig) -> BreakerState:
    """The breaker opened at once by a failure that needs no repeating to be sure (a refused key)."""
    if state.open and now < state.open_until:
        return state
    trips = state.trips + 1
    return BreakerState(open=True, trips=trips, open_until=now + cooldown(trips, cfg))


class Breaker:
    """Circuit breakers for all models; `allow` before a call, `record` after it."""

    def __init__(
        self,
        client: redis.Redis | None = None,
        prefix: str = "ogs:",
        config: BreakerConfig | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.guard = RedisGuard(client, "circuit breaker", log)
        self.prefix = f"{prefix}breaker:"
        self.config = config or BreakerConfig()
        self.clock = clock  # wall clock: shared by processes on one host; injectable for tests
        self._lock = threading.Lock()
        self._states: dict[str, BreakerState] = {}
        self._probes: dict[str, float] = {}

    # --- public API ------------------------------------------------------------------------------
    def allow(self, model: str) -> bool:
        """Whether a call to `model` may go now; in half-open state only the single probe winner may."""
        now = self.clock()
        label = self._load(model).label(now)
        if label == "closed":
            return True
        return label == "half-open" and self._take_probe(model, now)

    def record(self, model: str, ok: bool) -> State:
        """Feed one outcome (a health failure or a success); returns the new state label."""
        return self._update(model, lambda state, now: transition(state, ok, now, self.config))

    def trip(self, key: str) -> State:
        """Open `key`'s breaker now, whatever its counts (a refused key fails every call alike)."""
        return self._update(key, lambda state, now: tripped(state, now, self.config))

    def _update(self, key: str, step: Callable[[BreakerState, float], BreakerState]) -> State:
        now = self.clock()
        state = self.guard.call(
            lambda r: self._redis_update(r, key, lambda old: step(old, now)),
            lambda: self._memory_update(key, lambda old: step(old, now)),
        )
        return state.label(now)

    def state(self, model: str) -> State:
        return self._load(model).label(self.clock())

    def unhealthy(self) -> frozenset[str]:
        """Models no caller may use right now: cooling down, or half-open with a probe in flight."""
        now = self.clock()
        return self.guard.call(lambda r: self._redis_unhealthy(r, now), lambda: self._memory_unhealthy(now))

    # --- Redis -----------------------------------------------------------------------------------
    def _load(self, model: str) -> BreakerState:
        return self.guard.call(
            lambda r: BreakerState.from_hash(r.hgetall(self.prefix + model)),
            lambda: self._states.get(model, BreakerState()),
        )

    def _take_probe(self, model: str, now: float) -> bool:
        ttl_ms = int(self.config.probe_ttl_s * 1000)
        return self.guard.call(
            lambda r: bool(r.set(f"{self.prefix}{model}:probe", "1", nx=True, px=ttl_ms)),
            lambda: self._memory_probe(model, now),
        )

    def _redis_update(
        self, r: redis.Redis, model: str, step: Callable[[BreakerState], BreakerState]
    ) -> BreakerState:
        key = self.prefix + model
        with r.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    old = BreakerState.from_hash(pipe.hgetall(key))
                    new = step(old)
                    if new == old:  # the healthy steady state: nothing to write, one round trip in all
                        pipe.unwatch()
                        return new
                    pipe.multi()
                    self._queue_write(pipe, model, old, new)
                    pipe.execute()
                    return new
                except redis.WatchError:
                    continue  # another process updated this breaker first: recompute from its state

    def _queue_write(
        self, pipe: redis.client.Pipeline, model: str, old: BreakerState, new: BreakerState
    ) -> None:
        key = self.prefix + model
        pipe.hset(key, mapping=new.to_hash())
        pipe.expire(key, self.config.key_ttl_s)
        if new.open:
            pipe.sadd(self.prefix + "open", model)
        else:
            pipe.srem(self.prefix + "open", model)
        if old.open and new != old:  # the probe resolved: the next half-open period gets a fresh token
            pipe.delete(f"{key}:probe")

    def _redis_unhealthy(self, r: redis.Redis, now: float) -> frozenset[str]:
        models = sorted(m.decode() for m in r.smembers(self.prefix + "open"))
        with r.pipeline(transaction=False) as pipe:
            for model in models:
                pipe.hget(self.prefix + model, "open_until")
                pipe.exists(f"{self.prefix}{model}:probe")
            replies = pipe.execute()
        pairs = zip(replies[0::2], replies[1::2], strict=True)
        return frozenset(
            m
            for m, (until, probe) in zip(models, pairs, strict=True)
            if until is not None and (now < float(until) or probe)
        )

    # --- in-process fallback ---------------------------------------------------------------------
    def _memory_update(self, model: str, step: Callable[[BreakerState], BreakerState]) -> BreakerState:
        with self._lock:
            old = self._states.get(model, BreakerState())
            new = self._states[model] = step(old)
            if old.open and new != old:
                self._probes.pop(model, None)
            return new

    def _memory_probe(self, model: str, now: float) -> bool:
        with self._lock:
            if self._probes.get(model, 0.0) > now:
                return False
            self._probes[model] = now + self.config.probe_ttl_s
            return True

    def _memory_unhealthy(self, now: float) -> frozenset[str]:
        with self._lock:
            return frozenset(
                m
                for m, s in self._states.items()
                if s.open and (now < s.open_until or self._probes.get(m, 0.0) > now)
            )
