"""LayerSpec: one model-made layer, fully specified; the job payload and the source of its key."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel, ConfigDict

from ..gateway.request import ImageRequest, Tier
from .plan import Kind

# Bump when what a job does with a model's image changes (isolation, trimming): old layers are
# then asked for again instead of being reused.
LAYER_VERSION = "1"


class LayerSpec(BaseModel):
    """What to generate for one slot of one card, with the model the router plans for it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    slot: str
    kind: Kind
    text: str = ""  # lettering: the exact words the OCR guard expects
    request: ImageRequest
    intent: str
    model: str  # the planned model: the router's choice for tier and rules, not for today's health
    vendor_model: str = ""
    options: dict[str, Any] = {}
    template: str = ""
    tier: Tier = "free"
    tenant: str | None = None

    @property
    def key(self) -> str:
        """sha256 of everything that makes the pixels: model and vendor model, prompt, size, seed,
        options. Health-dependent fallbacks, tier, tenant and template are left out on purpose: a
        fallback's image is stored under the planned key (the report names who made it), so a
        breaker opening for a minute does not fork the cache, and every card and tenant asking
        for the same layer shares it."""
        req = self.request
        canonical = {
            "v": LAYER_VERSION,
            "kind": self.kind,
            "model": self.model,
            "vendor_model": self.vendor_model,
            "options": self.options,
            "prompt": req.prompt,
            "negative": req.negative_prompt,
            "size": [req.width, req.height],
            "seed": req.seed,
            "quality": req.quality,
            "transparent": req.transparent,
            "text": self.text,
        }
        encoded = json.dumps(canonical, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(encoded.encode()).hexdigest()
