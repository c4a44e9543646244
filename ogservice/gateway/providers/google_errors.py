"""Google's API error envelope and the plan pieces shared by the Gemini API and Vertex AI adapters.

Both answer errors as `{"error": {"code", "message", "status", "details": [...]}}`. The useful
details are `google.rpc.RetryInfo.retryDelay` (the only retry signal on a 429; Google sends no
Retry-After or x-ratelimit-* headers) and `google.rpc.ErrorInfo.reason` (e.g. API_KEY_INVALID),
which is more precise than the canonical status name. Both adapters also report the same plan
(`GooglePlan`), map quality to the same 1K/2K output sizes and drop the same canonical options.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import httpx

from ..errors import ContentRefused, GatewayError, KeyRefused, RateLimited
from ..sizes import requested_label
from .base import default_error, retry_after_seconds

if TYPE_CHECKING:
    from ..request import ImageRequest

RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo"
ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"

# Quality -> output size (imageSize / sampleImageSize) for the models that take one; drafts do not pay for
# 2K, and 4K is left out on purpose: every non-square 4K output is above images.MAX_PIXELS (4096^2).
QUALITY_SIZE = MappingProxyType({"draft": "1K", "standard": "1K", "high": "2K", "ultra": "2K"})

# protobuf Duration in JSON is always seconds with an "s" suffix: "27s", "0.5s", "1.000340s".
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")

# Vertex answers a prompt its Responsible-AI filter blocks with a plain 400 INVALID_ARGUMENT; the
# message is the only thing telling it apart from a bad parameter (no dedicated status or reason).
_SAFETY_HINTS = ("responsible ai", "sensitive words", "violates google", "safety filter")


def google_error(resp: httpx.Response, provider: str) -> GatewayError:
    """Map a non-2xx Google answer to a gateway error, keeping Google's message and reason."""
    error = envelope(resp)
    message = str(error.get("message") or resp.reason_phrase or "error")
    details = error.get("details")
    code = error_reason(details) or str(error.get("status") or "")
    if resp.status_code == 429:
        delay = retry_delay(details)
        retry_after = delay if delay is not None else retry_after_seconds(resp)
        return RateLimited(message, retry_after=retry_after, provider=provider, status=429, code=code)
    if code == "API_KEY_INVALID":  # the Gemini API answers a bad key with 400, not 401
        return KeyRefused(message, provider=provider, status=resp.status_code, code=code)
    if resp.status_code == 400 and is_safety_message(message):
        return ContentRefused(message, provider=provider, status=400, code=code or "BLOCKED")
    return default_error(resp, provider, message, code)


def envelope(resp: httpx.Response) -> dict[str, Any]:
    """The inner `error` object, or {} when the body is not Google's envelope (e.g. an HTML 502)."""
    try:
        body = resp.json()
    except ValueError:
        return {}
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def retry_delay(details: object) -> float | None:
    """Seconds from a google.rpc.RetryInfo detail, or None when there is none."""
    for detail in _details(details):
        if detail.get("@type") == RETRY_INFO:
            match = _DURATION.match(str(detail.get("retryDelay", "")))
            if match:
                return float(match.group(1))
    return None


def error_reason(details: object) -> str:
    """`reason` of a google.rpc.ErrorInfo detail (API_KEY_INVALID, ...), or ""."""
    for detail in _details(details):
        if detail.get("@type") == ERROR_INFO and detail.get("reason"):
            return str(detail["reason"])
    return ""


def is_safety_message(message: str) -> bool:
    """Whether a 400 message is Google's Responsible-AI prompt block rather than a bad field."""
    lowered = message.lower()
    return any(hint in lowered for hint in _SAFETY_HINTS)


def _details(details: object) -> list[dict[str, Any]]:
    return [d for d in details if isinstance(d, dict)] if isinstance(details, list) else []


@dataclass(frozen=True)
class GooglePlan:
    """The request body for one call plus what the caller must be told about it."""

    body: dict[str, Any]
    produced: str
    notes: tuple[str, ...]
    seed: int | None

    def image_fields(self, req: ImageRequest, more_notes: tuple[str, ...] = ()) -> dict[str, Any]:
        """The GeneratedImage fields this plan reports, plus any notes learnt from the answer."""
        notes = self.notes + more_notes
        return {
            "requested": requested_label(req),
            "produced": self.produced,
            "notes": notes,
            "seed": self.seed,
        }


def dropped_notes(req: ImageRequest, model: str) -> list[str]:
    """Canonical options neither generateContent nor Imagen's predict has a field for."""
    unsupported = {
        "negative_prompt": req.negative_prompt,
        "style": req.style,
        "steps": req.steps,
        "guidance": req.guidance,
        "transparent": req.transparent or None,
    }
    return [f"{field} not supported by {model}; dropped" for field, value in unsupported.items() if value]
