"""Ideogram adapter: legacy `POST /generate` (V_1_TURBO..V_2A_TURBO) and 3.0 `POST /v1/ideogram-v3/...`.

Choices worth knowing:
- Auth is the `Api-Key` header (not Bearer); the expiring image URL is fetched without it.
- `ideogram-v3` is one catalog id for two endpoints: `generate-transparent` when `req.transparent`
  is true, else `generate`. Both are sent as multipart/form-data, as the vendor documents. The
  transparent endpoint does not offer FLASH ([3P]), so a draft there runs at TURBO; it is
  billed at its own prices (the catalog's `price_transparent`).
- Magic prompt is OFF unless `spec.options` says otherwise: a card wants what was asked, not a rewrite.
  When the vendor rewrote the prompt anyway, the rewrite is reported in the notes.
- Notes computed for the first call travel to the image fetch via `fetch_later`.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import httpx

from ..errors import BadResponse, ContentRefused, GatewayError, RateLimited
from ..request import GeneratedImage, ImageRequest
from ..sizes import nearest_aspect, requested_label
from .base import PENDING as PENDING  # re-exported: the extension name the image fetch carries
from .base import HttpProvider, default_error, first_data_item, is_fetch, json_body, retry_after_seconds

if TYPE_CHECKING:
    from ..catalog import ModelSpec

V3 = "V_3"
V3_PATH = "/v1/ideogram-v3/generate"
LEGACY_STYLES = ("AUTO", "GENERAL", "REALISTIC", "DESIGN", "RENDER_3D", "ANIME")
V3_STYLES = ("AUTO", "GENERAL", "REALISTIC", "DESIGN", "FICTION")
NEGATIVE_PROMPT_MODELS = frozenset({"V_1", "V_1_TURBO", "V_2", "V_2_TURBO", V3})
STYLE_TYPE_MODELS = frozenset({"V_2", "V_2_TURBO", "V_2A", "V_2A_TURBO"})
V3_SPEED = MappingProxyType({"draft": "FLASH", "standard": "DEFAULT", "high": "QUALITY", "ultra": "QUALITY"})


@dataclass(frozen=True)
class Plan:
    """Endpoint path, vendor fields, the aspect chosen and what was changed or dropped."""

    path: str
    fields: dict[str, Any]
    aspect: str
    notes: tuple[str, ...]


def plan_request(req: ImageRequest, spec: ModelSpec) -> Plan:
    """Map the canonical request onto the endpoint and fields this model accepts."""
    aspect = nearest_aspect(req, spec.aspects, vendor=spec.id)
    model = spec.vendor_model
    fields: dict[str, Any] = {"prompt": req.prompt, "aspect_ratio": aspect.value, "num_images": 1}
    notes = [aspect.note] if aspect.note else []
    if req.seed is not None:
        fields["seed"] = req.seed
    notes += _negative_prompt(req, model, fields) + _style(req, model, fields)
    notes += [f"{name} not supported by {model}; dropped" for name in _unsupported(req)]
    extra = _v3_fields(req, fields) if model == V3 else _legacy_fields(req, model, fields)
    fields.update(spec.options)
    path = _path(req, model)
    return Plan(path, fields, aspect.value, tuple(notes + extra))


def _path(req: ImageRequest, model: str) -> str:
    if model != V3:
        return "/generate"
    return f"{V3_PATH}-transparent" if req.transparent else V3_PATH


def _unsupported(req: ImageRequest) -> list[str]:
    """Canonical options no Ideogram endpoint accepts."""
    return [name for name, value in (("steps", req.steps), ("guidance", req.guidance)) if value is not None]


def _negative_prompt(req: ImageRequest, model: str, fields: dict[str, Any]) -> list[str]:
    if req.negative_prompt and model in NEGATIVE_PROMPT_MODELS:
        fields["negative_prompt"] = req.negative_prompt
    elif req.negative_prompt:
        return [f"negative_prompt not supported by {model}; dropped"]
    return []


def _style(req: ImageRequest, model: str, fields: dict[str, Any]) -> list[str]:
    """A canonical style that names one of the model's style_type values is sent; others are dropped."""
    allowed = V3_STYLES if model == V3 else LEGACY_STYLES if model in STYLE_TYPE_MODELS else ()
    wanted = (req.style or "").strip().upper().replace(" ", "_")
    if wanted in allowed:
        fields["style_type"] = wanted
    elif req.style:
        return [f"style {req.style!r} not supported by {model}; dropped"]
    return []


def _legacy_fields(req: ImageRequest, model: str, fields: dict[str, Any]) -> list[str]:
    fields.update(model=model, magic_prompt_option="OFF")
    notes = [f"transparent not supported by {model}; dropped"] if req.transparent else []
    if req.quality != "standard":
        notes.append(f"quality {req.quality} not adjustable on {model}; ignored")
    return notes


def _v3_fields(req: ImageRequest, fields: dict[str, Any]) -> list[str]:
    speed = V3_SPEED[req.quality]
    fields.update(rendering_speed=speed, magic_prompt="OFF")
    if req.transparent and speed == "FLASH":
        fields["rendering_speed"] = "TURBO"
        return ["rendering_speed FLASH not offered for transparent images; using TURBO"]
    return []


class IdeogramProvider(HttpProvider):
    """Ideogram generate endpoints (synchronous; answers carry expiring image URLs)."""

    name = "ideogram"
    default_base_url = "https://api.ideogram.ai"

    def build_request(self, req: ImageRequest, spec: ModelSpec) -> httpx.Request:
        plan = plan_request(req, spec)
        url, headers = f"{self.base_url}{plan.path}", self.headers()
        if plan.path == "/generate":
            return httpx.Request("POST", url, headers=headers, json={"image_request": plan.fields})
        # Text parts without a filename make httpx encode multipart/form-data, as v3 documents.
        parts = [(key, (None, str(value))) for key, value in plan.fields.items()]
        return httpx.Request("POST", url, headers=headers, files=parts)

    def headers(self) -> dict[str, str]:
        return {"Api-Key": self.api_key()}

    def parse_response(
        self, resp: httpx.Response, req: ImageRequest, spec: ModelSpec
    ) -> GeneratedImage | httpx.Request:
        if (image := self.fetched(resp, req, spec)) is not None:
            return image
        item = self.first_item(json_body(resp, self.name))
        url = self.image_url(item)
        plan = plan_request(req, spec)
        fields = {
            "requested": requested_label(req),
            "produced": str(item.get("resolution") or plan.aspect),
            "notes": plan.notes + _rewritten(item, req),
            "seed": item["seed"] if isinstance(item.get("seed"), int) else None,
        }
        return self.fetch_later(url, **fields)

    def first_item(self, body: dict[str, Any]) -> dict[str, Any]:
        """data[0]; an empty list is a silent safety block, anything else malformed."""
        return first_data_item(body, self.name)

    def image_url(self, item: dict[str, Any]) -> str:
        """The image URL; `is_image_safe: false` or a null URL is Ideogram's 200-style safety block."""
        url = item.get("url")
        if item.get("is_image_safe") is False or url in (None, ""):
            raise ContentRefused("the image failed Ideogram's safety check", provider=self.name, status=200)
        if not isinstance(url, str):
            raise BadResponse("data[0].url is not a string", provider=self.name, status=200)
        return url

    def error_for(self, resp: httpx.Response) -> GatewayError:
        """Ideogram answers `{"detail": ...}`; 422 is its safety check; a failed URL fetch means expired."""
        kw: dict[str, Any] = {"provider": self.name, "status": resp.status_code}
        if is_fetch(resp.request):
            return BadResponse(f"image URL answered HTTP {resp.status_code} (expired?)", **kw)
        detail = _detail(resp)
        if resp.status_code == 422 and isinstance(detail, str):
            return ContentRefused(detail or "prompt failed the safety check", code="safety_check", **kw)
        message = str(detail or resp.reason_phrase or "error")
        if resp.status_code == 429:
            # Ideogram sends no retry signal today (concurrency limit); honour one if it ever does.
            return RateLimited(message, retry_after=retry_after_seconds(resp), **kw)
        return default_error(resp, self.name, message)


def _rewritten(item: dict[str, Any], req: ImageRequest) -> tuple[str, ...]:
    prompt = item.get("prompt")
    if isinstance(prompt, str) and prompt and prompt != req.prompt:
        return (f"prompt rewritten by the vendor: {prompt}",)
    return ()


def _detail(resp: httpx.Response) -> Any:
    """`detail` (a string, or FastAPI's validation list) or `message`; the raw text otherwise."""
    try:
        body = resp.json()
    except ValueError:
        return resp.text[:200]
    if isinstance(body, dict):
        return body.get("detail") or body.get("message") or ""
    return str(body)[:200]
