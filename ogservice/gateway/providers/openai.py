"""OpenAI Images adapter: dall-e-3 and the GPT image models via `POST /v1/images/generations`.

Choices worth knowing:
- The base URL is the host (`https://api.openai.com`); an SDK-style override ending in `/v1` works too.
- dall-e-3 is asked for `b64_json` (one hop, nothing to expire); `options.response_format = "url"`
  switches to the vendor default, and the adapter then fetches the URL without sending the key.
- gpt-image-2 takes free sizes (catalog `sizes = []`): multiples of 16, aspect 1:3..3:1, capped at the
  non-experimental 2560x1440 area; the choice still goes through `nearest_size` so strict mode and
  notes behave as for listed sizes.
- Notes computed for the first call travel to the image fetch via `fetch_later`, so both
  hooks stay pure.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import httpx

from ..errors import BadResponse, ContentRefused, GatewayError, RateLimited, RequestRejected
from ..images import decode_b64
from ..request import GeneratedImage, ImageRequest
from ..sizes import SizeChoice, nearest_size, requested_label
from .base import PENDING as PENDING  # re-exported: the extension name the image fetch carries
from .base import HttpProvider, default_error, first_data_item, is_fetch, json_body, retry_after_seconds

if TYPE_CHECKING:
    from ..catalog import ModelSpec

SAFETY_CODES = frozenset({"content_policy_violation", "moderation_blocked"})
GPT_QUALITY = MappingProxyType({"draft": "low", "standard": "medium", "high": "high", "ultra": "high"})
DALLE_QUALITY = MappingProxyType({"draft": "standard", "standard": "standard", "high": "hd", "ultra": "hd"})
DALLE_STYLES = frozenset({"vivid", "natural"})
DALLE_PROMPT_LIMIT = 4000
# gpt-image-2 free-size rules (providers.md); the minimum area is from OpenAI's size guide [U].
FREE_MIN_AREA, FREE_MAX_AREA, FREE_MAX_EDGE, FREE_MAX_RATIO = 655_360, 2560 * 1440, 3840, 3.0


@dataclass(frozen=True)
class TokenRates:
    """USD per million tokens, as billed for GPT image models."""

    text_in: float
    image_in: float
    text_out: float
    image_out: float


TOKEN_RATES = MappingProxyType(
    {
        "gpt-image-1": TokenRates(5.0, 10.0, 0.0, 40.0),
        "gpt-image-1.5": TokenRates(5.0, 8.0, 10.0, 32.0),
        "gpt-image-2": TokenRates(5.0, 8.0, 10.0, 30.0),
    }
)


@dataclass(frozen=True)
class Plan:
    """The JSON body for one request plus the size chosen and what was changed or dropped."""

    body: dict[str, Any]
    size: str
    notes: tuple[str, ...]


def is_dalle(spec: ModelSpec) -> bool:
    return spec.vendor_model.startswith("dall-e")


def plan_request(req: ImageRequest, spec: ModelSpec) -> Plan:
    """Map the canonical request onto the fields this model accepts; never send one it rejects."""
    size = choose_size(req, spec)
    body: dict[str, Any] = {"model": spec.vendor_model, "prompt": req.prompt, "n": 1, "size": size.value}
    notes = [size.note] if size.note else []
    fill = _dalle_fields if is_dalle(spec) else _gpt_fields
    notes += fill(req, spec, body)
    notes += [f"{name} not supported by {spec.vendor_model}; dropped" for name in _unsupported(req)]
    body.update(spec.options)
    return Plan(body, size.value, tuple(notes))


def _unsupported(req: ImageRequest) -> list[str]:
    """Canonical options no OpenAI image model accepts."""
    given = {
        "negative_prompt": req.negative_prompt,
        "seed": req.seed,
        "steps": req.steps,
        "guidance": req.guidance,
    }
    return [name for name, value in given.items() if value is not None]


def _dalle_fields(req: ImageRequest, spec: ModelSpec, body: dict[str, Any]) -> list[str]:
    """quality standard|hd, style vivid|natural, b64 response; prompt capped at 4000 characters."""
    notes: list[str] = []
    body.update(quality=DALLE_QUALITY[req.quality], response_format="b64_json")
    if len(req.prompt) > DALLE_PROMPT_LIMIT:
        body["prompt"] = req.prompt[:DALLE_PROMPT_LIMIT]
        notes.append(f"prompt truncated to {DALLE_PROMPT_LIMIT} characters for {spec.vendor_model}")
    if req.style and req.style.lower() in DALLE_STYLES:
        body["style"] = req.style.lower()
    elif req.style:
        notes.append(f"style {req.style!r} not supported by {spec.vendor_model}; dropped")
    if req.transparent:
        notes.append(f"transparent not supported by {spec.vendor_model}; dropped")
    return notes


def _gpt_fields(req: ImageRequest, spec: ModelSpec, body: dict[str, Any]) -> list[str]:
    """quality low|medium|high, PNG output, transparent background where the catalog allows it."""
    notes: list[str] = []
    body.update(quality=GPT_QUALITY[req.quality], output_format="png")
    if req.transparent and spec.capabilities.transparency:
        body["background"] = "transparent"
    elif req.transparent:
        notes.append(f"transparent not supported by {spec.vendor_model}; dropped")
    if req.style:
        notes.append(f"style not supported by {spec.vendor_model}; dropped")
    return notes


def choose_size(req: ImageRequest, spec: ModelSpec) -> SizeChoice:
    """Nearest listed size, or for free-size models the nearest valid WxH (strict mode raises)."""
    candidates = spec.sizes or (free_size(req),)
    return nearest_size(req, candidates, vendor=spec.id)


def free_size(req: ImageRequest) -> str:
    """gpt-image-2: keep the ratio within 1:3..3:1 and the area in bounds, sides multiples of 16."""
    ratio = min(max(req.ratio(), 1 / FREE_MAX_RATIO), FREE_MAX_RATIO)
    area = min(max(req.width * req.height, FREE_MIN_AREA), FREE_MAX_AREA)
    if not req.aspect_ratio and ratio == req.ratio() and area == req.width * req.height:
        width, height = float(req.width), float(req.height)
    else:
        width, height = math.sqrt(area * ratio), math.sqrt(area / ratio)
    return "{}x{}".format(*fit16(width, height, up=area == FREE_MIN_AREA))


def fit16(width: float, height: float, *, up: bool) -> tuple[int, int]:
    """Round both sides to multiples of 16 (up at the minimum area) without leaving 3:1 or 3840."""
    step = math.ceil if up else round
    w, h = (min(FREE_MAX_EDGE, max(16, 16 * step(side / 16))) for side in (width, height))
    if max(w, h) > FREE_MAX_RATIO * min(w, h):  # rounding pushed past 3:1: shorten the long side
        longest = 16 * math.floor(FREE_MAX_RATIO * min(w, h) / 16)
        w, h = (longest, h) if w > h else (w, longest)
    return w, h


def cost_from_usage(usage: Any, vendor_model: str) -> float | None:
    """USD for the reported token usage; None when the vendor reports none or the rates are unknown."""
    rates = TOKEN_RATES.get(vendor_model)
    if rates is None or not isinstance(usage, dict):
        return None
    inp, out = _details(usage, "input_tokens_details"), _details(usage, "output_tokens_details")
    total = (
        _count(inp, "text_tokens", _count(usage, "input_tokens")) * rates.text_in
        + _count(inp, "image_tokens") * rates.image_in
        + _count(out, "text_tokens") * rates.text_out
        + _count(out, "image_tokens", _count(usage, "output_tokens")) * rates.image_out
    )
    return round(total / 1_000_000, 6)


def _details(usage: dict[str, Any], key: str) -> dict[str, Any]:
    value = usage.get(key)
    return value if isinstance(value, dict) else {}


def _count(values: dict[str, Any], key: str, default: int = 0) -> int:
    """A token count, or `default` when absent or not a number (a bad usage block never fails a call)."""
    value = values.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else default


def reset_seconds(text: str | None) -> float | None:
    """OpenAI's `x-ratelimit-reset-*` durations ('1s', '6m0s', '20ms') -> seconds."""
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|h|m|s)", text or "")
    if not parts:
        return None
    scale = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
    return sum(float(value) * scale[unit] for value, unit in parts)


class OpenAIProvider(HttpProvider):
    """OpenAI Images API (synchronous; Bearer auth)."""

    name = "openai"
    default_base_url = "https://api.openai.com"

    def build_request(self, req: ImageRequest, spec: ModelSpec) -> httpx.Request:
        plan = plan_request(req, spec)
        return httpx.Request("POST", self.url("/images/generations"), headers=self.headers(), json=plan.body)

    def url(self, path: str) -> str:
        """Endpoint URL; accepts base URLs with or without the SDK-style `/v1` suffix."""
        prefix = "" if self.base_url.endswith("/v1") else "/v1"
        return f"{self.base_url}{prefix}{path}"

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key()}"}

    def parse_response(
        self, resp: httpx.Response, req: ImageRequest, spec: ModelSpec
    ) -> GeneratedImage | httpx.Request:
        if (image := self.fetched(resp, req, spec)) is not None:
            return image
        body = json_body(resp, self.name)
        item = self.first_item(body)
        plan = plan_request(req, spec)
        fields = {
            "requested": requested_label(req),
            "produced": str(body.get("size") or plan.size),
            "notes": plan.notes + _revised(item),
            "cost_usd": cost_from_usage(body.get("usage"), spec.vendor_model),
        }
        if isinstance(item.get("b64_json"), str):
            return self.image(decode_b64(item["b64_json"], provider=self.name), req, spec, **fields)
        if isinstance(item.get("url"), str) and item["url"]:
            return self.fetch_later(item["url"], **fields)
        raise BadResponse("data[0] has neither b64_json nor url", provider=self.name, status=resp.status_code)

    def first_item(self, body: dict[str, Any]) -> dict[str, Any]:
        """data[0]; an empty list is a silent safety block, anything else malformed."""
        return first_data_item(body, self.name)

    def error_for(self, resp: httpx.Response) -> GatewayError:
        """Read `{"error": {message, type, param, code}}`; a failed URL fetch means the image expired."""
        kw: dict[str, Any] = {"provider": self.name, "status": resp.status_code}
        if is_fetch(resp.request):
            return BadResponse(f"image URL answered HTTP {resp.status_code} (expired?)", **kw)
        message, code = _envelope(resp)
        if code in SAFETY_CODES:
            return ContentRefused(message, code=code, **kw)
        if code == "insufficient_quota":  # a 429 that waiting does not fix
            return RequestRejected(message, code=code, **kw)
        if resp.status_code == 429:
            return RateLimited(message, retry_after=_retry_after(resp), code=code, **kw)
        if code == "model_not_found":
            return RequestRejected(f"model retired or not available to this key: {message}", code=code, **kw)
        return default_error(resp, self.name, message, code)


def _revised(item: dict[str, Any]) -> tuple[str, ...]:
    revised = item.get("revised_prompt")
    return (f"revised prompt: {revised}",) if isinstance(revised, str) and revised else ()


def _envelope(resp: httpx.Response) -> tuple[str, str]:
    """(message, code or type) from OpenAI's error envelope; falls back to the reason phrase."""
    try:
        error = resp.json().get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    if not isinstance(error, dict):
        error = {"message": str(error)}
    message = str(error.get("message") or resp.reason_phrase or "error")
    code = error.get("code") or error.get("type") or ""
    param = error.get("param")
    return (f"{message} (param: {param})" if param else message), str(code)


def _retry_after(resp: httpx.Response) -> float | None:
    """retry-after-ms / retry-after first (as the SDK does), then the rate-limit reset headers."""
    seconds = retry_after_seconds(resp)
    if seconds is not None:
        return seconds
    resets = [reset_seconds(resp.headers.get(f"x-ratelimit-reset-{kind}")) for kind in ("requests", "tokens")]
    known = [value for value in resets if value is not None]
    return max(known) if known else None
