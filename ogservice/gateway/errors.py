"""Gateway error classes; every adapter maps httpx and vendor errors into exactly these.

    GatewayError
    ├── NotConfigured        provider has no key / base URL          -> next candidate
    ├── RequestRejected      vendor 4xx (bad field, retired model)   -> no retry, next candidate
    │   ├── StrictSizeError  strict mode and no exact size/aspect    -> no call at all
    │   └── KeyRefused       401/403: the vendor refused our key     -> a configuration error: the
    │                        provider's breaker opens (no call to any of its models for a while)
    ├── ContentRefused       safety block, incl. 200 without image   -> stop unless policy allows
    ├── RateLimited          429 (retry_after seconds when known)    -> wait if it fits, else next
    ├── ProviderUnavailable  5xx, connection errors                  -> bounded retries, then next
    │   └── ProviderTimeout  read/connect/overall timeout            -> bounded retries, then next
    └── BadResponse          malformed body, not an image, expired   -> next candidate

Nothing from httpx escapes an adapter: the policy decides on these classes alone.

`phase` says how far the call got, which decides whether the vendor bills it (policy.billed):
"refused" (the vendor answered the submit with an error, or never got it) or "accepted" (the
vendor took the job: a 2xx answered, or the call was in flight when we stopped waiting).
"""

from __future__ import annotations

from typing import Literal

Phase = Literal["refused", "accepted"]


class GatewayError(Exception):
    """Base class; `provider` and `status` say where it came from (status 0 = no HTTP answer)."""

    def __init__(
        self, message: str, *, provider: str = "", status: int = 0, code: str = "", phase: Phase = "refused"
    ) -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.status = status
        self.code = code
        self.phase: Phase = phase

    def __str__(self) -> str:
        where = f"{self.provider} " if self.provider else ""
        status = f"HTTP {self.status} " if self.status else ""
        code = f"[{self.code}] " if self.code else ""
        return f"{where}{status}{code}{self.message}".strip()


class NotConfigured(GatewayError):
    pass


class RequestRejected(GatewayError):
    pass


class StrictSizeError(RequestRejected):
    pass


class KeyRefused(RequestRejected):
    """The vendor refused our credentials (401/403): fixing it is the operator's job, not a retry's."""

    def __init__(self, message: str, *, provider: str, status: int, code: str = "") -> None:
        setting = key_setting(provider)
        super().__init__(
            f"configuration error: the API key was refused ({message}); check {setting}",
            provider=provider,
            status=status,
            code=code,
        )
        self.setting = setting


def key_setting(provider: str) -> str:
    """The setting holding a provider's key (every provider reads OGS_<NAME>_API_KEY)."""
    return f"OGS_{provider.upper()}_API_KEY"


class ContentRefused(GatewayError):
    pass


class RateLimited(GatewayError):
    def __init__(self, message: str, *, retry_after: float | None = None, **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.retry_after = retry_after


class ProviderUnavailable(GatewayError):
    pass


class ProviderTimeout(ProviderUnavailable):
    pass


class BadResponse(GatewayError):
    pass
