"""The canonical image request every model is asked with, and the image every model answers with."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Quality = Literal["draft", "standard", "high", "ultra"]
Tier = Literal["free", "pro", "enterprise"]
Layer = Literal["background", "typography", "hero", "final", "image"]


class ImageRequest(BaseModel):
    """What the caller wants, in vendor-neutral terms; adapters translate it to their wire format."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    prompt: str = Field(min_length=1, max_length=32000)
    negative_prompt: str | None = Field(None, max_length=4000)
    width: int = Field(1024, ge=64, le=4096)
    height: int = Field(1024, ge=64, le=4096)
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
        if self.aspect_ratio:
            w, h = (int(p) for p in self.aspect_ratio.split(":"))
            if not w or not h:
                raise ValueError("aspect_ratio parts must be positive")
        return self

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
