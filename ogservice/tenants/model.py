"""What a tenant is (who pays, on which tier, up to what a day, where to call back) and what a key is."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..gateway.request import Tier
from .ratelimit import parse_rate

if TYPE_CHECKING:
    from ..config import Settings

# The tenant of requests that carry no API key (signed /og URLs, CLI calls without --tenant): its tier
# and budget are OGS_TIER and OGS_BUDGET_USD, so no created tenant may take the name.
DEFAULT_TENANT = "default"
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
MAX_BUDGET_USD = 1_000_000.0


class Tenant(BaseModel):
    """A customer of the API: routing tier, daily spend cap for remote models, CMS callback URL."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    tier: Tier
    budget_usd: float = Field(ge=0, le=MAX_BUDGET_USD, allow_inf_nan=False, description="USD per UTC day")
    callback_url: str | None = None
    hook_secret: str | None = None  # signs publish-hook deliveries and their callbacks (keys hook-secret)
    created: float = 0.0

    @classmethod
    def default(cls, settings: Settings) -> Tenant:
        """The tenant of keyless requests, from OGS_TIER and OGS_BUDGET_USD."""
        return cls(name=DEFAULT_TENANT, tier=settings.tier, budget_usd=settings.budget_usd)

    @field_validator("name")
    @classmethod
    def _simple_name(cls, value: str) -> str:
        # Names become parts of Redis keys and appear in logs: no ':' or spaces, one spelling per tenant.
        if not _NAME.match(value):
            raise ValueError(
                f"{value!r} is not a tenant name: use 1-64 lowercase letters, digits, '.', '_' or '-', "
                "starting with a letter or digit"
            )
        return value

    @field_validator("callback_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        # Only the shape is checked here; the address is checked (SSRF) when a callback is sent.
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"expected an http(s) URL such as https://cms.example.com/hook, got {value!r}")
        return value


class ApiKey(BaseModel):
    """One API key of a tenant (a tenant may hold several, to rotate them); never the key itself."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    tenant: str
    hint: str  # prefix and last four characters, for telling keys apart
    rate: str | None = None  # None: OGS_RATE_LIMIT
    created: float
    revoked: float | None = None

    @field_validator("rate")
    @classmethod
    def _valid_rate(cls, value: str | None) -> str | None:
        if value is not None:
            parse_rate(value)
        return value

    def rate_or(self, default: str) -> str:
        return self.rate or default
