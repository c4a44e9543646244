"""The callback of a publish hook: its result POSTed, signed, to the tenant's callback URL.

The URL is the tenant's (`keys create --callback-url`), so it is fetched like an image URL: the
sources' policy checks it and every address it resolves to, and the connection goes to a checked
address (sources/fetch.py). Addresses a deployment trusts although they are not public (an
on-premise CMS, a test's loopback receiver) are listed exactly in OGS_CALLBACK_PRIVATE_ADDRESSES.

A 2xx delivers it. Anything else (an error status, a refused or unreachable URL) is recorded on
the job and tried again after OGS_CALLBACK_BACKOFF_S * 2^(attempt-1) s, CALLBACK_ATTEMPTS times.
"""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import replace
from ipaddress import ip_address
from typing import TYPE_CHECKING

import redis

from ..config import Settings
from ..errors import ImageUrlRefused, OgsError
from ..sources.fetch import Fetcher
from ..sources.policy import FetchPolicy
from ..tenants.store import TenantStore
from .jobs import JobRecord, JobStore
from .models import CallbackOutcome
from .webhooks import OGS_HEADER, sign

if TYPE_CHECKING:
    from .queue import CardQueue

log = logging.getLogger(__name__)
CALLBACK_TIMEOUT_S = 10.0


def callback_policy(settings: Settings) -> FetchPolicy:
    """The image-fetch policy (schemes, ports), plus the exact address:port pairs that
    OGS_CALLBACK_PRIVATE_ADDRESSES names: only the address check is relaxed, and only for those."""
    exempt = set()
    for pair in settings.callback_private_addresses:
        host, _, port = pair.rpartition(":")
        exempt.add((ip_address(host.strip("[]")), int(port)))
    return replace(FetchPolicy.from_settings(settings), exempt=frozenset(exempt))


def callback_body(settings: Settings, record: JobRecord) -> bytes:
    """What the CMS receives: the post, and every size's absolute asset and og URLs."""
    base = settings.base_url()
    cards = record.result.cards if record.result else []
    body = {
        "event": "cards.ready",
        "job": record.id,
        "post_id": record.post_id,
        "version": record.version,
        "template": record.spec.template,
        "cards": [
            {
                **card.model_dump(exclude={"url", "og_url"}),
                "url": base + card.url,
                "og_url": card.og_url if card.og_url.startswith("http") else base + card.og_url,
            }
            for card in cards
        ],
    }
    return json.dumps(body, separators=(",", ":")).encode()


def deliver(settings: Settings, client: redis.Redis, job_id: str, queue: CardQueue) -> str:
    """One attempt; records its outcome on the job and schedules the next attempt on failure."""
    from .queue import CALLBACK_ATTEMPTS

    jobs = JobStore(client, settings.redis_prefix)
    record = jobs.load(job_id)
    if record is None:
        return "gone"
    tenant = TenantStore(client, settings.redis_prefix).tenant(record.tenant)
    if tenant is None or not tenant.callback_url or not tenant.hook_secret:
        outcome = CallbackOutcome(url="", state="skipped", last_error="the tenant has no callback URL")
        jobs.save(record.model_copy(update={"callback": outcome}))
        return "skipped"
    previous = record.callback or CallbackOutcome(url=tenant.callback_url, state="pending")
    if previous.state == "delivered":
        return "delivered"
    status, error = _post(settings, tenant.callback_url, tenant.hook_secret, callback_body(settings, record))
    attempts = previous.attempts + 1
    ok = status is not None and 200 <= status < 300
    state = "delivered" if ok else ("failed" if attempts >= CALLBACK_ATTEMPTS else "pending")
    outcome = CallbackOutcome(
        url=tenant.callback_url, state=state, attempts=attempts, last_status=status, last_error=error,
        delivered_at=time.time() if ok else None,
    )  # fmt: skip
    jobs.save(record.model_copy(update={"callback": outcome}))
    if state == "pending":
        delay = settings.callback_backoff_s * 2 ** (attempts - 1)
        log.info("callback of %s: attempt %d failed (%s); next in %.0f s", job_id, attempts, error, delay)
        queue.callback(job_id, delay)
    return state


# The fetcher words its errors for image URLs (sources/); a callback's error names the callback URL.
_IMAGE_WORDING = (
    (re.compile(r"^image URL refused: "), ""),
    (re.compile(r"the image URL's host|the image host"), "its host"),
    (re.compile(r"the image URL"), "it"),
    (re.compile(r"fetching the image from"), "reaching"),
    (re.compile(r"the image at the URL"), "the answer"),
)


def callback_error(url: str, exc: OgsError) -> str:
    """What went wrong with the tenant's callback URL, in the job's callback record and logs."""
    why = exc.detail
    for pattern, replacement in _IMAGE_WORDING:
        why = pattern.sub(replacement, why)
    verb = "refused" if isinstance(exc, ImageUrlRefused) else "failed"
    return f"callback URL {url} {verb}: {why}"


def _post(settings: Settings, url: str, secret: str, body: bytes) -> tuple[int | None, str]:
    """(status, "") for an answer, (None, why) when none came."""
    fetcher = Fetcher(callback_policy(settings), max_bytes=0, timeout_s=CALLBACK_TIMEOUT_S)
    headers = [
        (b"Content-Type", b"application/json"),
        (b"User-Agent", b"ogservice-callback/1"),
        (OGS_HEADER.encode(), sign(secret, body).encode()),
    ]
    try:
        status = fetcher.post(url, body, headers)
    except OgsError as exc:
        return None, callback_error(url, exc)
    finally:
        fetcher.close()
    return status, "" if 200 <= status < 300 else f"HTTP {status}"
