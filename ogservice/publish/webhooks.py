"""Signed webhook deliveries, both ways: HMAC-SHA256 over `<timestamp>.<raw body>`, a 5-minute
tolerance, and each signature accepted once.

    X-Ogs-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>

The scheme is Stripe's (and Standard Webhooks'): the timestamp is inside the signed message, so it
cannot be changed without the secret; a delivery older (or newer) than TOLERANCE_S is refused, and
a signature seen within that window is refused as a replay, so a captured request cannot be sent
again at all. Several `v1=` entries may be given (a sender rotating its secret signs with both).

Ghost signs its own way, which is accepted for Ghost's payloads:

    X-Ghost-Signature: sha256=<hex HMAC-SHA256(secret, "<raw body><t>")>, t=<unix milliseconds>

The same secret (the tenant's hook secret) signs the callback that reports a hook's result.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass

import redis

from ..errors import Unauthorized

TOLERANCE_S = 300
OGS_HEADER = "X-Ogs-Signature"
GHOST_HEADER = "X-Ghost-Signature"
_MAX_HEADER = 1024


class SignatureRefused(Unauthorized):
    """401 for a delivery whose signature does not verify; challenges for a signature, not a key."""

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": f'Signature realm="ogservice", header="{OGS_HEADER}"'}


@dataclass(frozen=True)
class Delivery:
    """A verified delivery: when it was signed, its signature (its identity for replays), its sender."""

    timestamp: float
    signature: str
    ghost: bool


def mac(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, at: int | None = None) -> str:
    """The X-Ogs-Signature value for `body`, signed now (or at `at`, unix seconds)."""
    at = int(time.time()) if at is None else at
    return f"t={at},v1={mac(secret, f'{at}.'.encode() + body)}"


def sign_ghost(secret: str, body: bytes, at_ms: int) -> str:
    """The X-Ghost-Signature value Ghost would send (for tests and for people checking by hand)."""
    return f"sha256={mac(secret, body + str(at_ms).encode())}, t={at_ms}"


def verify(secret: str, headers: dict[str, str], body: bytes, now: float | None = None) -> Delivery:
    """The delivery if a signature header verifies within the tolerance; 401 otherwise."""
    now = time.time() if now is None else now
    ogs, ghost = headers.get(OGS_HEADER.lower()), headers.get(GHOST_HEADER.lower())
    if ogs is not None:
        timestamp, given = _parse_ogs(ogs)
        expected = mac(secret, f"{timestamp}.".encode() + body)
        delivery = Delivery(float(timestamp), _matching(expected, given), ghost=False)
    elif ghost is not None:
        digest, at_ms = _parse_ghost(ghost)
        expected = mac(secret, body + at_ms.encode())
        delivery = Delivery(int(at_ms) / 1000, _matching(expected, [digest]), ghost=True)
    else:
        raise SignatureRefused(f"missing signature: send {OGS_HEADER}: t=<unix time>,v1=<HMAC-SHA256 hex>")
    if abs(now - delivery.timestamp) > TOLERANCE_S:
        raise SignatureRefused(
            f"stale signature: signed {int(now - delivery.timestamp)} s from now; "
            f"the tolerance is {TOLERANCE_S} s (check the sender's clock)"
        )
    return delivery


def _matching(expected: str, given: list[str]) -> str:
    matches = [g for g in given if hmac.compare_digest(expected.encode(), g.encode())]
    if not matches:
        raise SignatureRefused("invalid signature: not the HMAC of this body with the tenant's hook secret")
    return matches[0]


def _parse_ogs(header: str) -> tuple[str, list[str]]:
    pairs = _pairs(header, ",")
    stamps, sigs = [v for k, v in pairs if k == "t"], [v for k, v in pairs if k == "v1"]
    if len(stamps) != 1 or not stamps[0].isdigit() or len(stamps[0]) > 12 or not sigs:
        raise SignatureRefused(f"malformed {OGS_HEADER}: expected t=<unix time>,v1=<hex>")
    return stamps[0], sigs


def _parse_ghost(header: str) -> tuple[str, str]:
    pairs = dict(_pairs(header, ","))
    digest, at_ms = pairs.get("sha256", ""), pairs.get("t", "")
    if not digest or not at_ms.isdigit() or len(at_ms) > 15:
        raise SignatureRefused(f"malformed {GHOST_HEADER}: expected sha256=<hex>, t=<unix milliseconds>")
    return digest, at_ms


def _pairs(header: str, sep: str) -> list[tuple[str, str]]:
    if len(header) > _MAX_HEADER:
        raise SignatureRefused("signature header too long")
    pairs = [part.strip().partition("=") for part in header.split(sep)]
    return [(k.strip(), v.strip()) for k, _, v in pairs if k.strip()]


class ReplayGuard:
    """Each signature is accepted once: remembered for twice the tolerance (SET NX, all processes)."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client, self.prefix = client, prefix

    def first_time(self, tenant: str, delivery: Delivery) -> bool:
        return bool(self.client.set(self._key(tenant, delivery), b"1", nx=True, ex=2 * TOLERANCE_S))

    def forget(self, tenant: str, delivery: Delivery) -> None:
        """The delivery was not taken after all (rate limited): the same bytes may be sent again."""
        self.client.delete(self._key(tenant, delivery))

    def _key(self, tenant: str, delivery: Delivery) -> str:
        return f"{self.prefix}hook:seen:{tenant}:{delivery.signature}"
