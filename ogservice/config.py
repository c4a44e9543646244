"""One validated Settings object, read from OGS_* environment variables; secrets live here only."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from .tenants.ratelimit import parse_rate
from .validation import problems

PROVIDERS = ("openai", "ideogram", "gemini", "vertex", "stability", "replicate", "fal", "a1111", "comfyui")

# Largest request body (the JSON of POST /v1/route): Flask refuses more, and the HTTP server refuses
# it before reading it.
MAX_BODY_BYTES = 256 * 1024

# The only key that ever signs in dev mode; refused outside it so nobody ships it by accident.
DEV_SIGNING_KEY = "dev-only-insecure-key"


class ConfigError(ValueError):
    """The configuration is invalid; the message says which setting and why."""


class Settings(BaseSettings):
    """Every OGS_* setting of the service, validated at start-up (see README: Configuration)."""

    model_config = SettingsConfigDict(env_prefix="OGS_", frozen=True, extra="ignore")

    dev: bool = Field(False, description="Dev mode: unsigned URLs allowed, a built-in signing key.")
    host: str = Field("127.0.0.1", description="Interface `ogservice serve` binds to.")
    port: int = Field(8000, ge=1, le=65535, description="Port `ogservice serve` listens on.")
    workers: int = Field(2, ge=1, le=64, description="gunicorn worker processes.")
    public_url: str = Field("", description="Base URL printed in examples; default http://HOST:PORT.")

    data_dir: Path = Field(Path("var"), description="Filesystem store root (assets and request index).")
    store: Literal["files", "redis"] = Field("files", description="Cache/asset backend.")
    memory_cache_mb: int = Field(64, ge=0, description="Per-process hot cache of rendered cards (0 = off).")
    asset_ttl: int = Field(
        0, ge=0, description="Seconds a rendered card is kept (0: for ever); pinned cards never expire."
    )
    access_log: bool = Field(False, description="gunicorn access log on stdout.")
    redis_url: str = Field(
        "redis://127.0.0.1:6379/0",
        description="Redis of breakers, ledger, budgets, API keys, rate limits (and OGS_STORE=redis).",
    )
    redis_prefix: str = Field("ogs:", description="Key prefix for everything ogservice writes to Redis.")

    templates_dir: Path | None = Field(None, description="Extra folder of user templates (*.toml).")
    fonts_dir: Path | None = Field(None, description="Extra folder of user fonts (*.ttf, *.otf).")
    missing_glyph: Literal["placeholder", "skip", "error"] = Field(
        "placeholder", description="What to do with a character no font covers."
    )

    signing_keys: SecretStr = Field(
        SecretStr(""), description="Comma-separated HMAC keys; the first signs, all verify."
    )
    allow_unsigned: bool = Field(False, description="Accept unsigned /og URLs (dev mode only).")

    max_age: int = Field(3600, ge=0, description="Cache-Control max-age (s) for /og responses.")
    s_maxage: int = Field(86400, ge=0, description="Cache-Control s-maxage (s) for CDNs on /og responses.")
    render_timeout_ms: int = Field(5000, ge=100, description="Deadline for one card request.")
    og_deadline_ms: int = Field(
        800, ge=100, le=60_000, description="GET /og with AI layers answers within this (provisional card)."
    )
    layer_timeout_s: int = Field(
        300, ge=10, le=3600, description="Longest one AI layer job may run in a worker before it is retried."
    )
    worker_heartbeat_s: int = Field(
        10, ge=1, le=300, description="Layer worker heartbeat; a job silent for 3 beats is run again."
    )
    max_query_bytes: int = Field(4096, ge=256, description="Longest accepted query string.")
    max_pixels: int = Field(2400 * 2400, ge=10_000, description="Largest accepted canvas (width*height).")

    image_max_bytes: int = Field(
        10 * 1024 * 1024, ge=1024, description="Largest image file, uploaded or fetched."
    )
    # At most Pillow's own bomb-warning threshold, so Pillow never warns about an image we accepted.
    image_max_pixels: int = Field(
        40_000_000, ge=10_000, le=89_478_485, description="Largest image accepted, width x height."
    )
    image_max_side: int = Field(
        2400, ge=16, le=8192, description="Long side of a stored image (shrunk to it)."
    )
    image_fetch_timeout_s: float = Field(
        10.0, gt=0, le=120, description="Deadline of one image URL fetch, DNS and redirects included."
    )
    image_fetch_allow_http: bool = Field(False, description="Also fetch http:// image URLs (port 80).")
    image_fetch_ports: Annotated[tuple[int, ...], NoDecode] = Field(
        (), description="Ports image URLs may name besides 443 (and 80 with http), comma-separated."
    )
    image_hosts: Annotated[tuple[str, ...], NoDecode] = Field(
        (), description="Hosts that image URLs in signed GET URLs may name (*.example.com: its subdomains)."
    )
    image_url_ttl: int = Field(3600, ge=1, description="Seconds a fetched URL's image is reused unfetched.")
    callback_backoff_s: float = Field(
        30.0, gt=0, le=3600, description="First retry delay of a failed hook callback (doubles each time)."
    )
    callback_private_addresses: Annotated[tuple[str, ...], NoDecode] = Field(
        (), description="Non-public address:port pairs callbacks may reach, comma-separated."
    )

    models_file: Path | None = Field(None, description="Model catalog TOML replacing the shipped one.")
    rules_file: Path | None = Field(None, description="Routing rules TOML replacing the shipped one.")
    allow_fallback_on_refusal: bool = Field(
        False, description="After a model refuses (safety), try the next model instead of stopping."
    )
    tier: Literal["free", "pro", "enterprise"] = Field("free", description="Default tier for routing.")
    budget_usd: float = Field(
        10.0, ge=0, description="Daily spend cap for remote models of keyless requests and unknown tenants."
    )
    rate_limit: str = Field("120/minute", description="Request rate of an API key created without --rate.")
    hook_rate_limit: str = Field(
        "60/minute", description="Signed publish-hook deliveries accepted per tenant (no API key there)."
    )

    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    ideogram_api_key: SecretStr | None = None
    ideogram_base_url: str | None = None
    gemini_api_key: SecretStr | None = None
    gemini_base_url: str | None = None
    vertex_api_key: SecretStr | None = None
    vertex_base_url: str | None = None
    vertex_project: str | None = None
    vertex_location: str = "us-central1"
    stability_api_key: SecretStr | None = None
    stability_base_url: str | None = None
    replicate_api_key: SecretStr | None = None
    replicate_base_url: str | None = None
    fal_api_key: SecretStr | None = None
    fal_base_url: str | None = None
    a1111_api_key: SecretStr | None = None
    a1111_base_url: str | None = None
    comfyui_api_key: SecretStr | None = None
    comfyui_base_url: str | None = None

    @field_validator("public_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("image_fetch_ports", "image_hosts", "callback_private_addresses", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        return tuple(v.strip() for v in value.split(",") if v.strip()) if isinstance(value, str) else value

    @field_validator("image_fetch_ports")
    @classmethod
    def _valid_ports(cls, ports: tuple[int, ...]) -> tuple[int, ...]:
        bad = [p for p in ports if not 1 <= p <= 65535]
        if bad:
            raise ValueError(f"ports must be 1-65535, got {bad[0]}")
        return ports

    @field_validator("callback_private_addresses")
    @classmethod
    def _address_ports(cls, pairs: tuple[str, ...]) -> tuple[str, ...]:
        from ipaddress import ip_address

        for pair in pairs:
            host, _, port = pair.rpartition(":")
            try:
                ip_address(host.strip("[]"))
                ok = port.isdigit() and 1 <= int(port) <= 65535
            except ValueError:
                ok = False
            if not ok:
                raise ValueError(f"expected ADDRESS:PORT such as 10.0.0.5:443, got {pair!r}")
        return pairs

    @field_validator("image_hosts")
    @classmethod
    def _valid_hosts(cls, hosts: tuple[str, ...]) -> tuple[str, ...]:
        from .sources.hosts import normalise_pattern

        return tuple(normalise_pattern(h) for h in hosts)

    @field_validator("rate_limit", "hook_rate_limit")
    @classmethod
    def _valid_rate(cls, value: str) -> str:
        parse_rate(value)
        return value

    @model_validator(mode="after")
    def _check_security(self) -> Settings:
        if not self.dev and not self.keys():
            raise ConfigError("OGS_SIGNING_KEYS is required outside dev mode (set OGS_DEV=1 to try locally)")
        if self.allow_unsigned and not self.dev:
            raise ConfigError("OGS_ALLOW_UNSIGNED=1 is only accepted together with OGS_DEV=1")
        if not self.dev and DEV_SIGNING_KEY in self.keys():
            raise ConfigError("the dev signing key must not be used outside dev mode")
        return self

    def keys(self) -> list[str]:
        """Signing keys in order; in dev mode without keys, the built-in dev key."""
        keys = [k.strip() for k in self.signing_keys.get_secret_value().split(",") if k.strip()]
        return keys or ([DEV_SIGNING_KEY] if self.dev else [])

    def unsigned_allowed(self) -> bool:
        """Unsigned URLs are served only in dev mode, where they are allowed by default."""
        return self.dev and (self.allow_unsigned or not self.signing_keys.get_secret_value())

    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"

    def provider(self, name: str) -> ProviderConfig:
        """Credentials and endpoint of one remote provider (see PROVIDERS)."""
        key = getattr(self, f"{name}_api_key")
        return ProviderConfig(
            name=name,
            api_key=key.get_secret_value() if key else None,
            base_url=getattr(self, f"{name}_base_url"),
            project=self.vertex_project if name == "vertex" else None,
            location=self.vertex_location if name == "vertex" else None,
        )


class ProviderConfig(BaseModel):
    """Resolved credentials of one provider; `configured` says whether it can be called at all."""

    model_config = ConfigDict(frozen=True)

    name: str
    api_key: str | None = None
    base_url: str | None = None
    project: str | None = None
    location: str | None = None

    @property
    def configured(self) -> bool:
        # Self-hosted back-ends need only an address; vendors need a key (and Vertex a project).
        if self.name in ("a1111", "comfyui"):
            return bool(self.base_url)
        if self.name == "vertex":
            return bool(self.api_key and self.project)
        return bool(self.api_key)


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment plus explicit overrides; raises ConfigError with a clear message."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        found = "; ".join(f"OGS_{loc.upper()}: {msg}" if loc else msg for loc, msg in problems(exc, sep="_"))
        raise ConfigError(f"invalid configuration: {found}") from None
