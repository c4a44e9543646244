"""AUTOMATIC1111 / Forge WebUI adapter: synchronous POST /sdapi/v1/txt2img on a self-hosted GPU box.

No key: the WebUI is open unless started with `--api-auth user:pass`, in which case `api_key` holds
"user:pass" and is sent as HTTP Basic. The checkpoint, sampler and scheduler come from the catalog entry's
`options` (`checkpoint` becomes `override_settings.sd_model_checkpoint`). A1111 has no safety filter, so
an answer without images is a broken back-end (BadResponse), not a refusal.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from ..errors import BadResponse, GatewayError, NotConfigured
from ..images import decode_b64
from ..request import GeneratedImage, ImageRequest
from ..sizes import nearest_size, requested_label
from .base import HttpProvider, default_error, json_body

if TYPE_CHECKING:
    from ..catalog import ModelSpec

QUALITY_STEPS = {"draft": 15, "standard": 25, "high": 35, "ultra": 50}
SDXL_SIZES = (
    "1024x1024",
    "1152x896",
    "896x1152",
    "1216x832",
    "832x1216",
    "1344x768",
    "768x1344",
    "1536x640",
    "640x1536",
)
CFG_RANGE = (1.0, 30.0)


@dataclass(frozen=True)
class Plan:
    """The txt2img payload for one request plus what was changed on the way."""

    body: dict[str, Any]
    requested: str
    produced: str
    notes: tuple[str, ...]


def plan(req: ImageRequest, spec: ModelSpec) -> Plan:
    """Map the canonical request onto A1111's txt2img fields (pure)."""
    choice = nearest_size(req, spec.sizes or SDXL_SIZES, vendor=spec.id)
    width, height = (int(p) for p in choice.value.split("x"))
    options = dict(spec.options)
    body: dict[str, Any] = {
        "prompt": req.prompt,
        "negative_prompt": req.negative_prompt or "",
        "width": width,
        "height": height,
        "seed": -1 if req.seed is None else req.seed,
        "steps": req.steps or QUALITY_STEPS[req.quality],
        "batch_size": 1,
        "n_iter": 1,
        "send_images": True,
        "save_images": False,
    }
    if checkpoint := options.pop("checkpoint", None):
        body["override_settings"] = {"sd_model_checkpoint": checkpoint}
        body["override_settings_restore_afterwards"] = True
    notes = [choice.note] if choice.note else []
    body.update(options)
    notes += _cfg(req, body) + _unsupported(req, spec)
    return Plan(body, requested_label(req), choice.value, tuple(notes))


def _cfg(req: ImageRequest, body: dict[str, Any]) -> list[str]:
    """An explicit guidance becomes cfg_scale (clamped to A1111's 1-30 slider range)."""
    if req.guidance is None:
        return []
    body["cfg_scale"] = min(max(req.guidance, CFG_RANGE[0]), CFG_RANGE[1])
    return [] if body["cfg_scale"] == req.guidance else [f"guidance clamped to {body['cfg_scale']}"]


def _unsupported(req: ImageRequest, spec: ModelSpec) -> list[str]:
    dropped = (["style"] if req.style else []) + (["transparent"] if req.transparent else [])
    return [f"{name} not supported by {spec.id}; dropped" for name in dropped]


class A1111Provider(HttpProvider):
    """Self-hosted AUTOMATIC1111/Forge txt2img; one synchronous call returns base64 PNGs."""

    name = "a1111"
    default_base_url = "http://127.0.0.1:7860"  # the WebUI's documented default address

    def build_request(self, req: ImageRequest, spec: ModelSpec) -> httpx.Request:
        """POST the txt2img payload, with Basic auth when the WebUI runs with --api-auth."""
        return httpx.Request(
            "POST", f"{self.base_url}/sdapi/v1/txt2img", headers=self._auth(), json=plan(req, spec).body
        )

    def parse_response(
        self, resp: httpx.Response, req: ImageRequest, spec: ModelSpec
    ) -> GeneratedImage | httpx.Request:
        """Decode images[0]; the real seed is inside `info`, which is a JSON *string*."""
        body = json_body(resp, self.name)
        images = body.get("images")
        if not isinstance(images, list) or not images or not isinstance(images[0], str):
            raise BadResponse("txt2img answer has no images", provider=self.name, status=resp.status_code)
        p = plan(req, spec)
        data = decode_b64(images[0], provider=self.name)
        return self.image(
            data,
            req,
            spec,
            requested=p.requested,
            produced=p.produced,
            notes=p.notes,
            seed=_seed(body.get("info"), req),
        )

    def error_for(self, resp: httpx.Response) -> GatewayError:
        """A1111's `{"error","detail","body","errors"}` envelope, or FastAPI's `{"detail": ...}`."""
        try:
            body = resp.json()
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        detail = body.get("detail")
        if isinstance(detail, list):
            detail = "; ".join(f"{'.'.join(map(str, d.get('loc', [])))}: {d.get('msg')}" for d in detail)
        message = str(detail or body.get("errors") or resp.reason_phrase)
        return default_error(resp, self.name, message, str(body.get("error") or ""))

    def _auth(self) -> dict[str, str]:
        key = self.config.api_key
        if not key:
            return {}
        if ":" not in key:
            raise NotConfigured("OGS_A1111_API_KEY must be user:pass (HTTP Basic)", provider=self.name)
        return {"Authorization": "Basic " + base64.b64encode(key.encode()).decode("ascii")}


def _seed(info: object, req: ImageRequest) -> int | None:
    """The seed A1111 actually used, from the `info` JSON string; the requested one if unreadable."""
    try:
        seed = json.loads(info).get("seed") if isinstance(info, str) else None
    except (ValueError, AttributeError):
        seed = None
    return seed if isinstance(seed, int) and seed >= 0 else req.seed
