"""The base every remote adapter shares: owns the injected httpx.Client and maps every failure.

A vendor adapter subclasses `HttpProvider` and supplies pure pieces:
  build_request(req, spec) -> httpx.Request        the vendor's wire format
  parse_response(resp, req, spec) -> GeneratedImage | httpx.Request
        an image when done, or the next request to send (poll a queue, fetch an image URL)
  error_for(resp) -> GatewayError                  the vendor's error envelope -> our classes
`generate()` drives the loop and maps transport errors, so nothing from httpx escapes.
A vendor that answers with an image URL returns `fetch_later(url, **fields)` from parse_response and
unpacks the download with `fetched(resp, req, spec)`; `is_fetch(request)` tells error_for it was one.

Time: `generate(..., deadline=)` bounds every call by the time left (the gateway passes each
attempt's own deadline, see policy.attempt_timeout); `bounded(request, remaining)` lets a vendor fit
a request to it (Replicate's `Prefer: wait=N`). Without a deadline the client's `timeout` applies.
Asynchronous vendors also supply `cancel_requests(poll)`: when we stop following a job the vendor is
still running (deadline, timeout, a poll that failed, the poll limit), those calls stop it, so an
abandoned job does not run on, and bill, for nobody.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

import httpx

from ..errors import (
    BadResponse,
    ContentRefused,
    GatewayError,
    KeyRefused,
    NotConfigured,
    Phase,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    RequestRejected,
)
from ..images import inspect_image
from ..request import GeneratedImage, ImageRequest

if TYPE_CHECKING:
    from ...config import ProviderConfig
    from ..catalog import ModelSpec

PENDING = "ogservice.pending_image"  # request extension carrying GeneratedImage fields to the URL fetch
# A cancel is sent after we stopped waiting (often after the deadline): it gets its own short limit.
CANCEL_TIMEOUT_S = 3.0
log = logging.getLogger(__name__)


class HttpProvider:
    """Shared driver for HTTP adapters; subclasses set `name`, `default_base_url` and the pure hooks."""

    name = ""
    default_base_url = ""
    poll_interval = 0.5  # seconds between polls of asynchronous APIs
    max_steps = 600  # hard cap on follow-up requests (polls + fetches) for one generation

    # `timeout` applies only to calls made without a deadline (adapters used on their own): the
    # gateway gives every attempt a deadline from the model's p95 (policy.attempt_timeout).
    def __init__(self, config: ProviderConfig, client: httpx.Client | None = None, *, timeout: float = 120.0):
        self.config = config
        self.base_url = (config.base_url or self.default_base_url).rstrip("/")
        self.client = client or httpx.Client(timeout=httpx.Timeout(timeout, connect=5.0))
        self._owns_client = client is None
        self.sleep = time.sleep  # injectable so tests need not wait

    def close(self) -> None:
        if self._owns_client:
            self.client.close()

    def api_key(self) -> str:
        """The configured key, or NotConfigured naming the setting that provides it."""
        if not self.config.api_key:
            raise NotConfigured(f"OGS_{self.name.upper()}_API_KEY is not set", provider=self.name)
        return self.config.api_key

    # --- the pure, vendor-specific hooks -------------------------------------------------------
    def build_request(self, req: ImageRequest, spec: ModelSpec) -> httpx.Request:
        raise NotImplementedError

    def parse_response(
        self, resp: httpx.Response, req: ImageRequest, spec: ModelSpec
    ) -> GeneratedImage | httpx.Request:
        raise NotImplementedError

    def error_for(self, resp: httpx.Response) -> GatewayError:
        """Default status mapping; vendors override to read their envelope and safety codes."""
        return default_error(resp, self.name)

    def bounded(self, request: httpx.Request, remaining_s: float) -> httpx.Request:
        """`request` fitted to the seconds left before the deadline; most vendors need nothing."""
        return request

    def cancel_requests(self, pending: httpx.Request) -> list[httpx.Request]:
        """The calls that stop the job `pending` polls; [] when it polls no running job (synchronous APIs)."""
        return []

    # --- the shared driver ---------------------------------------------------------------------
    def generate(
        self, req: ImageRequest, spec: ModelSpec, *, deadline: float | None = None
    ) -> GeneratedImage:
        """Run one generation to completion (or raise a GatewayError) before `deadline` (monotonic)."""
        request = self.build_request(req, spec)
        for step in range(self.max_steps):
            answered = False
            try:
                if step > 1 and request.method == "GET" and self.poll_interval:
                    self._wait(self.poll_interval, deadline)
                resp = self.send(request, deadline)
                answered = True
                result = self.parse_response(resp, req, spec)
            except GatewayError as exc:
                if step > 0 or answered:  # a 2xx came back: the vendor holds (or delivered) the job
                    exc.phase = "accepted"
                self.cancel_job(request, exc)
                raise
            if isinstance(result, GeneratedImage):
                return result
            request = result
        error = ProviderTimeout("gave up polling", provider=self.name, phase="accepted")
        self.cancel_job(request, error)
        raise error

    def cancel_job(self, pending: httpx.Request, error: GatewayError) -> None:
        """Stop the job `pending` polls, best effort; `error` (why we stopped) then says what came of it."""
        statuses = []
        try:
            for cancel in self.cancel_requests(pending):
                cancel.extensions["timeout"] = httpx.Timeout(CANCEL_TIMEOUT_S).as_dict()
                statuses.append(str(self.client.send(cancel).status_code))
        except httpx.HTTPError as exc:
            log.warning("%s: could not cancel an abandoned job: %s", self.name, type(exc).__name__)
            error.message += "; cancelling the job at the vendor failed"
            return
        if statuses:
            error.message += f"; cancel sent to the vendor (HTTP {', '.join(statuses)})"

    def send(self, request: httpx.Request, deadline: float | None = None) -> httpx.Response:
        """Send one request; transport errors and non-2xx answers become GatewayErrors."""
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ProviderTimeout("deadline passed before the call", provider=self.name)
            request = self.bounded(request, remaining)
            request.extensions["timeout"] = httpx.Timeout(remaining, connect=min(5.0, remaining)).as_dict()
        try:
            resp = self.client.send(request)
            resp.read()
        except httpx.TimeoutException as exc:
            # Once the request is written the vendor may run it to the end and bill it.
            sent = isinstance(exc, httpx.ReadTimeout | httpx.WriteTimeout)
            phase: Phase = "accepted" if sent else "refused"
            name = type(exc).__name__
            raise ProviderTimeout(f"timed out: {name}", provider=self.name, phase=phase) from None
        except httpx.TransportError as exc:
            raise ProviderUnavailable(
                f"connection failed: {type(exc).__name__}", provider=self.name
            ) from None
        if resp.status_code >= 400:
            raise self.error_for(resp)
        return resp

    def image(self, data: bytes, req: ImageRequest, spec: ModelSpec, **fields: object) -> GeneratedImage:
        """Validate bytes and wrap them; BadResponse when they are not an image."""
        media_type, width, height = inspect_image(data, provider=self.name)
        values: dict[str, object] = {
            "data": data,
            "media_type": media_type,
            "width": width,
            "height": height,
            "model": spec.id,
            "provider": self.name,
        }
        values.update(fields)
        return GeneratedImage(**values)  # type: ignore[arg-type]

    def fetch_later(
        self, url: str | httpx.URL, *, headers: dict[str, str] | None = None, **fields: object
    ) -> httpx.Request:
        """A GET for an image URL (no credentials unless given) carrying the image fields to `fetched`."""
        return httpx.Request("GET", url, headers=headers, extensions={PENDING: fields})

    def fetched(self, resp: httpx.Response, req: ImageRequest, spec: ModelSpec) -> GeneratedImage | None:
        """The image a `fetch_later` request downloaded, or None when `resp` answers another request."""
        fields = resp.request.extensions.get(PENDING)
        return None if fields is None else self.image(resp.content, req, spec, **fields)

    def _wait(self, seconds: float, deadline: float | None) -> None:
        if deadline is not None and time.monotonic() + seconds >= deadline:
            raise ProviderTimeout("deadline passed while waiting", provider=self.name)
        self.sleep(seconds)


def json_body(resp: httpx.Response, provider: str) -> dict:
    """Parse a JSON object body or raise BadResponse."""
    try:
        body = resp.json()
    except ValueError:
        raise BadResponse("response is not JSON", provider=provider, status=resp.status_code) from None
    if not isinstance(body, dict):
        raise BadResponse("response JSON is not an object", provider=provider, status=resp.status_code)
    return body


def first_data_item(body: dict, provider: str) -> dict:
    """`data[0]` of an OpenAI-style answer; an empty list is a silent safety block, else malformed."""
    data = body.get("data")
    if data == []:
        raise ContentRefused("the vendor returned no image", provider=provider, status=200)
    if not isinstance(data, list) or not isinstance(data[0], dict):
        raise BadResponse("response has no data[] list of objects", provider=provider, status=200)
    return data[0]


def is_fetch(request: httpx.Request) -> bool:
    """Whether `request` is a `fetch_later` image download (a failure there means the URL expired)."""
    return PENDING in request.extensions


def retry_after_seconds(resp: httpx.Response) -> float | None:
    """`retry-after-ms` or `retry-after` (seconds or HTTP date) -> seconds, or None."""
    if (ms := resp.headers.get("retry-after-ms")) is not None:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = resp.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


def default_error(resp: httpx.Response, provider: str, message: str = "", code: str = "") -> GatewayError:
    """Status-code mapping shared by all vendors once they have extracted message and code."""
    status = resp.status_code
    message = message or resp.reason_phrase or "error"
    kw = {"provider": provider, "status": status, "code": code}
    if status == 429:
        return RateLimited(message, retry_after=retry_after_seconds(resp), **kw)
    if status in (401, 403):
        return KeyRefused(message, provider=provider, status=status, code=code)
    if status >= 500 or status in (408, 409):
        return ProviderUnavailable(message, **kw)  # type: ignore[arg-type]
    return RequestRejected(message, **kw)  # type: ignore[arg-type]


__all__ = [
    "HttpProvider",
    "json_body",
    "first_data_item",
    "is_fetch",
    "retry_after_seconds",
    "default_error",
    "ContentRefused",
    "BadResponse",
    "RequestRejected",
]
