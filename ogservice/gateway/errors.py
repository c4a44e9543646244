"""Gateway error classes; every adapter maps httpx and vendor errors into exactly these.

    GatewayError
    ├── NotConfigured        provider has no key / base URL          -> next candidate
    ├── RequestRejected      vendor 4xx (bad field, auth, retired)   -> no retry, next candidate
    │   └── StrictSizeError  strict mode and no exact size/aspect    -> no call at all
    ├── ContentRefused       safety block, incl. 200 without image   -> stop unless policy allows
    ├── RateLimited          429 (retry_after seconds when known)    -> wait if it fits, else next
    ├── ProviderUnavailable  5xx, connection errors                  -> bounded retries, then next
    │   └── ProviderTimeout  read/connect/overall timeout            -> bounded retries, then next
    └── BadResponse          malformed body, not an image, expired   -> next candidate

Nothing from httpx escapes an adapter: the policy decides on these classes alone.
"""

from __future__ import annotations


class GatewayError(Exception):
    """Base class; `provider` and `status` say where it came from (status 0 = no HTTP answer)."""

    retryable = False

    def __init__(self, message: str, *, provider: str = "", status: int = 0, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.status = status
        self.code = code

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


class ContentRefused(GatewayError):
    pass


class RateLimited(GatewayError):
    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.retry_after = retry_after


class ProviderUnavailable(GatewayError):
    retryable = True


class ProviderTimeout(ProviderUnavailable):
    pass


class BadResponse(GatewayError):
    pass
