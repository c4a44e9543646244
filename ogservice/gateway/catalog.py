"""Model catalog: one entry per routable model (provider, vendor name, abilities, prices, latency priors).

The shipped catalog is the union of the TOML fragments in `gateway/models/*.toml` (one per vendor);
`OGS_MODELS_FILE` replaces it with a single file of the same format. Every error names the file, the
`[[model]]` table (counted from 1, as a reader counts them) and the field.
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..config import PROVIDERS, ConfigError
from ..validation import first_problem_in
from .request import ImageRequest, Quality, Tier
from .sizes import nearest_size, parse_ratio

MODELS_DIR = Path(__file__).with_name("models")
QUALITIES: tuple[Quality, ...] = ("draft", "standard", "high", "ultra")
KNOWN_PROVIDERS = frozenset({*PROVIDERS, "local"})
_PRICE_KEY = re.compile(r"^(draft|standard|high|ultra)@\d+x\d+$")
_SIZE = re.compile(r"^\d+x\d+$")
# Per-megapixel vendors (fal) bill a 1024x1024 image as one megapixel, rounding partial ones up;
# with 10^6 the most common size would be predicted at twice its price.
MEGAPIXEL = 1024 * 1024


class CatalogError(ConfigError):
    """The catalog (or a fragment of it) is invalid; the message names the file and the field."""


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

    id: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    provider: str = Field(
        description="openai | ideogram | gemini | vertex | stability | replicate | fal | "
        "a1111 | comfyui | local"
    )
    vendor_model: str = ""
    options: dict[str, Any] = Field(default_factory=dict)
    capabilities: Capabilities = Capabilities()
    # USD per image: {quality: price} or {"default": price}; per-megapixel vendors set price_per_mp.
    price: dict[str, float] = Field(default_factory=dict)
    price_per_mp: float | None = Field(None, ge=0)
    latency_p50_s: float = Field(1.0, gt=0)
    latency_p95_s: float = Field(3.0, gt=0)
    sizes: tuple[str, ...] = ()
    aspects: tuple[str, ...] = ()
    tiers: tuple[Tier, ...] = Field(("free", "pro", "enterprise"), min_length=1)
    # USD per image when the request asks for a transparent background, where the vendor bills it apart
    # (Ideogram 3.0's /generate-transparent); same keys as `price`, absent = `price`.
    price_transparent: dict[str, float] = Field(default_factory=dict)
    retired: str | None = Field(None, description="Date/reason when the vendor retired it; still callable.")
    deprecated: str | None = Field(
        None, description="Date/successor when the vendor announced its end; never a rule's first choice."
    )

    @field_validator("provider")
    @classmethod
    def _known_provider(cls, value: str) -> str:
        if value not in KNOWN_PROVIDERS:
            known = ", ".join(sorted(KNOWN_PROVIDERS))
            raise ValueError(f"unknown provider {value!r}; expected one of {known}")
        return value

    @field_validator("price", "price_transparent")
    @classmethod
    def _price_keys(cls, value: dict[str, float]) -> dict[str, float]:
        # A typo such as "standrad" would otherwise price that quality at $0 and fool the budget filter.
        for key, usd in value.items():
            if key not in (*QUALITIES, "default") and not _PRICE_KEY.match(key):
                raise ValueError(f"unknown price key {key!r}; use a quality, 'default' or 'quality@WxH'")
            if usd < 0:
                raise ValueError(f"price {key!r} is negative")
        return value

    @field_validator("sizes")
    @classmethod
    def _sizes_shape(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for size in value:
            if not _SIZE.match(size.lower()):
                raise ValueError(f"size {size!r} is not WxH (e.g. 1024x1024)")
        return value

    @field_validator("aspects")
    @classmethod
    def _aspects_shape(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for aspect in value:
            try:
                parse_ratio(aspect)
            except (ValueError, ZeroDivisionError):
                raise ValueError(f"aspect {aspect!r} is not a ratio (e.g. 16:9)") from None
        return value

    @model_validator(mode="after")
    def _priced_and_ordered(self) -> ModelSpec:
        if self.price_per_mp is None and not ("default" in self.price or set(QUALITIES) <= self.price.keys()):
            missing = [q for q in QUALITIES if q not in self.price]
            raise ValueError(f"price has no 'default' and misses {', '.join(missing)} (or set price_per_mp)")
        if self.latency_p95_s < self.latency_p50_s:
            raise ValueError("latency_p95_s is below latency_p50_s")
        return self

    def price_for(
        self, quality: Quality, width: int = 1024, height: int = 1024, transparent: bool = False
    ) -> float:
        """Predicted USD for one image: per megapixel, or by "quality@WxH", then quality, then default.

        A transparent request is priced from `price_transparent` when the model has one.
        """
        if self.price_per_mp is not None:
            return round(self.price_per_mp * math.ceil(width * height / MEGAPIXEL), 6)
        table = self.price_transparent if transparent and self.price_transparent else self.price
        if sizes := self.sizes or _priced_sizes(tuple(table)):
            if (key := f"{quality}@{_nearest(sizes, width, height)}") in table:
                return table[key]
        return table.get(quality, table.get("default", 0.0))

    def price_of(self, req: ImageRequest) -> float:
        """Predicted USD for this request: its quality, size and transparency."""
        return self.price_for(req.quality, req.width, req.height, req.transparent)


@lru_cache(maxsize=256)
def _priced_sizes(keys: tuple[str, ...]) -> tuple[str, ...]:
    """For free-size models: the sizes named in "quality@WxH" keys plus the square the plain keys price."""
    named = {key.partition("@")[2] for key in keys if "@" in key}
    return tuple(sorted(named | {"1024x1024"})) if named else ()


@lru_cache(maxsize=4096)
def _nearest(sizes: tuple[str, ...], width: int, height: int) -> str:
    """Memoised nearest vendor size: the router prices every candidate of every decision."""
    return nearest_size(ImageRequest(prompt="-", width=width, height=height), sizes).value


@dataclass(frozen=True)
class Catalog:
    """The validated set of routable models, in file order; look-ups by id."""

    models: tuple[ModelSpec, ...]
    _by_id: MappingProxyType[str, ModelSpec] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", MappingProxyType({m.id: m for m in self.models}))

    def get(self, model_id: str) -> ModelSpec:
        """The model with this id; KeyError naming close matches when there is none."""
        try:
            return self._by_id[model_id]
        except KeyError:
            raise KeyError(unknown_model_message(model_id, self.ids())) from None

    def find(self, model_id: str) -> ModelSpec | None:
        """The model with this id, or None."""
        return self._by_id.get(model_id)

    def ids(self) -> tuple[str, ...]:
        """Every model id, in catalog order."""
        return tuple(self._by_id)

    def __contains__(self, model_id: object) -> bool:
        return model_id in self._by_id


def unknown_model_message(model_id: str, known: tuple[str, ...]) -> str:
    """'unknown model X; did you mean ...?' so a typo in a config string is obvious."""
    close = difflib.get_close_matches(model_id, known, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else " (GET /v1/models lists the catalog)"
    return f"unknown model {model_id!r}: not in the catalog{hint}"


def load_catalog(path: Path | None = None) -> Catalog:
    """The shipped catalog (all fragments), or only `path` (OGS_MODELS_FILE); cached per process."""
    return _load_cached(Path(path).resolve() if path is not None else None)


@lru_cache(maxsize=16)
def _load_cached(path: Path | None) -> Catalog:
    files = [path] if path is not None else sorted(MODELS_DIR.glob("*.toml"))
    if not files:
        raise CatalogError(f"{MODELS_DIR}: no *.toml catalog fragments")
    entries = [(_label(f), spec) for f in files for spec in _read_fragment(f)]
    if path is not None:  # a user's catalog always keeps the built-in local models as the last resort
        own = {spec.id for _, (_, spec) in entries}
        local = MODELS_DIR / "local.toml"
        entries += [(_label(local), item) for item in _read_fragment(local) if item[1].id not in own]
    return _merge(entries)


def _label(path: Path) -> str:
    """'models/openai.toml' for shipped fragments, the path itself for a user's file."""
    return f"models/{path.name}" if path.parent == MODELS_DIR else str(path)


def _read_fragment(path: Path) -> list[tuple[int, ModelSpec]]:
    """Parse and validate one TOML file into (1-based table number, spec) pairs."""
    label = _label(path)
    data = read_toml(path, label)
    return [(n, _validate(label, n, entry)) for n, entry in enumerate(_entries(label, data), start=1)]


def read_toml(path: Path, label: str) -> dict[str, Any]:
    """A configuration file's TOML, or a CatalogError saying why it cannot be read (named `label`)."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CatalogError(f"{label}: cannot read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{label}: invalid TOML: {exc}") from None


def _entries(label: str, data: dict[str, Any]) -> list[Any]:
    """The [[model]] tables; anything else at the top level is a mistake worth naming."""
    if extra := sorted(set(data) - {"model"}):
        raise CatalogError(f"{label}: unknown top-level key {extra[0]!r} (models are [[model]] tables)")
    entries = data.get("model")
    if not isinstance(entries, list) or not entries:
        raise CatalogError(f"{label}: no [[model]] tables")
    return entries


def _validate(label: str, number: int, entry: Any) -> ModelSpec:
    """One [[model]] table -> ModelSpec, or a CatalogError naming file, table and field."""
    try:
        return ModelSpec.model_validate(entry)
    except ValidationError as exc:
        ident = f" (id {entry.get('id')!r})" if isinstance(entry, dict) and entry.get("id") else ""
        raise CatalogError(f"{label}: {first_problem_in(f'model[{number}]', exc)}{ident}") from None


def _merge(specs: list[tuple[str, tuple[int, ModelSpec]]]) -> Catalog:
    """One Catalog from every fragment's specs; a duplicate id names both places."""
    seen: dict[str, str] = {}
    for label, (number, spec) in specs:
        here = f"{label}: model[{number}]"
        if spec.id in seen:
            raise CatalogError(f"{here}.id: duplicate id {spec.id!r} (already defined in {seen[spec.id]})")
        seen[spec.id] = here
    return Catalog(tuple(spec for _, (_, spec) in specs))
