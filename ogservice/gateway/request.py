"""The canonical image request every model is asked with, and the image every model answers with."""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Quality = Literal["draft", "standard", "high", "ultra"]
Tier = Literal["free", "pro", "enterprise"]
Layer = Literal["background", "typography", "hero", "final", "image"]
MIN_SIDE, MAX_SIDE = 64, 4096  # pixels: the smallest and largest side any model is asked for


class ImageRequest(BaseModel):
    """What the caller wants, in vendor-neutral terms; adapters translate it to their wire format."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    prompt: str = Field(min_length=1, max_length=32000)
    negative_prompt: str | None = Field(None, max_length=4000)
    width: int = Field(1024, ge=MIN_SIDE, le=MAX_SIDE)
    height: int = Field(1024, ge=MIN_SIDE, le=MAX_SIDE)
    aspect_ratio: str | None = Field(
        None, pattern=r"^[0-9]{1,2}:[0-9]{1,2}$", description="Overrides width/height."
    )
    quality: Quality = "standard"
    seed: int | None = Field(None, ge=0, le=2147483647)
    style: str | None = Field(None, max_length=64)
    steps: int | None = Field(None, ge=1, le=150)
    guidance: float | None = Field(None, ge=0, le=30)
    transparent: bool = False
    strict: bool = Field(False, description="Refuse instead of choosing the nearest supported size/aspect.")

    @model_validator(mode="after")
    def _aspect_sane(self) -> ImageRequest:
        """An aspect ratio must be positive and give an image whose sides stay within the limits
        (99:1 at 1024x1024 pixels would be 10189x106: no model makes it, and pricing it failed)."""
        if self.aspect_ratio:
            w, h = (int(p) for p in self.aspect_ratio.split(":"))
            if not w or not h:
                raise ValueError("aspect_ratio parts must be positive")
            width, height = self.pixels()
            if min(width, height) < MIN_SIDE or max(width, height) > MAX_SIDE:
                raise ValueError(
                    f"aspect_ratio {self.aspect_ratio} at {self.width}x{self.height} pixels makes a "
                    f"{width}x{height} image; each side must be {MIN_SIDE} to {MAX_SIDE} pixels"
                )
        return self

    def pixels(self) -> tuple[int, int]:
        """Width and height of the image asked for: an aspect ratio keeps the requested area at that shape."""
        if not self.aspect_ratio:
            return self.width, self.height
        area, ratio = self.width * self.height, self.ratio()
        return round(math.sqrt(area * ratio)), round(math.sqrt(area / ratio))

    def ratio(self) -> float:
        """Requested width/height ratio (from aspect_ratio when given)."""
        if self.aspect_ratio:
            w, h = (int(p) for p in self.aspect_ratio.split(":"))
            return w / h
        return self.width / self.height


class GeneratedImage(BaseModel):
    """One generated image with an honest account of what was asked and what came back."""

    model_config = ConfigDict(frozen=True)

    data: bytes = Field(repr=False)
    media_type: str = "image/png"
    width: int
    height: int
    model: str = ""
    provider: str = ""
    requested: str = Field("", description="Requested size as WxH (or aspect W:H).")
    produced: str = Field("", description="What the vendor was asked for/produced, e.g. 1536x1024 or 16:9.")
    notes: tuple[str, ...] = Field((), description="Dropped options, nearest-size choices, revised prompt...")
    seed: int | None = None
    cost_usd: float | None = Field(None, description="Actual cost when the vendor reports it.")
