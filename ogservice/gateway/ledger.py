"""Cost ledger: predicted and actual spend per call, model, tenant, tier and day, in Redis.

One hash per (day, tenant) `{prefix}ledger:{YYYY-MM-DD}:{tenant}` holds counters updated with
HINCRBYFLOAT in one pipeline (fields `actual`, `model:{id}:calls`, `tier:{tier}:actual`, ...), a set
`{prefix}ledger:{day}:tenants` indexes the tenants, and a capped list `{prefix}ledger:{day}:calls`
keeps the latest call records. Keys expire after ~40 days. While Redis is unreachable the same
counters accumulate in process; summaries add both, so an outage loses nothing this process saw.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import redis

from ..redis_guard import RedisGuard
from ..tenants.model import DEFAULT_TENANT

log = logging.getLogger(__name__)
KEY_TTL_S = 40 * 86400
KEEP_CALLS = 1000


@dataclass(frozen=True)
class CallRecord:
    """One call to a model: what we expected to pay, what we paid, how it ended and how long it took."""

    model: str
    predicted_usd: float
    actual_usd: float  # vendor-reported, else predicted on success; 0 when the call failed
    outcome: str  # "ok" or the error class name; for a discard, why (e.g. "ocr-mismatch")
    latency_s: float
    tenant: str = DEFAULT_TENANT
    tier: str = "free"
    at: float = 0.0  # unix time; filled by the ledger when 0
    layer: str = ""  # what the image was for: background, typography (cards' AI layers)
    template: str = ""  # the card template it was for
    discarded: bool = False  # a paid image thrown away after the call: counts its money, not a call

    def counters(self) -> dict[str, float]:
        """The non-zero hash fields this record increments (totals are sums over models, not stored)."""
        model = f"model:{self.model}:"
        if self.discarded:
            fields = {f"{model}discarded": 1.0, f"{model}discarded_usd": self.actual_usd}
        else:
            fields = {
                f"{model}actual": self.actual_usd,
                f"{model}predicted": self.predicted_usd,
                f"{model}calls": 1.0,
                f"{model}errors": 0.0 if self.outcome == "ok" else 1.0,
                f"{model}latency": self.latency_s,
            }
            for group, name in (("tier", self.tier), ("layer", self.layer), ("template", self.template)):
                if name:
                    fields.update({f"{group}:{name}:actual": self.actual_usd, f"{group}:{name}:calls": 1.0})
        return {k: v for k, v in fields.items() if v}


class Ledger:
    """Records calls and answers spend questions; Redis-backed, in-process when Redis is down."""

    def __init__(
        self, client: redis.Redis | None = None, prefix: str = "ogs:", clock: Callable[[], float] = time.time
    ) -> None:
        self.guard = RedisGuard(client, "cost ledger", log)
        self.redis_prefix = prefix
        self.prefix = f"{prefix}ledger:"
        self.clock = clock
        self._lock = threading.Lock()
        self._totals: dict[tuple[str, str], Counter[str]] = {}
        self._calls: deque[CallRecord] = deque(maxlen=KEEP_CALLS)

    def record(self, call: CallRecord) -> None:
        """Add one call to today's counters (never raises for storage trouble)."""
        if not call.at:
            call = CallRecord(**{**asdict(call), "at": self.clock()})
        day = self._day(call.at)
        self.guard.call(lambda r: self._redis_record(r, day, call), lambda: self._memory_record(day, call))

    def spend(self, tenant: str | None = None, day: str | None = None) -> dict[str, Any]:
        """Today's (or `day`'s) spend summary for one tenant, or for all tenants when None."""
        day = day or self._day(self.clock())
        tenants = [tenant] if tenant else self._tenants(day)
        per_tenant = {t: self._counters(day, t) for t in tenants}
        summary = summarize(sum(per_tenant.values(), Counter()))
        summary.update(day=day, tenant=tenant or "*")
        if tenant is None:
            summary["by_tenant"] = {t: round(c["actual"], 6) for t, c in sorted(per_tenant.items())}
        return summary

    def recent(self, limit: int = 50) -> list[CallRecord]:
        """The latest call records of today, newest first."""
        day = self._day(self.clock())
        return self.guard.call(lambda r: self._redis_recent(r, day, limit), lambda: list(self._calls)[:limit])

    # --- storage ---------------------------------------------------------------------------------
    def _day(self, at: float) -> str:
        return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d")

    def _redis_record(self, r: redis.Redis, day: str, call: CallRecord) -> None:
        key, tenants, calls = (
            f"{self.prefix}{day}:{call.tenant}",
            f"{self.prefix}{day}:tenants",
            f"{self.prefix}{day}:calls",
        )
        with r.pipeline(transaction=False) as pipe:  # counters commute: no MULTI needed
            for field, amount in call.counters().items():
                pipe.hincrbyfloat(key, field, amount)
            pipe.sadd(tenants, call.tenant)
            pipe.lpush(calls, json.dumps(asdict(call)))
            pipe.ltrim(calls, 0, KEEP_CALLS - 1)
            for name in (key, tenants, calls):
                pipe.expire(name, KEY_TTL_S)
            pipe.execute()

    def _memory_record(self, day: str, call: CallRecord) -> None:
        with self._lock:
            self._totals.setdefault((day, call.tenant), Counter()).update(call.counters())
            self._calls.appendleft(call)

    def _tenants(self, day: str) -> list[str]:
        remote = self.guard.call(
            lambda r: {t.decode() for t in r.smembers(f"{self.prefix}{day}:tenants")}, set
        )
        with self._lock:
            local = {t for d, t in self._totals if d == day}
        return sorted(remote | local)

    def _counters(self, day: str, tenant: str) -> Counter[str]:
        """Redis counters plus whatever this process recorded while Redis was down."""
        raw = self.guard.call(lambda r: r.hgetall(f"{self.prefix}{day}:{tenant}"), dict)
        total: Counter[str] = Counter({k.decode(): float(v) for k, v in raw.items()})
        with self._lock:
            total.update(self._totals.get((day, tenant), Counter()))
        return with_totals(total)

    def _redis_recent(self, r: redis.Redis, day: str, limit: int) -> list[CallRecord]:
        rows = r.lrange(f"{self.prefix}{day}:calls", 0, limit - 1)
        return [CallRecord(**json.loads(row)) for row in rows]


def with_totals(c: Counter[str]) -> Counter[str]:
    """Add the request-wide totals (`actual`, `calls`, ...) as sums of the per-model fields."""
    for key, value in list(c.items()):
        if key.startswith("model:"):
            c[key.rsplit(":", 1)[1]] += value
    return c


def summarize(c: Counter[str]) -> dict[str, Any]:
    """Flat counters -> {actual_usd, predicted_usd, calls, errors, discarded, by_model, by_tier,
    by_layer, by_template}."""
    models = sorted({k.split(":", 1)[1].rsplit(":", 1)[0] for k in c if k.startswith("model:")})
    return {
        **_scope(c, ""),
        "by_model": {m: _scope(c, f"model:{m}:") for m in models},
        **{f"by_{group}": _groups(c, group) for group in ("tier", "layer", "template")},
    }


def _groups(c: Counter[str], group: str) -> dict[str, dict[str, Any]]:
    names = sorted({k.split(":")[1] for k in c if k.startswith(f"{group}:")})
    return {
        n: {"actual_usd": round(c[f"{group}:{n}:actual"], 6), "calls": int(c[f"{group}:{n}:calls"])}
        for n in names
    }


def _scope(c: Counter[str], scope: str) -> dict[str, Any]:
    calls = int(c[f"{scope}calls"])
    return {
        "actual_usd": round(c[f"{scope}actual"], 6),
        "predicted_usd": round(c[f"{scope}predicted"], 6),
        "calls": calls,
        "errors": int(c[f"{scope}errors"]),
        "discarded": int(c[f"{scope}discarded"]),
        "discarded_usd": round(c[f"{scope}discarded_usd"], 6),
        "mean_latency_s": round(c[f"{scope}latency"] / calls, 4) if calls else 0.0,
    }
