"""Daily budgets per tenant, enforced atomically across processes: reserve before a paid call, settle after.

    {prefix}budget:{day}:{tenant}        hash  spent: micro-USD settled on that UTC day
    {prefix}budget:{day}:{tenant}:holds  zset  "<hold id>:<micro-USD>", scored by expiry (unix ms)

`reserve` is one Lua script: it drops expired holds, reads the tenant's daily budget (its record,
else OGS_BUDGET_USD) and adds a hold only when spent + held + this call fits. Redis runs scripts one
at a time, so concurrent callers in any number of processes can never reserve past the budget.
`settle` swaps the hold for the price actually paid. A hold left by a process that died mid-call
expires after `hold_s`, so it cannot block the tenant for the rest of the day.

Money is counted in integer micro-USD: float sums drift (0.1 + 0.2 > 0.3) and would refuse a last
call that fits exactly.

When Redis is unavailable, reserve refuses (fails closed): without the shared counters nothing can
promise the budget holds. A refused paid call falls through to the local models, so cards are still
served.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import redis
from redis.commands.core import Script

from ..health import Health
from ..redis_guard import RedisGuard
from ..tenants.store import tenant_record_key

log = logging.getLogger(__name__)
MICROS = 1_000_000
HOLD_S = 600.0  # longer than any attempt's provider timeout and retry waits
KEY_TTL_S = 2 * 86400

# Shared by both scripts: KEYS = spent hash, holds zset, tenant record; ARGV[1] = default budget
# (micro-USD), ARGV[2] = now (unix ms). Sets `limit`, `spent`, `held` after dropping expired holds.
_STATE = """
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[2])
local held = 0
for _, member in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  held = held + tonumber(string.match(member, ':(%d+)$'))
end
local spent = tonumber(redis.call('HGET', KEYS[1], 'spent') or '0')
local budget = redis.call('HGET', KEYS[3], 'budget_usd')
local limit = tonumber(ARGV[1])
if budget then limit = math.floor(tonumber(budget) * 1000000 + 0.5) end
"""
# ARGV[3] = micro-USD to hold, ARGV[4] = hold expiry (unix ms), ARGV[5] = member, ARGV[6] = key TTL (s)
_RESERVE = (
    _STATE
    + """
if spent + held + tonumber(ARGV[3]) > limit then return {0, limit, spent, held} end
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[5])
redis.call('EXPIRE', KEYS[2], ARGV[6])
return {1, limit, spent, held}
"""
)
_READ = _STATE + "\nreturn {1, limit, spent, held}\n"


class BudgetRefused(Exception):
    """A paid call the tenant's daily budget cannot cover (or that cannot be checked right now)."""


@dataclass(frozen=True)
class Hold:
    """Money set aside for one paid call until it is settled (or expires)."""

    tenant: str
    day: str
    member: str


@dataclass(frozen=True)
class BudgetState:
    """A tenant's day: its budget, what is settled, what is held by calls in flight (USD)."""

    limit_usd: float
    spent_usd: float
    held_usd: float
    known: bool = True  # False while Redis is unavailable: nothing may be spent then

    @property
    def remaining_usd(self) -> float:
        if not self.known:
            return 0.0
        return max(0.0, round(self.limit_usd - self.spent_usd - self.held_usd, 6))


class Budget:
    """Reserve / settle against each tenant's daily budget, shared by every process through Redis."""

    def __init__(
        self,
        client: redis.Redis | None,
        prefix: str,
        default_usd: float,
        clock: Callable[[], float] = time.time,
        hold_s: float = HOLD_S,
    ) -> None:
        self.guard = RedisGuard(client, "budget", log, "refusing paid model calls (local models serve)")
        self.prefix, self.default_usd, self.clock, self.hold_s = prefix, default_usd, clock, hold_s
        # Without a client the guard answers every call with its fallback: no script is ever run.
        scripts = {"reserve": _RESERVE, "read": _READ}
        self._scripts: dict[str, Script] = (
            {name: client.register_script(lua) for name, lua in scripts.items()} if client is not None else {}
        )

    def reserve(self, tenant: str, usd: float) -> Hold | None:
        """Hold `usd` for one call (None for a free call: nothing to hold); BudgetRefused when it
        does not fit what is left today, or when the budget cannot be checked."""
        if usd <= 0:
            return None
        now, day = self._now()
        hold = Hold(tenant, day, f"{uuid.uuid4().hex}:{_micros(usd)}")
        args = [
            *self._state_args(now),
            _micros(usd),
            round((now + self.hold_s) * 1000),
            hold.member,
            KEY_TTL_S,
        ]
        keys = self._keys(tenant, day)
        reply = self._run("reserve", keys, args)
        if reply is None:
            raise BudgetRefused("budget cannot be checked (Redis unavailable); paid calls are paused")
        ok, limit, spent, held = reply
        if not ok:
            left = max(0, limit - spent - held) / MICROS
            raise BudgetRefused(f"predicted ${usd:.4f} exceeds the remaining daily budget ${left:.4f}")
        return hold

    def settle(self, hold: Hold | None, actual_usd: float) -> None:
        """Replace the hold with what the call cost (0 for a failed call); never raises."""
        if hold is None:
            return
        spent, holds, _ = self._keys(hold.tenant, hold.day)

        def write(r: redis.Redis) -> None:
            with r.pipeline(transaction=True) as pipe:
                pipe.zrem(holds, hold.member)
                pipe.hincrby(spent, "spent", _micros(actual_usd))
                pipe.expire(spent, KEY_TTL_S)
                pipe.execute()

        # Unreachable Redis: the hold expires by itself, and the ledger still records the call.
        self.guard.call(write, lambda: None)

    def state(self, tenant: str) -> BudgetState:
        """Today's budget, settled spend and holds of `tenant`."""
        now, day = self._now()
        keys, args = self._keys(tenant, day), self._state_args(now)
        reply = self._run("read", keys, args)
        if reply is None:
            return BudgetState(self.default_usd, 0.0, 0.0, known=False)
        _, limit, spent, held = reply
        return BudgetState(limit / MICROS, spent / MICROS, held / MICROS)

    def remaining(self, tenant: str) -> float:
        return self.state(tenant).remaining_usd

    def health(self) -> Health:
        return self.guard.health()

    def _run(self, script: str, keys: list[str], args: list[int | str]) -> list[int] | None:
        """The script's reply {ok, limit, spent, held} as ints; None while Redis is unavailable."""
        reply = self.guard.call(lambda r: self._scripts[script](keys, args, client=r), lambda: None)
        return None if reply is None else [int(v) for v in reply]

    def _now(self) -> tuple[float, str]:
        now = self.clock()
        return now, datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%d")

    def _keys(self, tenant: str, day: str) -> list[str]:
        spent = f"{self.prefix}budget:{day}:{tenant}"
        return [spent, f"{spent}:holds", tenant_record_key(self.prefix, tenant)]

    def _state_args(self, now: float) -> list[int]:
        return [_micros(self.default_usd), round(now * 1000)]


def _micros(usd: float) -> int:
    return round(usd * MICROS)
