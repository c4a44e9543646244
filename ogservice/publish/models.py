"""Request and response models of POST /v1/cards, GET /v1/jobs/<id> and POST /v1/hooks/publish.

These models validate the requests and describe the responses; the OpenAPI document is generated
from them, so every body the endpoints read or write is spelled out here and nowhere else.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from ..cards.fields import has_visible_characters
from ..cards.formats import PNG, available

MAX_SIZES = 8
MAX_FIELDS = 64
MAX_WAIT_S = 30.0
_NAME = r"^[a-z0-9][a-z0-9-]{0,62}$"
_SIZE = r"^([a-z0-9][a-z0-9-]{0,31}|[0-9]{2,4}x[0-9]{2,4})$"


DEFAULT_FORMAT = PNG.name
# Assets larger than this are never what a banner or card needs; it bounds the quality search.
MAX_BYTES_LIMIT = 50_000_000


def one_of_required(fields: tuple[str, ...], what: str) -> PydanticCustomError:
    """A body-level error naming the fields the caller may fill (`ctx["fields"]`): it concerns no
    single field, so pydantic's location is empty, and the 422 names these instead."""
    return PydanticCustomError(
        "one_of_required", f"{' or '.join(fields)} is required: {what}", {"fields": list(fields)}
    )


def _known_format(value: str) -> str:
    """The format's canonical name (`jpeg` is `jpg`), one this Pillow can write."""
    name = {"jpeg": "jpg"}.get(value.lower(), value.lower())
    if name not in available():
        raise ValueError(f"format must be one of {', '.join(available())}, not {value[:16]!r}")
    return name


class CardsRequest(BaseModel):
    """POST /v1/cards: one template and its fields, rendered at each of `sizes`."""

    model_config = ConfigDict(
        extra="forbid", frozen=True,
        json_schema_extra={"examples": [
            {"template": "blog-post", "fields": {"title": "Hi"}, "sizes": ["og", "square"], "format": "webp"},
        ]},
    )  # fmt: skip

    template: str = Field(pattern=_NAME, description="Template name, e.g. blog-post.")
    fields: dict[str, str] = Field(default_factory=dict, max_length=MAX_FIELDS, description="Field values.")
    sizes: list[str] = Field(
        default_factory=list,
        max_length=MAX_SIZES,
        description="Size presets or WIDTHxHEIGHT; empty: the template's default size.",
    )
    format: str = Field(DEFAULT_FORMAT, description="Output format of every size: png, jpg, webp or avif.")
    max_bytes: int | None = Field(
        None, ge=1, le=MAX_BYTES_LIMIT,
        description="Each size must fit in this many bytes (quality is chosen to fit; 422 when it cannot).",
    )  # fmt: skip
    wait: float = Field(
        0, ge=0, le=MAX_WAIT_S, allow_inf_nan=False,
        description="Seconds to wait for AI layers before answering 202 with a job to poll.",
    )  # fmt: skip

    _format = field_validator("format")(_known_format)

    @field_validator("sizes")
    @classmethod
    def _size_names(cls, sizes: list[str]) -> list[str]:
        import re

        for size in sizes:
            if not re.match(_SIZE, size):
                raise ValueError(f"{size[:40]!r} is not a size preset name or WIDTHxHEIGHT")
        if len(set(sizes)) != len(sizes):
            raise ValueError("sizes repeats a size")
        return sizes


class LayerReport(BaseModel):
    """How one AI layer of a card came out: who made it and how (fresh, cached, or why it is local)."""

    slot: str
    made_by: str = Field(description="The model's id, or 'local'.")
    state: str = Field(description="fresh | cached | pending | a reason the layer is set locally.")


class CardResult(BaseModel):
    """One rendered size: the immutable asset URL, the signed GET URL of the same card, its layers."""

    size: str
    width: int
    height: int
    format: str
    bytes: int
    url: str = Field(description="/a/<sha256>.<ext>: the content-addressed asset, cacheable forever.")
    og_url: str = Field(description="Signed GET /og URL rendering the same card (for og:image).")
    layers: list[LayerReport]
    provisional: bool = Field(description="True while an AI layer is still being made.")


class CardsResponse(BaseModel):
    """The 200 answer of POST /v1/cards, and a finished job's result."""

    template: str
    cards: list[CardResult]


class JobProgress(BaseModel):
    done: int = Field(description="Sizes rendered in their final form so far.")
    total: int


class CallbackOutcome(BaseModel):
    """What happened to a publish hook's callback: each attempt's status, and whether it was delivered."""

    url: str
    state: Literal["pending", "delivered", "failed", "skipped"]
    attempts: int = 0
    last_status: int | None = None
    last_error: str = ""
    delivered_at: float | None = None


class JobView(BaseModel):
    """GET /v1/jobs/<id>: a job's state and progress, and its result once done."""

    id: str
    kind: Literal["cards", "publish"]
    state: Literal["queued", "running", "done", "failed"]
    progress: JobProgress
    result: CardsResponse | None = None
    error: str = ""
    callback: CallbackOutcome | None = None
    post_id: str | None = None
    version: str | None = None
    created: float
    updated: float


class JobAccepted(BaseModel):
    """The 202 answer: where to poll (also in the Location header)."""

    job: str
    status: str = Field(description="URL of GET /v1/jobs/<id>.")
    duplicate: bool = Field(False, description="This post id + version was accepted before: no new render.")


class PublishPayload(BaseModel):
    """POST /v1/hooks/publish, generic form: what a CMS knows about a post when it is published."""

    model_config = ConfigDict(
        extra="forbid", frozen=True,
        json_schema_extra={"examples": [
            {"post_id": "42", "version": "2026-12-07T10:00:00Z", "title": "Hello", "sizes": ["og"]},
        ]},
    )  # fmt: skip

    post_id: str = Field(min_length=1, max_length=200)
    version: str = Field(
        min_length=1, max_length=200, description="Changes when the post changes (updated_at, revision)."
    )
    title: str = Field(max_length=500)
    subtitle: str = Field("", max_length=1000)
    author: str = Field("", max_length=200)
    site: str = Field("", max_length=200)
    url: str = Field("", max_length=2048)
    tags: list[str] = Field(default_factory=list, max_length=32)
    image_url: str = Field("", max_length=2048)
    template: str = Field("blog-post", pattern=_NAME)
    sizes: list[str] = Field(
        default_factory=list, max_length=MAX_SIZES, description="Empty: every size of the template."
    )
    format: str = Field(DEFAULT_FORMAT)
    fields: dict[str, str] = Field(
        default_factory=dict, max_length=MAX_FIELDS, description="Other template fields (theme, bg=ai, ...)."
    )

    _format = field_validator("format")(_known_format)


class GhostName(BaseModel):
    """An author or tag of a Ghost post: only its name is used."""

    name: str = Field("", max_length=200)


class GhostPost(BaseModel):
    """The fields of a Ghost post that fill the card; Ghost sends many more, which are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str = Field(min_length=1, max_length=200)
    updated_at: str = Field(min_length=1, max_length=200, description="The version: changes with the post.")
    title: str = Field(max_length=500)
    custom_excerpt: str | None = None
    excerpt: str | None = None
    url: str | None = Field(None, max_length=2048)
    primary_author: GhostName | None = None
    tags: list[GhostName] = Field(default_factory=list)
    feature_image: str | None = Field(None, max_length=2048)


class GhostPostChange(BaseModel):
    current: GhostPost


class GhostWebhook(BaseModel):
    """POST /v1/hooks/publish, Ghost's own `post.published` webhook body (signed X-Ghost-Signature)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    post: GhostPostChange


# POST /v1/banners: a product's promo set in one call. The body is mapped onto promo-banner's fields
# in one place (publish/banners.py) and rendered by the same code as POST /v1/cards.
BANNER_SIZES = ("feed", "square", "story", "leaderboard", "rectangle", "billboard", "skyscraper")
_BRAND_COLOR = r"^(|#?[0-9a-fA-F]{3}|#?[0-9a-fA-F]{6})$"


class BannerProduct(BaseModel):
    """What is on sale: its name (the headline when none is given), prices and photo."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field("", max_length=120, description="Product name; the headline when `headline` is empty.")
    price: str = Field("", max_length=24, description="Price as shown, e.g. $49.")
    old_price: str = Field("", max_length=24, description="Former price, shown struck through.")
    image: str = Field(
        "",
        max_length=2000,
        description="Product photo: an uploaded asset id (POST /v1/assets) or an https URL.",
    )


class BannerBrand(BaseModel):
    """The brand: its exact colour (on the CTA and badge) and its logo."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    color: str = Field("", pattern=_BRAND_COLOR, description="Brand hex colour, e.g. #FF6B00.")
    logo: str = Field("", max_length=2000, description="Logo: an uploaded asset id or an https URL.")


class BannersRequest(BaseModel):
    """POST /v1/banners: one offer rendered in every promo size (or those asked for)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    product: BannerProduct = Field(default_factory=BannerProduct)
    brand: BannerBrand = Field(default_factory=BannerBrand)
    headline: str = Field("", max_length=120, description="The offer; defaults to the product's name.")
    subhead: str = Field("", max_length=160)
    discount: str = Field("", max_length=24, description="Badge text, e.g. -30%.")
    cta: str = Field("", max_length=32, description="Call to action; empty: Shop now.")
    dir: Literal["auto", "ltr", "rtl"] = Field(
        "auto", description="Layout direction: auto follows the headline; rtl mirrors every size."
    )
    sizes: list[str] | Literal["all"] = Field(
        "all", description=f'Promo sizes to render ({", ".join(BANNER_SIZES)}), or "all".'
    )
    format: str = Field(DEFAULT_FORMAT, description="Output format of every size: png, jpg, webp or avif.")
    max_bytes: int | None = Field(
        None, ge=1, le=MAX_BYTES_LIMIT,
        description="Each size must fit in this many bytes (ad networks cap at ~150 KB; 422 when it cannot).",
    )  # fmt: skip

    _format = field_validator("format")(_known_format)

    @field_validator("sizes", mode="before")
    @classmethod
    def _promo_sizes(cls, sizes: object) -> object:
        if isinstance(sizes, str):
            if sizes != "all":
                raise ValueError(f'sizes is a list of promo sizes or "all", not {sizes[:40]!r}')
            return sizes
        if not isinstance(sizes, list):
            raise ValueError('sizes is a list of promo sizes or "all"')
        if not sizes:
            raise ValueError('sizes is empty: name promo sizes or use "all"')
        for size in sizes:
            if size not in BANNER_SIZES:
                raise ValueError(f"{str(size)[:40]!r} is not a promo size ({', '.join(BANNER_SIZES)})")
        if len(set(sizes)) != len(sizes):
            raise ValueError("sizes repeats a size")
        return sizes

    @model_validator(mode="after")
    def _has_headline(self) -> BannersRequest:
        # Text with nothing visible counts as empty, as the template counts it (cards/fields.py).
        if not (has_visible_characters(self.headline) or has_visible_characters(self.product.name)):
            raise one_of_required(("headline", "product.name"), "the offer, or the product's name")
        return self

    def size_list(self) -> list[str]:
        return list(BANNER_SIZES) if self.sizes == "all" else list(self.sizes)


class BannersResponse(BaseModel):
    """The 200 answer of POST /v1/banners (JSON; `Accept: application/zip` answers the set as a zip)."""

    template: str
    banners: list[CardResult]
