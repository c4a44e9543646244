"""Google Imagen 4 on Vertex AI (`:predict`): synchronous, base64 PNG in `predictions[]`.

Wire facts this adapter relies on (see shared/providers.md section 3):
- auth is an OAuth access token as `Authorization: Bearer` (the configured api_key); minting or
  refreshing that token (service accounts, ADC) is outside this adapter;
- `sampleImageSize` (1K/2K) exists only on Standard and Ultra, never on Fast;
- Imagen 3.0-generate-002 and later reject `negativePrompt`; `seed` works only with
  `addWatermark: false`, and we keep Google's SynthID watermark unless the catalog entry sets
  `addWatermark = false` in its options;
- filtered images are silently dropped, so a 200 without an image is a safety block;
- a prompt blocked by Responsible AI is a 400 INVALID_ARGUMENT (see google_errors).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

from ..errors import BadResponse, ContentRefused, GatewayError, NotConfigured
from ..images import decode_b64
from ..request import GeneratedImage, ImageRequest
from ..sizes import nearest_aspect
from .base import HttpProvider, json_body
from .google_errors import QUALITY_SIZE, dropped_notes, google_error
from .google_errors import GooglePlan as ImagenPlan

if TYPE_CHECKING:
    from ...config import ProviderConfig
    from ..catalog import ModelSpec

DEFAULT_LOCATION = "us-central1"
IMAGEN_ASPECTS = ("1:1", "3:4", "4:3", "9:16", "16:9")
SAMPLE_SIZE = QUALITY_SIZE  # quality -> sampleImageSize (see google_errors)


class VertexProvider(HttpProvider):
    """Imagen 4 Fast / Standard / Ultra through Vertex AI's publisher-model `:predict`."""

    name = "vertex"
    default_base_url = "https://{location}-aiplatform.googleapis.com"

    def __init__(self, config: ProviderConfig, client: httpx.Client | None = None, *, timeout: float = 120.0):
        super().__init__(config, client, timeout=timeout)
        self.location = config.location or DEFAULT_LOCATION
        if not config.base_url:
            self.base_url = regional_host(self.location)

    def build_request(self, req: ImageRequest, spec: ModelSpec) -> httpx.Request:
        """POST the plan's body to the model's `:predict` under the project and location."""
        if not (self.config.project and self.config.api_key):
            raise NotConfigured("Vertex AI needs OGS_VERTEX_PROJECT and an access token", provider=self.name)
        headers = {"Authorization": f"Bearer {self.config.api_key}"}
        return httpx.Request(
            "POST", self.predict_url(spec.vendor_model), json=plan(req, spec).body, headers=headers
        )

    def predict_url(self, vendor_model: str) -> str:
        """The documented path; kept verbatim under a base-URL override."""
        path = f"/v1/projects/{self.config.project}/locations/{self.location}/publishers/google/models"
        return f"{self.base_url}{path}/{vendor_model}:predict"

    def parse_response(self, resp: httpx.Response, req: ImageRequest, spec: ModelSpec) -> GeneratedImage:
        """The first returned image; none at all means every sample was filtered."""
        chosen = plan(req, spec)
        prediction = first_image(json_body(resp, self.name), self.name)
        encoded = prediction["bytesBase64Encoded"]
        if not isinstance(encoded, str):
            raise BadResponse(
                "bytesBase64Encoded is not a string", provider=self.name, status=resp.status_code
            )
        fields = chosen.image_fields(req, revised_prompt_note(prediction))
        return self.image(decode_b64(encoded, provider=self.name), req, spec, **fields)

    def error_for(self, resp: httpx.Response) -> GatewayError:
        """Google's error envelope (see google_errors)."""
        return google_error(resp, self.name)


def regional_host(location: str) -> str:
    """Vertex's regional endpoint; the `global` location has no region prefix."""
    if location == "global":
        return "https://aiplatform.googleapis.com"
    return VertexProvider.default_base_url.format(location=location)


def takes_sample_size(vendor_model: str) -> bool:
    """Imagen 4 Standard and Ultra accept sampleImageSize; Fast rejects it."""
    return "fast" not in vendor_model


def plan(req: ImageRequest, spec: ModelSpec) -> ImagenPlan:
    """Map the canonical request onto Imagen parameters, noting every approximation and drop."""
    aspect = nearest_aspect(req, spec.aspects or IMAGEN_ASPECTS, vendor=spec.vendor_model)
    params: dict[str, Any] = {"sampleCount": 1, "aspectRatio": aspect.value, "includeRaiReason": True}
    notes = [aspect.note] if aspect.note else []
    if takes_sample_size(spec.vendor_model):
        params["sampleImageSize"] = SAMPLE_SIZE[req.quality]
    elif req.quality in ("high", "ultra"):
        notes.append(f"quality {req.quality}: {spec.vendor_model} has no sampleImageSize; 1K output")
    params.update(spec.options)
    seed = _seed(req, params, spec.vendor_model, notes)
    notes.extend(dropped_notes(req, spec.vendor_model))
    body = {"instances": [{"prompt": req.prompt}], "parameters": params}
    return ImagenPlan(body=body, produced=aspect.value, notes=tuple(notes), seed=seed)


def _seed(req: ImageRequest, params: dict[str, Any], model: str, notes: list[str]) -> int | None:
    """Send the seed only when the watermark is off (Vertex refuses the combination)."""
    if req.seed is None:
        return None
    if params.get("addWatermark", True):
        notes.append(f"seed not supported by {model} with the SynthID watermark on; dropped")
        return None
    params["seed"] = req.seed
    return req.seed


def first_image(body: dict[str, Any], provider: str) -> dict[str, Any]:
    """The first prediction carrying bytes; ContentRefused when all were filtered."""
    predictions = body.get("predictions") or []
    if not isinstance(predictions, list):
        raise BadResponse("predictions is not a list", provider=provider, status=200)
    for prediction in predictions:
        if isinstance(prediction, dict) and "bytesBase64Encoded" in prediction:
            return prediction
    reasons = [
        str(p["raiFilteredReason"]) for p in predictions if isinstance(p, dict) and p.get("raiFilteredReason")
    ]
    message = "; ".join(reasons) or "no image returned: every sample was filtered by Responsible AI"
    raise ContentRefused(message, provider=provider, status=200, code="RAI_FILTERED")


def revised_prompt_note(prediction: dict[str, Any]) -> tuple[str, ...]:
    """Vertex returns the rewritten prompt when prompt enhancement ran."""
    revised = prediction.get("prompt")
    return (f"revised prompt: {revised}",) if isinstance(revised, str) and revised else ()
