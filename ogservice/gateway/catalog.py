"""Model catalog: one entry per routable model (provider, vendor name, abilities, prices, latency priors)."""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .request import ImageRequest, Quality, Tier
from .sizes import nearest_size


class Capabilities(BaseModel):
    """0-5 scores the router weighs; booleans for hard requirements."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    text_rendering: int = Field(0, ge=0, le=5)
    photorealism: int = Field(0, ge=0, le=5)
    prompt_adherence: int = Field(0, ge=0, le=5)
    speed: int = Field(0, ge=0, le=5, description="5 = fastest")
    transparency: bool = False


class ModelSpec(BaseModel):
    """One catalog entry. `options` are fixed vendor parameters (e.g. rendering_speed) for this id."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    provider: str = Field(description="openai | ideogram | gemini | vertex | stability | replicate | fal | "
                                      "a1111 | comfyui | local")
    vendor_model: str = ""
    options: dict[str, Any] = Field(default_factory=dict)
    capabilities: Capabilities = Capabilities()
    # USD per image: {quality: price} or {"default": price}; per-megapixel vendors set price_per_mp.
    price: dict[str, float] = Field(default_factory=dict)
    price_per_mp: float | None = None
    latency_p50_s: float = 1.0
    latency_p95_s: float = 3.0
    sizes: tuple[str, ...] = ()
    aspects: tuple[str, ...] = ()
    tiers: tuple[Tier, ...] = ("free", "pro", "enterprise")
    retired: str | None = Field(None, description="Date/reason when the vendor retired it; still callable.")

    def price_for(self, quality: Quality, width: int = 1024, height: int = 1024) -> float:
        """Predicted USD for one image: per megapixel, or by "quality@WxH", then quality, then default."""
        if self.price_per_mp is not None:
            return round(self.price_per_mp * math.ceil(width * height / 1_000_000), 6)
        if self.sizes:
            size = nearest_size(ImageRequest(prompt="-", width=width, height=height), self.sizes).value
            if (key := f"{quality}@{size}") in self.price:
                return self.price[key]
        return self.price.get(quality, self.price.get("default", 0.0))
