"""Gemini image models ("Nano Banana") through the Gemini API's `:generateContent`.

Wire facts this adapter relies on (see shared/providers.md section 4):
- auth is the `x-goog-api-key` header (never the `?key=` query string, which ends up in logs);
- `imageConfig.imageSize` exists only on the 3-series models; 2.5 Flash Image is 1K only;
- blocks are HTTP 200: `promptFeedback.blockReason` with no candidates, or a candidate whose
  `finishReason` is IMAGE_SAFETY & co. and has no inlineData; any 200 without an image is a refusal;
- 3-series models may send thought images first: the answer is the last non-thought image part;
- usage comes back in `usageMetadata`, so the real cost is computed from token counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import httpx

from ..errors import BadResponse, ContentRefused, GatewayError
from ..images import decode_b64
from ..request import GeneratedImage, ImageRequest
from ..sizes import nearest_aspect
from .base import HttpProvider, json_body
from .google_errors import QUALITY_SIZE, dropped_notes, google_error
from .google_errors import GooglePlan as GeminiPlan

if TYPE_CHECKING:
    from ..catalog import ModelSpec

GEMINI_ASPECTS = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")
IMAGE_SIZE = QUALITY_SIZE  # quality -> imageConfig.imageSize (see google_errors)


@dataclass(frozen=True)
class TokenRates:
    """USD per token, for computing the real cost from usageMetadata."""

    prompt: float
    text_out: float
    image_out: float


# [3P] Google's pricing page as quoted in shared/providers.md; thinking tokens bill as text output.
TOKEN_RATES = MappingProxyType(
    {
        "gemini-2.5-flash-image": TokenRates(0.30e-6, 2.50e-6, 30e-6),
        "gemini-3-pro-image": TokenRates(2.0e-6, 12e-6, 120e-6),
        "gemini-3-pro-image-preview": TokenRates(2.0e-6, 12e-6, 120e-6),
        "gemini-3.1-flash-image": TokenRates(0.50e-6, 3.0e-6, 60e-6),
    }
)


class GeminiProvider(HttpProvider):
    """gemini-2.5-flash-image, gemini-3-pro-image and relatives on the Gemini API."""

    name = "gemini"
    default_base_url = "https://generativelanguage.googleapis.com"

    def build_request(self, req: ImageRequest, spec: ModelSpec) -> httpx.Request:
        """POST the plan's body to `/v1beta/models/{model}:generateContent`."""
        url = f"{self.base_url}/v1beta/models/{spec.vendor_model}:generateContent"
        headers = {"x-goog-api-key": self.api_key()}
        return httpx.Request("POST", url, json=plan(req, spec).body, headers=headers)

    def parse_response(self, resp: httpx.Response, req: ImageRequest, spec: ModelSpec) -> GeneratedImage:
        """The last non-thought image part of the first candidate that has one."""
        chosen = plan(req, spec)
        body = json_body(resp, self.name)
        part = final_image_part(candidate_list(body, self.name), self.name)
        inline = part.get("inlineData")
        if not isinstance(inline, dict) or not isinstance(inline.get("data"), str):
            raise BadResponse("inlineData has no base64 data", provider=self.name, status=resp.status_code)
        data = decode_b64(inline["data"], provider=self.name)
        cost = cost_usd(body.get("usageMetadata"), spec.vendor_model)
        return self.image(data, req, spec, cost_usd=cost, **chosen.image_fields(req))

    def error_for(self, resp: httpx.Response) -> GatewayError:
        """Google's error envelope (see google_errors)."""
        return google_error(resp, self.name)


def takes_image_size(vendor_model: str) -> bool:
    """Only the 3-series image models accept imageConfig.imageSize."""
    return vendor_model.startswith("gemini-3")


def plan(req: ImageRequest, spec: ModelSpec) -> GeminiPlan:
    """Map the canonical request onto generationConfig, noting every approximation and drop."""
    aspect = nearest_aspect(req, spec.aspects or GEMINI_ASPECTS, vendor=spec.vendor_model)
    image_config = {"aspectRatio": aspect.value}
    notes = [aspect.note] if aspect.note else []
    if takes_image_size(spec.vendor_model):
        image_config["imageSize"] = IMAGE_SIZE[req.quality]
    elif req.quality in ("high", "ultra"):
        notes.append(f"quality {req.quality}: {spec.vendor_model} has no imageSize; 1K output")
    config: dict[str, Any] = {"responseModalities": ["IMAGE"], "imageConfig": image_config}
    if req.seed is not None:
        config["seed"] = req.seed
    config.update(spec.options)  # catalog options are generationConfig fields
    notes.extend(dropped_notes(req, spec.vendor_model))
    body = {"contents": [{"role": "user", "parts": [{"text": req.prompt}]}], "generationConfig": config}
    return GeminiPlan(body=body, produced=aspect.value, notes=tuple(notes), seed=req.seed)


def candidate_list(body: dict[str, Any], provider: str) -> list[dict[str, Any]]:
    """`candidates`, or ContentRefused for a prompt block; BadResponse for any other shape."""
    candidates = body.get("candidates")
    feedback = body.get("promptFeedback")
    block = feedback.get("blockReason") if isinstance(feedback, dict) else None
    if block and not candidates:
        message = str(feedback.get("blockReasonMessage") or f"prompt blocked: {block}")  # type: ignore[union-attr]
        raise ContentRefused(message, provider=provider, status=200, code=str(block))
    if not isinstance(candidates, list) or not all(isinstance(c, dict) for c in candidates):
        raise BadResponse("response has no candidates list", provider=provider, status=200)
    return candidates


def final_image_part(candidates: list[dict[str, Any]], provider: str) -> dict[str, Any]:
    """Last non-thought part with inlineData; a 200 without one is the model refusing."""
    for candidate in candidates:
        images = [p for p in parts_of(candidate, provider) if "inlineData" in p and not p.get("thought")]
        if images:
            return images[-1]
    raise refusal(candidates, provider)


def parts_of(candidate: dict[str, Any], provider: str) -> list[dict[str, Any]]:
    """A candidate's parts; a candidate stopped for safety may have no content at all."""
    content = candidate.get("content") or {}
    parts = content.get("parts") or [] if isinstance(content, dict) else content
    if not isinstance(parts, list) or not all(isinstance(p, dict) for p in parts):
        raise BadResponse("candidate content has no parts list", provider=provider, status=200)
    return parts


def refusal(candidates: list[dict[str, Any]], provider: str) -> ContentRefused:
    """Explain a 200 without an image by its finishReason and any text the model sent."""
    reason = str(candidates[0].get("finishReason") or "NO_IMAGE") if candidates else "NO_IMAGE"
    texts = [
        str(p["text"])
        for c in candidates
        for p in parts_of(c, provider)
        if p.get("text") and not p.get("thought")
    ]
    said = f"; model said: {' '.join(texts)[:300]}" if texts else ""
    return ContentRefused(
        f"no image returned (finishReason {reason}){said}", provider=provider, status=200, code=reason
    )


def cost_usd(usage: object, vendor_model: str) -> float | None:
    """Cost of this call from usageMetadata token counts, when the model's rates are known."""
    rates = TOKEN_RATES.get(vendor_model)
    if rates is None or not isinstance(usage, dict):
        return None
    try:
        return _priced(usage, rates)
    except (TypeError, ValueError, AttributeError):
        return None  # a usage block we cannot read must not cost us the image


def _priced(usage: dict[str, Any], rates: TokenRates) -> float:
    details = usage.get("candidatesTokensDetails") or []
    image_tokens = sum(
        int(d.get("tokenCount", 0)) for d in details if isinstance(d, dict) and d.get("modality") == "IMAGE"
    )
    text_tokens = (
        int(usage.get("candidatesTokenCount", 0)) - image_tokens + int(usage.get("thoughtsTokenCount", 0))
    )
    prompt_tokens = int(usage.get("promptTokenCount", 0))
    cost = (
        prompt_tokens * rates.prompt + max(text_tokens, 0) * rates.text_out + image_tokens * rates.image_out
    )
    return round(cost, 6)
