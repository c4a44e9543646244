"""Stability AI v2beta Stable Image SD3.5 (`/v2beta/stable-image/generate/sd3`), multipart in, bytes out.

Wire facts this adapter relies on (see shared/providers.md section 5):
- auth `Authorization: Bearer sk-...`; the body must be multipart/form-data even without a file;
- `Accept: image/*` returns raw bytes with `finish-reason` and `seed` headers (no base64 overhead);
  `Accept: application/json` returns {image, finish_reason, seed}; both are parsed;
- sizes are aspect ratios only (about 1 MP); no webp for sd3; cfg_scale is 1-10;
- `negative_prompt` is ignored or refused by the turbo model, so it is never sent there;
- safety: 403 `content_moderation`, or 200 with `finish-reason: CONTENT_FILTERED` (a blurred image);
- a 429 locks the key out for a fixed 60 s and sends no retry header.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from ..errors import BadResponse, ContentRefused, GatewayError, RateLimited
from ..images import decode_b64
from ..request import GeneratedImage, ImageRequest
from ..sizes import nearest_aspect, requested_label
from .base import HttpProvider, default_error, json_body, retry_after_seconds

if TYPE_CHECKING:
    from ..catalog import ModelSpec

SD3_ASPECTS = ("16:9", "1:1", "21:9", "2:3", "3:2", "4:5", "5:4", "9:16", "9:21")
STYLE_PRESETS = frozenset(
    {
        "3d-model",
        "analog-film",
        "anime",
        "cinematic",
        "comic-book",
        "digital-art",
        "enhance",
        "fantasy-art",
        "isometric",
        "line-art",
        "low-poly",
        "modeling-compound",
        "neon-punk",
        "origami",
        "photographic",
        "pixel-art",
        "tile-texture",
    }
)
LOCKOUT_SECONDS = 60.0  # Stability's documented time-out after exceeding 150 requests / 10 s


@dataclass(frozen=True)
class StabilityPlan:
    """The form fields for one request plus what the caller must be told about it."""

    fields: dict[str, str]
    produced: str
    notes: tuple[str, ...]


class StabilityProvider(HttpProvider):
    """SD3.5 Large, Large Turbo and Medium on Stability's v2beta API."""

    name = "stability"
    default_base_url = "https://api.stability.ai"

    def build_request(self, req: ImageRequest, spec: ModelSpec) -> httpx.Request:
        """Multipart POST; every field is a plain form part (filename None), which forces multipart."""
        url = f"{self.base_url}/v2beta/stable-image/generate/sd3"
        headers = {
            "Authorization": f"Bearer {self.api_key()}",
            "Accept": "image/*",
            "stability-client-id": "ogservice",
        }
        files = [(key, (None, value)) for key, value in plan(req, spec).fields.items()]
        return httpx.Request("POST", url, files=files, headers=headers)

    def parse_response(self, resp: httpx.Response, req: ImageRequest, spec: ModelSpec) -> GeneratedImage:
        """Raw bytes (Accept image/*) or the JSON form; CONTENT_FILTERED is a refusal."""
        data, finish, seed = self._payload(resp)
        if finish == "CONTENT_FILTERED":
            raise ContentRefused(
                "output blurred by Stability's content filter",
                provider=self.name,
                status=resp.status_code,
                code="CONTENT_FILTERED",
            )
        chosen = plan(req, spec)
        return self.image(
            data,
            req,
            spec,
            requested=requested_label(req),
            produced=chosen.produced,
            notes=chosen.notes,
            seed=parse_seed(seed),
        )

    def _payload(self, resp: httpx.Response) -> tuple[bytes, str, object]:
        """(image bytes, finish reason, seed) from either response form."""
        media_type = resp.headers.get("content-type", "")
        if media_type.startswith("image/"):
            return resp.content, resp.headers.get("finish-reason", ""), resp.headers.get("seed")
        if media_type.startswith("application/json"):
            body = json_body(resp, self.name)
            if not isinstance(body.get("image"), str):
                raise BadResponse("JSON answer has no image", provider=self.name, status=resp.status_code)
            return (
                decode_b64(body["image"], provider=self.name),
                str(body.get("finish_reason", "")),
                body.get("seed"),
            )
        raise BadResponse(
            f"unexpected content-type {media_type!r}", provider=self.name, status=resp.status_code
        )

    def error_for(self, resp: httpx.Response) -> GatewayError:
        """Stability's `{id, name, errors[]}` envelope; moderation and the 60 s lock-out are special."""
        name, message = stability_envelope(resp)
        if resp.status_code == 403 and name == "content_moderation":
            return ContentRefused(message, provider=self.name, status=403, code=name)
        if resp.status_code == 429:
            signal = retry_after_seconds(resp)
            retry_after = signal if signal is not None else LOCKOUT_SECONDS
            return RateLimited(message, retry_after=retry_after, provider=self.name, status=429, code=name)
        return default_error(resp, self.name, message, name)


def stability_envelope(resp: httpx.Response) -> tuple[str, str]:
    """(name, joined errors) from the error body; empty strings when it is not that shape."""
    try:
        body = resp.json()
    except ValueError:
        return "", ""
    if not isinstance(body, dict):
        return "", ""
    errors = body.get("errors")
    message = "; ".join(str(e) for e in errors) if isinstance(errors, list) else str(body.get("message", ""))
    return str(body.get("name", "")), message


def parse_seed(value: object) -> int | None:
    """The seed Stability used (header or JSON), when it is an integer."""
    try:
        return int(str(value)) if value is not None else None
    except ValueError:
        return None


def takes_negative_prompt(vendor_model: str) -> bool:
    """The turbo model does not use a negative prompt."""
    return "turbo" not in vendor_model


def plan(req: ImageRequest, spec: ModelSpec) -> StabilityPlan:
    """Map the canonical request onto SD3 form fields, noting every approximation and drop."""
    aspect = nearest_aspect(req, spec.aspects or SD3_ASPECTS, vendor=spec.vendor_model)
    fields = {
        "prompt": req.prompt,
        "model": spec.vendor_model,
        "aspect_ratio": aspect.value,
        "output_format": "png",
    }
    notes = [aspect.note] if aspect.note else []
    if req.seed is not None:
        fields["seed"] = str(req.seed)
    _negative(req, spec.vendor_model, fields, notes)
    _cfg_scale(req, spec.vendor_model, fields, notes)
    _style(req, spec.vendor_model, fields, notes)
    notes.extend(
        f"{f} not supported by {spec.vendor_model}; dropped" for f, v in _unsupported(req).items() if v
    )
    fields.update({key: str(value) for key, value in spec.options.items()})
    return StabilityPlan(fields=fields, produced=aspect.value, notes=tuple(notes))


def _negative(req: ImageRequest, model: str, fields: dict[str, str], notes: list[str]) -> None:
    """negative_prompt where the model uses it; a note where it does not."""
    if not req.negative_prompt:
        return
    if takes_negative_prompt(model):
        fields["negative_prompt"] = req.negative_prompt
    else:
        notes.append(f"negative_prompt not supported by {model}; dropped")


def _cfg_scale(req: ImageRequest, model: str, fields: dict[str, str], notes: list[str]) -> None:
    """guidance -> cfg_scale, clamped to Stability's 1-10 range."""
    if req.guidance is None:
        return
    value = min(10.0, max(1.0, req.guidance))
    if value != req.guidance:
        notes.append(f"guidance {req.guidance:g} outside {model}'s cfg_scale 1-10; using {value:g}")
    fields["cfg_scale"] = f"{value:g}"


def _style(req: ImageRequest, model: str, fields: dict[str, str], notes: list[str]) -> None:
    """style -> style_preset only when it is one of Stability's presets."""
    if not req.style:
        return
    if req.style in STYLE_PRESETS:
        fields["style_preset"] = req.style
    else:
        notes.append(f"style {req.style!r} is not a {model} style_preset; dropped")


def _unsupported(req: ImageRequest) -> dict[str, Any]:
    """Canonical options the SD3 endpoint has no field for."""
    return {"steps": req.steps, "transparent": req.transparent or None}
